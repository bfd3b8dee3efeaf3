import * as tf from '@tensorflow/tfjs-core';
import { Module, Param, ShapeError } from '@nnx-ts/module';
import type { Rngs } from '@nnx-ts/rng';
import { lecunNormal, zeros } from './initializers.js';
import type { Initializer } from './initializers.js';

/** Options of {@link Linear} (Flax's keyword arguments). */
export interface LinearOptions {
  rngs: Rngs;
  useBias?: boolean;
  kernelInit?: Initializer;
  biasInit?: Initializer;
  /** Computation dtype (default: the input's). */
  dtype?: tf.DataType;
  /** Parameter dtype (default `'float32'`). */
  paramDtype?: tf.DataType;
}

/**
 * NNX `Linear`: `y = x @ kernel + bias`, `kernel` of shape `[inFeatures, outFeatures]`. Keys are drawn from
 * `rngs.params` in Flax's order (kernel, then bias), so the same seed gives Flax's parameters.
 *
 * @example
 * ```ts
 * const layer = new Linear(3, 4, { rngs: new Rngs(0) });
 * const y = layer.call(tf.ones([2, 3])); // shape [2, 4]
 * ```
 */
export class Linear extends Module {
  declare kernel: Param<tf.Tensor>;
  declare bias: Param<tf.Tensor> | null;
  declare inFeatures: number;
  declare outFeatures: number;
  declare dtype: tf.DataType | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions) {
    super();
    const { rngs, useBias = true, kernelInit = lecunNormal(), biasInit = zeros, dtype, paramDtype = 'float32' } = options;
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.dtype = dtype ?? null;
    this.kernel = new Param(kernelInit(rngs.params.call(), [inFeatures, outFeatures], paramDtype));
    this.bias = useBias ? new Param(biasInit(rngs.params.call(), [outFeatures], paramDtype)) : null;
  }

  /** Applies the layer to `x` of shape `[..., inFeatures]`. */
  call(x: tf.Tensor): tf.Tensor {
    const last = x.shape[x.shape.length - 1];
    if (last !== this.inFeatures) {
      throw new ShapeError(
        `Linear.kernel: expected input last dimension ${this.inFeatures} (kernel [${this.inFeatures}, ${this.outFeatures}]), ` +
          `got input shape [${x.shape.join(', ')}]`,
      );
    }
    return tf.tidy(() => {
      const dtype = this.dtype ?? x.dtype;
      const kernel = tf.cast(this.kernel.value, dtype);
      const flat = tf.reshape(tf.cast(x, dtype), [-1, this.inFeatures]);
      let y = tf.matMul(flat, kernel);
      if (this.bias) y = tf.add(y, tf.cast(this.bias.value, dtype));
      return tf.reshape(y, [...x.shape.slice(0, -1), this.outFeatures]);
    });
  }
}
