import * as tf from '@tensorflow/tfjs-core';

/**
 * Sums a gradient computed at a broadcast shape back down to an input's `shape`: leading extra axes and axes where the
 * input had size 1 are summed out, then the result is reshaped. Why: every broadcasting binary op's gradient w.r.t. an
 * input is the sum of the output gradient over the positions that input was copied to.
 */
export function reduceToShape(grad: tf.Tensor, shape: readonly number[]): tf.Tensor {
  const lead = grad.rank - shape.length;
  const axes: number[] = [];
  for (let axis = 0; axis < grad.rank; axis++) {
    if (axis < lead || (shape[axis - lead] === 1 && grad.shape[axis] !== 1)) axes.push(axis);
  }
  const summed = axes.length > 0 ? tf.sum(grad, axes) : grad;
  return tf.reshape(summed, [...shape]);
}

/** Normalises a reduction's `axis` attribute (number, array, null = all) to sorted non-negative axes. */
export function reductionAxes(axis: unknown, rank: number): number[] {
  if (axis === null || axis === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = Array.isArray(axis) ? (axis as number[]) : [axis as number];
  return [...new Set(list.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
}

/** The shape a reduction over `axes` would have with `keepDims: true`. */
export function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((size, axis) => (axes.includes(axis) ? 1 : size));
}

/** A float32 0/1 mask: `condition` as numbers, so it can scale a gradient. */
export function mask(condition: tf.Tensor): tf.Tensor {
  return tf.cast(condition, 'float32');
}

/** The gradient of an input that does not influence the output's value (comparisons, indices, rounding). */
export function zeroGradient(input: tf.Tensor): () => tf.Tensor {
  // TF.js' tape requires every input gradient to be float32, whatever the input's dtype (bool, int32).
  return () => tf.zeros(input.shape, 'float32');
}
