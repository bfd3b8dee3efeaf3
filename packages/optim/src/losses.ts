import * as tf from '@tensorflow/tfjs-core';

/**
 * `optax.softmax_cross_entropy_with_integer_labels(logits, labels)`: per-example `logsumexp(logits) - logits[label]`.
 * `logits` `[..., C]`, `labels` int32 `[...]`; returns `[...]`.
 *
 * @example
 * ```ts
 * const loss = tf.mean(softmaxCrossEntropyWithIntegerLabels(logits, tf.tensor1d([3, 1], 'int32')));
 * ```
 */
export function softmaxCrossEntropyWithIntegerLabels(logits: tf.Tensor, labels: tf.Tensor): tf.Tensor {
  const classes = logits.shape[logits.shape.length - 1]!;
  return tf.tidy(() => {
    const shifted = tf.sub(logits, tf.max(logits, -1, true));
    const oneHot = tf.reshape(tf.oneHot(tf.reshape(tf.cast(labels, 'int32'), [-1]), classes), shifted.shape);
    const labelLogits = tf.sum(tf.mul(shifted, tf.cast(oneHot, shifted.dtype)), -1);
    const logNormalizers = tf.log(tf.sum(tf.exp(shifted), -1));
    return tf.sub(logNormalizers, labelLogits);
  });
}

/**
 * `optax.softmax_cross_entropy(logits, labels)`: `-sum(labels · log_softmax(logits), -1)` for probability labels.
 *
 * @example
 * ```ts
 * softmaxCrossEntropy(logits, tf.oneHot(labels, 10));
 * ```
 */
export function softmaxCrossEntropy(logits: tf.Tensor, labels: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.neg(tf.sum(tf.mul(tf.cast(labels, logits.dtype), tf.logSoftmax(logits, -1)), -1)));
}

/**
 * `optax.squared_error(predictions, targets?)`: elementwise `(predictions - targets)²`.
 *
 * @example
 * ```ts
 * tf.mean(squaredError(pred, target));
 * ```
 */
export function squaredError(predictions: tf.Tensor, targets?: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const errors = targets === undefined ? predictions : tf.sub(predictions, targets);
    return tf.mul(errors, errors);
  });
}

/**
 * `optax.l2_loss(predictions, targets?)`: `0.5 · squaredError`.
 *
 * @example
 * ```ts
 * l2Loss(pred, target);
 * ```
 */
export function l2Loss(predictions: tf.Tensor, targets?: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.scalar(0.5), squaredError(predictions, targets)));
}
