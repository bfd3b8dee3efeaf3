import * as tf from '@tensorflow/tfjs-core';

/** `nnx.relu`. @example `relu(tf.tensor([-1, 2]))` */
export const relu = (x: tf.Tensor): tf.Tensor => tf.relu(x);
/** `nnx.sigmoid`. @example `sigmoid(tf.tensor([0]))` */
export const sigmoid = (x: tf.Tensor): tf.Tensor => tf.sigmoid(x);
/** `nnx.tanh`. @example `tanh(tf.tensor([0]))` */
export const tanh = (x: tf.Tensor): tf.Tensor => tf.tanh(x);
/** `nnx.silu` (swish): `x * sigmoid(x)`. @example `silu(tf.tensor([1]))` */
export const silu = (x: tf.Tensor): tf.Tensor => tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
/** `nnx.softmax` over `axis` (default last). @example `softmax(tf.tensor([1, 2]))` */
export const softmax = (x: tf.Tensor, axis = -1): tf.Tensor => tf.softmax(x, axis);
/** `nnx.log_softmax` over `axis` (default last). @example `logSoftmax(tf.tensor([1, 2]))` */
export const logSoftmax = (x: tf.Tensor, axis = -1): tf.Tensor => tf.logSoftmax(x, axis);

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * `nnx.gelu`: the tanh approximation by default (as Flax), the erf form with `approximate: false`.
 *
 * @example
 * ```ts
 * gelu(tf.tensor([1])); // ≈ 0.8412
 * ```
 */
export function gelu(x: tf.Tensor, options: { approximate?: boolean } = {}): tf.Tensor {
  const { approximate = true } = options;
  return tf.tidy(() => {
    if (approximate) {
      const inner = tf.mul(SQRT_2_OVER_PI, tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
      return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
    }
    return tf.mul(tf.mul(0.5, x), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));
  });
}
