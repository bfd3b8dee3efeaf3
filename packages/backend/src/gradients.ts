import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs-core';

type Grads = Record<string, () => Tensor>;

/** Sums `dy` over the axes that broadcasting added, so the gradient has the input's shape. */
function unbroadcast(dy: Tensor, shape: number[]): Tensor {
  const axes = tf.broadcast_util.getReductionAxes(shape, dy.shape);
  const summed = axes.length > 0 ? tf.sum(dy, axes) : dy;
  return tf.reshape(summed, shape);
}

function unary(kernelName: string, derivative: (x: Tensor, y: Tensor) => Tensor, save: 'x' | 'y' = 'x'): GradConfig {
  return {
    kernelName,
    ...(save === 'x' ? { inputsToSave: ['x'] } : { outputsToSave: [true] }),
    gradFunc: (dy, saved) => {
      const value = saved[0] as Tensor;
      return { x: () => tf.mul(dy as Tensor, derivative(value, value)) };
    },
  };
}

function binary(kernelName: string, da: (dy: Tensor, a: Tensor, b: Tensor) => Tensor, db: (dy: Tensor, a: Tensor, b: Tensor) => Tensor): GradConfig {
  return {
    kernelName,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved as Tensor[];
      const g = dy as Tensor;
      return { a: () => unbroadcast(da(g, a!, b!), a!.shape), b: () => unbroadcast(db(g, a!, b!), b!.shape) };
    },
  };
}

function zeroGrad(kernelName: string, inputs: string[]): GradConfig {
  return {
    kernelName,
    saveAllInputs: true,
    gradFunc: (_dy, saved) => Object.fromEntries(inputs.map((name, i) => [name, () => tf.zerosLike(saved[i] as Tensor)])) as Grads,
  };
}

function axesOf(attrs: NamedAttrMap | undefined, key: string, rank: number): number[] {
  const raw = attrs?.[key] as number | number[] | null | undefined;
  const list = raw === undefined || raw === null ? [...Array(rank).keys()] : Array.isArray(raw) ? raw : [raw];
  return list.map((a) => (a < 0 ? a + rank : a));
}

/** Reshapes a reduced `value` back to keepDims form so it broadcasts against the input. */
function expandReduced(value: Tensor, inputShape: number[], axes: number[]): Tensor {
  return tf.reshape(value, inputShape.map((d, i) => (axes.includes(i) ? 1 : d)));
}

function reduction(kernelName: string, axisKey: string, scale: (x: Tensor, axes: number[]) => Tensor | null): GradConfig {
  return {
    kernelName,
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, y] = saved as Tensor[];
      const axes = axesOf(attrs, axisKey, x!.rank);
      return {
        x: () => {
          const g = tf.broadcastTo(expandReduced(dy as Tensor, x!.shape, axes), x!.shape);
          const factor = kernelName === 'Max' || kernelName === 'Min'
            ? tf.cast(tf.equal(x!, expandReduced(y!, x!.shape, axes)), x!.dtype)
            : scale(x!, axes);
          return factor === null ? g : tf.mul(g, factor);
        },
      };
    },
  };
}

function matMulGrad(kernelName: string): GradConfig {
  return {
    kernelName,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved as Tensor[];
      const g = dy as Tensor;
      const ta = attrs?.['transposeA'] === true;
      const tb = attrs?.['transposeB'] === true;
      const da = ta
        ? (tb ? () => tf.matMul(b!, g, true, true) : () => tf.matMul(b!, g, false, true))
        : (tb ? () => tf.matMul(g, b!) : () => tf.matMul(g, b!, false, true));
      const db = ta
        ? (tb ? () => tf.matMul(g, a!, true, true) : () => tf.matMul(a!, g))
        : (tb ? () => tf.matMul(g, a!, true, false) : () => tf.matMul(a!, g, true, false));
      return { a: () => unbroadcast(da(), a!.shape), b: () => unbroadcast(db(), b!.shape) };
    },
  };
}

const SQRT_PI_OVER_2 = 2 / Math.sqrt(Math.PI);

/** Every gradient nnx-ts layers, losses and optimizers differentiate through, written from the math. */
export const gradConfigs: readonly GradConfig[] = [
  matMulGrad('MatMul'),
  matMulGrad('BatchMatMul'),
  binary('Add', (g) => g, (g) => g),
  binary('AddV2', (g) => g, (g) => g),
  binary('Sub', (g) => g, (g) => tf.neg(g)),
  binary('Mul', (g, _a, b) => tf.mul(g, b), (g, a) => tf.mul(g, a)),
  binary('RealDiv', (g, _a, b) => tf.div(g, b), (g, a, b) => tf.neg(tf.div(tf.mul(g, a), tf.square(b)))),
  binary('SquaredDifference', (g, a, b) => tf.mul(g, tf.mul(2, tf.sub(a, b))), (g, a, b) => tf.mul(g, tf.mul(-2, tf.sub(a, b)))),
  binary('Maximum', (g, a, b) => tf.mul(g, tf.cast(tf.greaterEqual(a, b), g.dtype)), (g, a, b) => tf.mul(g, tf.cast(tf.less(a, b), g.dtype))),
  binary('Minimum', (g, a, b) => tf.mul(g, tf.cast(tf.lessEqual(a, b), g.dtype)), (g, a, b) => tf.mul(g, tf.cast(tf.greater(a, b), g.dtype))),
  binary('Pow',
    (g, a, b) => tf.mul(g, tf.mul(b, tf.pow(a, tf.sub(b, 1)))),
    (g, a, b) => tf.mul(g, tf.mul(tf.pow(a, b), tf.where(tf.greater(a, 0), tf.log(tf.maximum(a, 1e-30)), tf.zerosLike(a))))),
  { kernelName: 'Neg', gradFunc: (dy) => ({ x: () => tf.neg(dy as Tensor) }) },
  { kernelName: 'Identity', gradFunc: (dy) => ({ x: () => tf.clone(dy as Tensor) }) },
  unary('Square', (x) => tf.mul(x, 2)),
  unary('Sqrt', (_x, y) => tf.div(0.5, y), 'y'),
  unary('Rsqrt', (x) => tf.mul(-0.5, tf.pow(x, -1.5))),
  unary('Exp', (_x, y) => y, 'y'),
  unary('Log', (x) => tf.reciprocal(x)),
  unary('Log1p', (x) => tf.reciprocal(tf.add(x, 1))),
  unary('Reciprocal', (x) => tf.neg(tf.reciprocal(tf.square(x)))),
  unary('Relu', (x) => tf.cast(tf.greater(x, 0), x.dtype)),
  unary('Tanh', (_x, y) => tf.sub(1, tf.square(y)), 'y'),
  unary('Sigmoid', (_x, y) => tf.mul(y, tf.sub(1, y)), 'y'),
  unary('Softplus', (x) => tf.sigmoid(x)),
  unary('Erf', (x) => tf.mul(SQRT_PI_OVER_2, tf.exp(tf.neg(tf.square(x))))),
  unary('Abs', (x) => tf.sign(x)),
  {
    kernelName: 'ClipByValue',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const x = saved[0] as Tensor;
      const inside = tf.logicalAnd(tf.greaterEqual(x, attrs?.['clipValueMin'] as number), tf.lessEqual(x, attrs?.['clipValueMax'] as number));
      return { x: () => tf.where(inside, dy as Tensor, tf.zerosLike(dy as Tensor)) };
    },
  },
  reduction('Sum', 'axis', () => null),
  reduction('Mean', 'axis', (x, axes) => tf.scalar(1 / axes.reduce((n, a) => n * x.shape[a]!, 1))),
  reduction('Max', 'reductionIndices', () => null),
  reduction('Min', 'axis', () => null),
  { kernelName: 'Reshape', inputsToSave: ['x'], gradFunc: (dy, saved) => ({ x: () => tf.reshape(dy as Tensor, (saved[0] as Tensor).shape) }) },
  {
    kernelName: 'Transpose',
    gradFunc: (dy, _saved, attrs) => {
      const perm = attrs?.['perm'] as number[];
      const inverse = perm.map((_, i) => perm.indexOf(i));
      return { x: () => tf.transpose(dy as Tensor, inverse) };
    },
  },
  { kernelName: 'BroadcastTo', inputsToSave: ['x'], gradFunc: (dy, saved) => ({ x: () => unbroadcast(dy as Tensor, (saved[0] as Tensor).shape) }) },
  { kernelName: 'Tile', inputsToSave: ['x'], gradFunc: (dy, saved, attrs) => ({ x: () => tileGrad(dy as Tensor, (saved[0] as Tensor).shape, attrs?.['reps'] as number[]) }) },
  { kernelName: 'Cast', inputsToSave: ['x'], gradFunc: (dy, saved) => ({ x: () => tf.cast(dy as Tensor, (saved[0] as Tensor).dtype) }) },
  {
    kernelName: 'Select',
    inputsToSave: ['condition'],
    gradFunc: (dy, saved) => {
      const condition = saved[0] as Tensor;
      const g = dy as Tensor;
      return {
        condition: () => tf.zerosLike(condition),
        t: () => tf.where(condition, g, tf.zerosLike(g)),
        e: () => tf.where(condition, tf.zerosLike(g), g),
      };
    },
  },
  {
    kernelName: 'Concat',
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const shapes = (saved as Tensor[]).map((t) => t.shape);
      const axis = axesOf(attrs, 'axis', shapes[0]!.length)[0]!;
      const parts = tf.split(dy as Tensor, shapes.map((s) => s[axis]!), axis);
      return Object.fromEntries(parts.map((p, i) => [i, () => p])) as Grads;
    },
  },
  {
    kernelName: 'Pack',
    saveAllInputs: true,
    gradFunc: (dy, _saved, attrs) => {
      const parts = tf.unstack(dy as Tensor, attrs?.['axis'] as number);
      return Object.fromEntries(parts.map((p, i) => [i, () => p])) as Grads;
    },
  },
  {
    kernelName: 'Slice',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const x = saved[0] as Tensor;
      const g = dy as Tensor;
      const begin = attrs?.['begin'] as number[];
      const padding = x.shape.map((d, i) => [begin[i]!, d - begin[i]! - g.shape[i]!] as [number, number]);
      return { x: () => tf.pad(g, padding) };
    },
  },
  {
    kernelName: 'GatherV2',
    inputsToSave: ['x', 'indices'],
    gradFunc: (dy, saved, attrs) => {
      const [x, indices] = saved as Tensor[];
      const axis = axesOf(attrs, 'axis', x!.rank)[0]!;
      return { x: () => gatherGrad(dy as Tensor, x!.shape, indices!, axis), indices: () => tf.zerosLike(indices!) };
    },
  },
  {
    kernelName: 'Softmax',
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const y = saved[0] as Tensor;
      const dim = axesOf(attrs, 'dim', y.rank);
      const g = tf.mul(dy as Tensor, y);
      return { logits: () => tf.sub(g, tf.mul(tf.sum(g, dim, true), y)) };
    },
  },
  {
    kernelName: 'LogSoftmax',
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const y = saved[0] as Tensor;
      const axis = axesOf(attrs, 'axis', y.rank);
      return { logits: () => tf.sub(dy as Tensor, tf.mul(tf.sum(dy as Tensor, axis, true), tf.exp(y))) };
    },
  },
  zeroGrad('Less', ['a', 'b']),
  zeroGrad('LessEqual', ['a', 'b']),
  zeroGrad('Greater', ['a', 'b']),
  zeroGrad('GreaterEqual', ['a', 'b']),
  zeroGrad('Equal', ['a', 'b']),
  zeroGrad('NotEqual', ['a', 'b']),
  zeroGrad('Sign', ['x']),
  zeroGrad('Floor', ['x']),
  zeroGrad('Ceil', ['x']),
  zeroGrad('Round', ['x']),
  zeroGrad('ZerosLike', ['x']),
  zeroGrad('OnesLike', ['x']),
];

function tileGrad(dy: Tensor, shape: number[], reps: number[]): Tensor {
  // Split every tiled axis into (reps, size) and sum over the reps axes.
  const split = shape.flatMap((d, i) => [reps[i]!, d]);
  const reduced = tf.sum(tf.reshape(dy, split), shape.map((_, i) => 2 * i));
  return tf.reshape(reduced, shape);
}

function gatherGrad(dy: Tensor, shape: number[], indices: Tensor, axis: number): Tensor {
  // Move the gathered axis to the front, scatter-add rows with unsortedSegmentSum, move it back.
  const outerRank = axis;
  const idxRank = indices.rank;
  const perm = [...Array(dy.rank).keys()];
  const front = [...perm.slice(outerRank, outerRank + idxRank), ...perm.slice(0, outerRank), ...perm.slice(outerRank + idxRank)];
  const moved = tf.transpose(dy, front);
  const flatIdx = tf.reshape(indices, [-1]) as tf.Tensor1D;
  const rows = tf.reshape(moved, [flatIdx.shape[0]!, ...moved.shape.slice(idxRank)]);
  const summed = tf.unsortedSegmentSum(rows, tf.cast(flatIdx, 'int32') as tf.Tensor1D, shape[axis]!);
  const back = [...Array(summed.rank).keys()];
  const inverse = [...back.slice(1, outerRank + 1), 0, ...back.slice(outerRank + 1)];
  return tf.transpose(summed, inverse);
}

let registered = false;

/**
 * Registers every gradient nnx-ts differentiates through with `tf.registerGradient` (tfjs-core alone registers none,
 * and its `register_all_gradients` module cannot be imported from plain Node ESM). Idempotent.
 *
 * @example
 * ```ts
 * import { registerGradients } from '@nnx-ts/backend';
 * registerGradients();
 * ```
 */
export function registerGradients(): void {
  for (const config of gradConfigs) {
    tf.registerGradient(config);
  }
  registered = true;
}

/**
 * Registers the gradients once; later calls do nothing. Called by `@nnx-ts/transforms` before differentiating.
 *
 * @example
 * ```ts
 * import { ensureGradients } from '@nnx-ts/backend';
 * ensureGradients();
 * ```
 */
export function ensureGradients(): void {
  if (!registered) registerGradients();
}
