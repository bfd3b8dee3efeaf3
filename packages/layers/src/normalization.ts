import * as tf from '@tensorflow/tfjs-core';
import { BatchStat, Module, Param, ShapeError } from '@nnx-ts/module';
import type { Rngs } from '@nnx-ts/rng';
import { ones, zeros } from './initializers.js';

/** Options shared by the normalisation layers. */
export interface NormOptions {
  rngs: Rngs;
  epsilon?: number;
  useBias?: boolean;
  useScale?: boolean;
}

function checkFeatures(name: string, x: tf.Tensor, features: number): void {
  if (x.shape[x.shape.length - 1] !== features) {
    throw new ShapeError(`${name}: expected last dimension ${features}, got input shape [${x.shape.join(', ')}]`);
  }
}

// Flax's _normalize: y = (x - mean) * (rsqrt(var + eps) * scale) + bias.
function normalize(x: tf.Tensor, mean: tf.Tensor | null, variance: tf.Tensor, eps: number, scale: Param<tf.Tensor> | null, bias: Param<tf.Tensor> | null): tf.Tensor {
  let mul = tf.rsqrt(tf.add(variance, eps));
  if (scale) mul = tf.mul(mul, scale.value);
  let y = mean ? tf.sub(x, mean) : x;
  y = tf.mul(y, mul);
  return bias ? tf.add(y, bias.value) : y;
}

// Flax's fast variance: max(0, E[x²] - E[x]²).
function stats(x: tf.Tensor, axes: number[]): [tf.Tensor, tf.Tensor] {
  const mean = tf.mean(x, axes);
  const mean2 = tf.mean(tf.square(x), axes);
  return [mean, tf.maximum(0, tf.sub(mean2, tf.square(mean)))];
}

/**
 * NNX `BatchNorm` over the last axis: `mean`/`var` are {@link BatchStat}s updated with `momentum` in training,
 * `scale`/`bias` are Params. `useRunningAverage` (set by `train()`/`eval()`) selects the running statistics.
 *
 * @example
 * ```ts
 * const bn = new BatchNorm(4, { rngs: new Rngs(0) });
 * const y = bn.call(tf.randomNormal([8, 4]));
 * ```
 */
export class BatchNorm extends Module {
  declare mean: BatchStat<tf.Tensor>;
  declare var: BatchStat<tf.Tensor>;
  declare scale: Param<tf.Tensor> | null;
  declare bias: Param<tf.Tensor> | null;
  declare numFeatures: number;
  declare momentum: number;
  declare epsilon: number;
  declare useRunningAverage: boolean;

  constructor(numFeatures: number, options: NormOptions & { momentum?: number; useRunningAverage?: boolean }) {
    super();
    const { rngs, epsilon = 1e-5, momentum = 0.99, useRunningAverage = false, useScale = true, useBias = true } = options;
    this.numFeatures = numFeatures;
    this.momentum = momentum;
    this.epsilon = epsilon;
    this.useRunningAverage = useRunningAverage;
    this.mean = new BatchStat(tf.zeros([numFeatures]));
    this.var = new BatchStat(tf.ones([numFeatures]));
    this.scale = useScale ? new Param(ones(rngs.params.call(), [numFeatures])) : null;
    this.bias = useBias ? new Param(zeros(rngs.params.call(), [numFeatures])) : null;
  }

  /** Normalises `x` of shape `[..., numFeatures]`; in training also updates the running statistics. */
  call(x: tf.Tensor): tf.Tensor {
    checkFeatures('BatchNorm', x, this.numFeatures);
    if (this.useRunningAverage) {
      return tf.tidy(() => normalize(x, this.mean.value, this.var.value, this.epsilon, this.scale, this.bias));
    }
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const [y, mean, variance] = tf.tidy(() => {
      const [m, v] = stats(x, axes);
      const out = normalize(x, m, v, this.epsilon, this.scale, this.bias);
      const nextMean = tf.add(tf.mul(this.momentum, this.mean.value), tf.mul(1 - this.momentum, m));
      const nextVar = tf.add(tf.mul(this.momentum, this.var.value), tf.mul(1 - this.momentum, v));
      return [out, nextMean, nextVar];
    });
    this.mean.value = mean!;
    this.var.value = variance!;
    return y!;
  }
}

/**
 * NNX `LayerNorm` over the last axis (epsilon 1e-6, Flax's fast variance).
 *
 * @example
 * ```ts
 * const ln = new LayerNorm(4, { rngs: new Rngs(0) });
 * ln.call(tf.ones([2, 4]));
 * ```
 */
export class LayerNorm extends Module {
  declare scale: Param<tf.Tensor> | null;
  declare bias: Param<tf.Tensor> | null;
  declare numFeatures: number;
  declare epsilon: number;

  constructor(numFeatures: number, options: NormOptions) {
    super();
    const { rngs, epsilon = 1e-6, useScale = true, useBias = true } = options;
    this.numFeatures = numFeatures;
    this.epsilon = epsilon;
    this.scale = useScale ? new Param(ones(rngs.params.call(), [numFeatures])) : null;
    this.bias = useBias ? new Param(zeros(rngs.params.call(), [numFeatures])) : null;
  }

  /** Normalises `x` over its last axis. */
  call(x: tf.Tensor): tf.Tensor {
    checkFeatures('LayerNorm', x, this.numFeatures);
    return tf.tidy(() => {
      const axis = x.shape.length - 1;
      const [m, v] = stats(x, [axis]);
      return normalize(x, tf.expandDims(m, axis), tf.expandDims(v, axis), this.epsilon, this.scale, this.bias);
    });
  }
}

/**
 * NNX `RMSNorm` over the last axis: `x * rsqrt(mean(x²) + eps) * scale` (epsilon 1e-6).
 *
 * @example
 * ```ts
 * const rms = new RMSNorm(4, { rngs: new Rngs(0) });
 * rms.call(tf.ones([2, 4]));
 * ```
 */
export class RMSNorm extends Module {
  declare scale: Param<tf.Tensor> | null;
  declare numFeatures: number;
  declare epsilon: number;

  constructor(numFeatures: number, options: Omit<NormOptions, 'useBias'>) {
    super();
    const { rngs, epsilon = 1e-6, useScale = true } = options;
    this.numFeatures = numFeatures;
    this.epsilon = epsilon;
    this.scale = useScale ? new Param(ones(rngs.params.call(), [numFeatures])) : null;
  }

  /** Normalises `x` over its last axis by its root mean square. */
  call(x: tf.Tensor): tf.Tensor {
    checkFeatures('RMSNorm', x, this.numFeatures);
    return tf.tidy(() => {
      const axis = x.shape.length - 1;
      const variance = tf.mean(tf.square(x), axis, true);
      return normalize(x, null, variance, this.epsilon, this.scale, null);
    });
  }
}
