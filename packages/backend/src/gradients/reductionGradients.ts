import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, Tensor } from '@tensorflow/tfjs-core';
import { keptShape, mask, reductionAxes } from './broadcast.js';

function one(dy: Tensor | Tensor[]): Tensor {
  return Array.isArray(dy) ? (dy[0] as Tensor) : dy;
}

/** `dy` of a reduction, reshaped to keep the reduced axes as size 1 so it broadcasts against the input. */
function keptGradient(dy: Tensor, x: Tensor, axisAttr: unknown): Tensor {
  return tf.reshape(dy, keptShape(x.shape, reductionAxes(axisAttr, x.rank)));
}

/** `Max`/`Min`: the gradient flows to every position that equals the extremum (ties share it, as in TF.js and JAX's tf). */
function extremum(kernelName: string, axisName: string): GradConfig {
  return {
    kernelName,
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, s, attrs) => {
      const x = s[0] as Tensor;
      const y = s[1] as Tensor;
      return {
        x: () => {
          const axes = reductionAxes(attrs[axisName], x.rank);
          const shape = keptShape(x.shape, axes);
          return tf.mul(tf.reshape(one(dy), shape), mask(tf.equal(x, tf.reshape(y, shape))));
        },
      };
    },
  };
}

/** Gradients of the reduction kernels and of `Softmax`. */
export const reductionGradients: GradConfig[] = [
  {
    kernelName: 'Sum',
    inputsToSave: ['x'],
    gradFunc: (dy, s, attrs) => {
      const x = s[0] as Tensor;
      return { x: () => tf.mul(keptGradient(one(dy), x, attrs['axis']), tf.onesLike(x)) };
    },
  },
  {
    kernelName: 'Mean',
    inputsToSave: ['x'],
    gradFunc: (dy, s, attrs) => {
      const x = s[0] as Tensor;
      const axes = reductionAxes(attrs['axis'], x.rank);
      const count = axes.reduce((n, axis) => n * (x.shape[axis] as number), 1);
      return { x: () => tf.mul(keptGradient(one(dy), x, attrs['axis']), tf.fill(x.shape, 1 / count)) };
    },
  },
  extremum('Max', 'reductionIndices'),
  extremum('Min', 'axis'),
  {
    kernelName: 'Softmax',
    outputsToSave: [true],
    gradFunc: (dy, s, attrs) => {
      const y = s[0] as Tensor;
      const g = one(dy);
      const dim = attrs['dim'] as number;
      return { logits: () => tf.mul(y, tf.sub(g, tf.sum(tf.mul(g, y), dim, true))) };
    },
  },
];
