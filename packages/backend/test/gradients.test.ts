import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureGradients, gradientKernelNames, registerGradients, setBackend } from '../src/index.js';
import { gradientError, sample } from './finiteDifference.js';

beforeAll(async () => {
  await setBackend('cpu');
});

const s = sample;
const p = (shape: number[], seed: number) => sample(shape, seed, true);

/** [kernel exercised, function, inputs]: every case runs through the kernel named first. */
const CASES: Array<[string, (...xs: tf.Tensor[]) => tf.Tensor, () => tf.Tensor[]]> = [
  ['Add broadcast', (a, b) => tf.add(a, b), () => [s([3, 1], 1), s([4], 2)]],
  ['Add scalar', (a, b) => tf.add(a, b), () => [s([2, 3], 1), s([], 2)]],
  ['Sub broadcast', (a, b) => tf.sub(a, b), () => [s([2, 1, 3], 3), s([4, 1], 4)]],
  ['Multiply broadcast', (a, b) => tf.mul(a, b), () => [s([3, 4], 5), s([1, 4], 6)]],
  ['RealDiv broadcast', (a, b) => tf.div(a, b), () => [s([3, 4], 7), p([3, 1], 8)]],
  ['SquaredDifference', (a, b) => tf.squaredDifference(a, b), () => [s([3, 2], 9), s([2], 10)]],
  ['Pow', (a, b) => tf.pow(a, b), () => [p([2, 3], 11), s([3], 12)]],
  ['Maximum', (a, b) => tf.maximum(a, b), () => [s([3, 4], 13), s([4], 14)]],
  ['Minimum', (a, b) => tf.minimum(a, b), () => [s([3, 4], 15), s([3, 1], 16)]],
  ['Neg', (x) => tf.neg(x), () => [s([5], 17)]],
  ['Identity', (x) => tf.clone(x), () => [s([5], 18)]],
  ['Square', (x) => tf.square(x), () => [s([2, 3], 19)]],
  ['Sqrt', (x) => tf.sqrt(x), () => [p([2, 3], 20)]],
  ['Rsqrt', (x) => tf.rsqrt(x), () => [p([2, 3], 21)]],
  ['Reciprocal', (x) => tf.reciprocal(x), () => [s([2, 3], 22)]],
  ['Exp', (x) => tf.exp(x), () => [s([2, 3], 23)]],
  ['Log', (x) => tf.log(x), () => [p([2, 3], 24)]],
  ['Log1p', (x) => tf.log1p(x), () => [p([2, 3], 25)]],
  ['Abs', (x) => tf.abs(x), () => [s([2, 3], 26)]],
  ['Sin', (x) => tf.sin(x), () => [s([4], 27)]],
  ['Cos', (x) => tf.cos(x), () => [s([4], 28)]],
  ['Relu', (x) => tf.relu(x), () => [s([3, 4], 29)]],
  ['Relu6', (x) => tf.relu6(tf.mul(x, 4)), () => [s([3, 4], 30)]],
  ['LeakyRelu', (x) => tf.leakyRelu(x, 0.1), () => [s([3, 4], 31)]],
  ['Elu', (x) => tf.elu(x), () => [s([3, 4], 32)]],
  ['Tanh', (x) => tf.tanh(x), () => [s([3, 4], 33)]],
  ['Sigmoid', (x) => tf.sigmoid(x), () => [s([3, 4], 34)]],
  ['Softplus', (x) => tf.softplus(x), () => [s([3, 4], 35)]],
  ['Erf (exact gelu)', (x) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2)))), () => [s([3, 4], 36)]],
  ['ClipByValue', (x) => tf.clipByValue(x, -0.9, 0.9), () => [s([3, 4], 37)]],
  ['Select', (x, y) => tf.where(tf.greater(x, 0), x, tf.mul(y, 2)), () => [s([3, 4], 38), s([3, 4], 39)]],
  ['Sum all', (x) => tf.sum(x), () => [s([3, 4], 40)]],
  ['Sum axis keepDims', (x) => tf.sum(x, -1, true), () => [s([2, 3, 4], 41)]],
  ['Sum axes', (x) => tf.sum(x, [0, 2]), () => [s([2, 3, 4], 42)]],
  ['Mean', (x) => tf.mean(x, 1), () => [s([2, 3, 4], 43)]],
  ['Mean all', (x) => tf.mean(x), () => [s([3, 4], 44)]],
  ['Max', (x) => tf.max(x, 1), () => [s([3, 5], 45)]],
  ['Min', (x) => tf.min(x, 0, true), () => [s([3, 5], 46)]],
  ['Softmax', (x) => tf.softmax(x), () => [s([3, 5], 47)]],
  ['logSoftmax', (x) => tf.logSoftmax(x), () => [s([3, 5], 48)]],
  ['softmaxCrossEntropy', (x) => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d([1, 0, 4], 'int32'), 5), x), () => [s([3, 5], 49)]],
  ['logSumExp', (x) => tf.logSumExp(x, 1), () => [s([3, 5], 50)]],
  ['Reshape', (x) => tf.mul(tf.reshape(x, [4, 3]), s([4, 3], 1)), () => [s([3, 4], 51)]],
  ['ExpandDims/Squeeze', (x) => tf.squeeze(tf.mul(tf.expandDims(x, 1), s([3, 1, 4], 2)), [1]), () => [s([3, 4], 52)]],
  ['Transpose', (x) => tf.mul(tf.transpose(x, [2, 0, 1]), s([4, 2, 3], 3)), () => [s([2, 3, 4], 53)]],
  ['BroadcastTo (Tile)', (x) => tf.broadcastTo(x, [2, 3, 4]), () => [s([3, 1], 54)]],
  ['Tile', (x) => tf.tile(x, [2, 3]), () => [s([2, 3], 55)]],
  ['Slice', (x) => tf.slice(x, [1, 1], [2, -1]), () => [s([4, 4], 56)]],
  ['PadV2', (x) => tf.pad(x, [[1, 0], [0, 2]]), () => [s([2, 3], 57)]],
  ['Concat', (a, b) => tf.concat([a, b], 1), () => [s([2, 3], 58), s([2, 1], 59)]],
  ['Pack', (a, b) => tf.stack([a, b], 1), () => [s([2, 3], 60), s([2, 3], 61)]],
  ['Unpack', (x) => tf.mul(tf.unstack(x, 1)[2] as tf.Tensor, 3), () => [s([2, 3], 62)]],
  ['SplitV', (x) => tf.mul(tf.split(x, [1, 3], 1)[1] as tf.Tensor, 2), () => [s([2, 4], 63)]],
  ['AddN', (a, b) => tf.addN([a, b, a]), () => [s([2, 3], 64), s([2, 3], 65)]],
  ['GatherV2 axis 0, repeated indices', (x) => tf.gather(x, tf.tensor1d([2, 0, 2], 'int32')), () => [s([3, 4], 66)]],
  ['GatherV2 axis 1, 2-D indices', (x) => tf.gather(x, tf.tensor2d([[1, 0], [3, 3]], [2, 2], 'int32'), 1), () => [s([2, 4, 3], 67)]],
  ['BatchMatMul', (a, b) => tf.matMul(a, b), () => [s([3, 4], 68), s([4, 2], 69)]],
  ['BatchMatMul transposeA', (a, b) => tf.matMul(a, b, true), () => [s([4, 3], 70), s([4, 2], 71)]],
  ['BatchMatMul transposeB', (a, b) => tf.matMul(a, b, false, true), () => [s([3, 4], 72), s([2, 4], 73)]],
  ['BatchMatMul both', (a, b) => tf.matMul(a, b, true, true), () => [s([4, 3], 74), s([2, 4], 75)]],
  ['BatchMatMul batch broadcast', (a, b) => tf.matMul(a, b), () => [s([2, 3, 4], 76), s([4, 5], 77)]],
];

describe('registered gradients match central finite differences (float32)', () => {
  it.each(CASES)('%s', (_name, f, inputs) => {
    expect(gradientError(f, inputs())).toBeLessThan(1e-2);
  });
});

/** Runs `body` and returns the names of the kernels it dispatched. */
function kernelsDispatchedBy(body: () => void): Set<string> {
  const seen = new Set<string>();
  const engine = tf.engine();
  const runKernel = engine.runKernel.bind(engine);
  engine.runKernel = ((name: string, inputs: tf.NamedTensorMap, attrs?: tf.NamedAttrMap) => {
    seen.add(name);
    return runKernel(name, inputs, attrs);
  }) as typeof engine.runKernel;
  try {
    tf.tidy(body);
  } finally {
    engine.runKernel = runKernel;
  }
  return seen;
}

/** Kernels whose gradient is zero by definition; checked by the zero-gradient test below. */
const ZERO_GRADIENT = ['Sign', 'Floor', 'Ceil', 'Round', 'ZerosLike', 'OnesLike', 'IsNan', 'IsFinite', 'ArgMax', 'ArgMin',
  'Greater', 'GreaterEqual', 'Less', 'LessEqual', 'Equal', 'NotEqual', 'LogicalAnd', 'LogicalOr', 'FloorDiv', 'OneHot'];

describe('registration', () => {
  it('has a finite-difference case for every registered non-zero gradient', () => {
    const exercised = kernelsDispatchedBy(() => {
      for (const [, f, inputs] of CASES) f(...inputs());
    });
    const missing = gradientKernelNames().filter((name) => !exercised.has(name) && !ZERO_GRADIENT.includes(name));
    expect(missing).toEqual([]);
  });

  it('gives zero gradients through comparisons, rounding, casts and index kernels', () => {
    const x = tf.tensor1d([0.3, -1.2, 2.7]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(v, tf.cast(tf.greater(tf.round(v), 0), 'float32'))))(x);
    expect(g.arraySync()).toEqual([0, 0, 1]);
    const table = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
    const gathered = tf.grads((t: tf.Tensor, i: tf.Tensor) => tf.sum(tf.gather(t, tf.cast(i, 'int32'))))([table, tf.tensor1d([2, 2])]);
    expect(gathered[0]?.arraySync()).toEqual([[0, 0], [0, 0], [2, 2]]);
    expect(gathered[1]?.arraySync()).toEqual([0, 0]);
  });

  it('covers every kernel the nnx-ts training path dispatches', () => {
    const seen = kernelsDispatchedBy(() => {
      const x = s([4, 3], 1);
      const labels = tf.oneHot(tf.tensor1d([0, 2, 1, 2], 'int32'), 3);
      tf.grads((w: tf.Tensor, b: tf.Tensor) => {
        const h = tf.add(tf.matMul(x, w), b);
        const gelu = tf.mul(tf.mul(h, 0.5), tf.add(1, tf.erf(tf.div(h, Math.SQRT2))));
        const logits = tf.relu(gelu);
        return tf.add(tf.losses.softmaxCrossEntropy(labels, logits), tf.mean(tf.neg(tf.logSoftmax(logits))));
      })([s([3, 3], 2), s([3], 3)]);
    });
    const differentiable = [...seen].filter((name) => !['OneHot', 'Fill'].includes(name));
    expect(differentiable.filter((name) => tf.getGradient(name) === undefined)).toEqual([]);
    expect(differentiable).toContain('BatchMatMul');
  });

  it('is idempotent and never replaces a gradient registered by someone else', () => {
    const before = tf.getGradient('Relu');
    expect(registerGradients()).toEqual([]);
    ensureGradients();
    expect(tf.getGradient('Relu')).toBe(before);
    expect(new Set(gradientKernelNames()).size).toBe(gradientKernelNames().length);
  });

  it('keeps the tensor count flat across repeated gradient steps', () => {
    const x = s([8, 4], 5);
    const w = s([4, 3], 6);
    const step = () => tf.tidy(() => tf.grad((v: tf.Tensor) => tf.mean(tf.relu(tf.matMul(x, v))))(w));
    step().dispose();
    const before = tf.memory();
    for (let i = 0; i < 20; i++) step().dispose();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
  });
});
