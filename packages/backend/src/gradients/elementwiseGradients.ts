import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs-core';
import { mask, reduceToShape, zeroGradient } from './broadcast.js';

function one(dy: Tensor | Tensor[]): Tensor {
  return Array.isArray(dy) ? (dy[0] as Tensor) : dy;
}

function saved(tensors: Tensor[], index: number): Tensor {
  return tensors[index] as Tensor;
}

/** A unary op `y = f(x)` whose gradient is `dy * derivative`, with `x` (and optionally `y`) saved. */
function unary(kernelName: string, derivative: (dy: Tensor, x: Tensor, y: Tensor, attrs: NamedAttrMap) => Tensor, inputName = 'x'): GradConfig {
  return {
    kernelName,
    inputsToSave: [inputName],
    outputsToSave: [true],
    gradFunc: (dy, s, attrs) => ({ [inputName]: () => derivative(one(dy), saved(s, 0), saved(s, 1), attrs) }),
  };
}

/** A broadcasting binary op `y = f(a, b)`; each partial is summed back to its input's shape. */
function binary(
  kernelName: string,
  partials: (dy: Tensor, a: Tensor, b: Tensor, y: Tensor) => { a: () => Tensor; b: () => Tensor },
): GradConfig {
  return {
    kernelName,
    inputsToSave: ['a', 'b'],
    outputsToSave: [true],
    gradFunc: (dy, s) => {
      const a = saved(s, 0);
      const b = saved(s, 1);
      const grads = partials(one(dy), a, b, saved(s, 2));
      return { a: () => reduceToShape(grads.a(), a.shape), b: () => reduceToShape(grads.b(), b.shape) };
    },
  };
}

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/** Gradients of the element-wise kernels (arithmetic, activations, comparisons). */
export const elementwiseGradients: GradConfig[] = [
  binary('Add', (dy) => ({ a: () => dy, b: () => dy })),
  binary('Sub', (dy) => ({ a: () => dy, b: () => tf.neg(dy) })),
  binary('Multiply', (dy, a, b) => ({ a: () => tf.mul(dy, b), b: () => tf.mul(dy, a) })),
  binary('RealDiv', (dy, a, b) => ({
    a: () => tf.div(dy, b),
    b: () => tf.neg(tf.div(tf.mul(dy, a), tf.square(b))),
  })),
  binary('SquaredDifference', (dy, a, b) => {
    const twice = () => tf.mul(tf.mul(dy, 2), tf.sub(a, b));
    return { a: twice, b: () => tf.neg(twice()) };
  }),
  binary('Pow', (dy, a, b, y) => ({
    a: () => tf.mul(dy, tf.mul(b, tf.pow(a, tf.sub(b, 1)))),
    // d(a^b)/db = a^b * log(a), defined for a > 0 only; elsewhere 0.
    b: () => tf.mul(dy, tf.where(tf.greater(a, 0), tf.mul(y, tf.log(tf.where(tf.greater(a, 0), a, tf.onesLike(a)))), tf.zerosLike(y))),
  })),
  binary('Maximum', (dy, a, b) => ({
    a: () => tf.mul(dy, mask(tf.greaterEqual(a, b))),
    b: () => tf.mul(dy, mask(tf.less(a, b))),
  })),
  binary('Minimum', (dy, a, b) => ({
    a: () => tf.mul(dy, mask(tf.lessEqual(a, b))),
    b: () => tf.mul(dy, mask(tf.greater(a, b))),
  })),
  unary('Neg', (dy) => tf.neg(dy)),
  unary('Identity', (dy) => tf.clone(dy)),
  unary('Square', (dy, x) => tf.mul(dy, tf.mul(x, 2))),
  unary('Sqrt', (dy, _x, y) => tf.div(dy, tf.mul(y, 2))),
  unary('Rsqrt', (dy, _x, y) => tf.mul(dy, tf.mul(tf.pow(y, 3), -0.5))),
  unary('Reciprocal', (dy, _x, y) => tf.neg(tf.mul(dy, tf.square(y)))),
  unary('Exp', (dy, _x, y) => tf.mul(dy, y)),
  unary('Log', (dy, x) => tf.div(dy, x)),
  unary('Log1p', (dy, x) => tf.div(dy, tf.add(x, 1))),
  unary('Abs', (dy, x) => tf.mul(dy, tf.sign(x))),
  unary('Sin', (dy, x) => tf.mul(dy, tf.cos(x))),
  unary('Cos', (dy, x) => tf.neg(tf.mul(dy, tf.sin(x)))),
  unary('Relu', (dy, x) => tf.mul(dy, mask(tf.greater(x, 0)))),
  unary('Relu6', (dy, x) => tf.mul(dy, mask(tf.logicalAnd(tf.greater(x, 0), tf.less(x, 6))))),
  unary('LeakyRelu', (dy, x, _y, attrs) => tf.mul(dy, tf.where(tf.greater(x, 0), tf.onesLike(x), tf.fill(x.shape, attrs['alpha'] as number)))),
  unary('Elu', (dy, x, y) => tf.where(tf.greater(x, 0), dy, tf.mul(dy, tf.add(y, 1)))),
  unary('Tanh', (dy, _x, y) => tf.mul(dy, tf.sub(1, tf.square(y)))),
  unary('Sigmoid', (dy, _x, y) => tf.mul(dy, tf.mul(y, tf.sub(1, y)))),
  unary('Softplus', (dy, x) => tf.mul(dy, tf.sigmoid(x))),
  unary('Erf', (dy, x) => tf.mul(dy, tf.mul(tf.exp(tf.neg(tf.square(x))), TWO_OVER_SQRT_PI))),
  unary('ClipByValue', (dy, x, _y, attrs) =>
    tf.mul(dy, mask(tf.logicalAnd(tf.greaterEqual(x, attrs['clipValueMin'] as number), tf.lessEqual(x, attrs['clipValueMax'] as number))))),
  unary('Cast', (dy, x) => (x.dtype === 'float32' ? tf.clone(dy) : tf.zeros(x.shape, 'float32'))),
  ...['Sign', 'Floor', 'Ceil', 'Round', 'ZerosLike', 'OnesLike', 'IsNan', 'IsFinite', 'ArgMax', 'ArgMin'].map(
    (kernelName): GradConfig => ({ kernelName, inputsToSave: ['x'], gradFunc: (_dy, s) => ({ x: zeroGradient(saved(s, 0)) }) }),
  ),
  ...['Greater', 'GreaterEqual', 'Less', 'LessEqual', 'Equal', 'NotEqual', 'LogicalAnd', 'LogicalOr', 'FloorDiv'].map(
    (kernelName): GradConfig => ({
      kernelName,
      inputsToSave: ['a', 'b'],
      gradFunc: (_dy, s) => ({ a: zeroGradient(saved(s, 0)), b: zeroGradient(saved(s, 1)) }),
    }),
  ),
  {
    kernelName: 'OneHot',
    inputsToSave: ['indices'],
    gradFunc: (_dy, s) => ({ indices: zeroGradient(saved(s, 0)) }),
  },
  {
    kernelName: 'Select',
    inputsToSave: ['condition', 't', 'e'],
    gradFunc: (dy, s) => {
      const [condition, t, e] = [saved(s, 0), saved(s, 1), saved(s, 2)];
      const g = one(dy);
      return {
        condition: zeroGradient(condition),
        t: () => reduceToShape(tf.where(condition, g, tf.zerosLike(g)), t.shape),
        e: () => reduceToShape(tf.where(condition, tf.zerosLike(g), g), e.shape),
      };
    },
  },
];
