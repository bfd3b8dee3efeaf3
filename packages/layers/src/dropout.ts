import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@nnx-ts/module';
import { bernoulli } from '@nnx-ts/rng';
import type { Rngs, RngStream } from '@nnx-ts/rng';

/**
 * NNX 0.11 `Dropout`: holds `rngs.dropout.fork()` (its key and count are part of its state, `rngs/key`,
 * `rngs/count`). Keeps each element with probability `1 - rate` and scales kept ones by `1 / (1 - rate)`.
 * `deterministic` (set by `train()`/`eval()`) turns it into the identity.
 *
 * @example
 * ```ts
 * const dropout = new Dropout(0.5, { rngs: new Rngs(0) });
 * const y = dropout.call(tf.ones([3, 5]));
 * ```
 */
export class Dropout extends Module {
  declare rate: number;
  declare deterministic: boolean;
  declare rngs: RngStream;

  constructor(rate: number, options: { rngs: Rngs; deterministic?: boolean }) {
    super();
    this.rate = rate;
    this.deterministic = options.deterministic ?? false;
    this.rngs = options.rngs.dropout.fork();
  }

  /** Applies dropout to `x` (identity when deterministic or `rate` is 0). */
  call(x: tf.Tensor): tf.Tensor {
    if (this.deterministic || this.rate === 0) return tf.clone(x);
    if (this.rate === 1) return tf.zerosLike(x);
    const keep = 1 - this.rate;
    const mask = bernoulli(this.rngs.call(), keep, x.shape);
    return tf.tidy(() => {
      const out = tf.where(tf.cast(mask, 'bool'), tf.div(x, keep), tf.zerosLike(x));
      mask.dispose();
      return out;
    });
  }
}
