import * as tf from '@tensorflow/tfjs-core';
import { normalValues, truncatedNormalValues, uniformValues } from '@nnx-ts/rng';
import type { KeyArray } from '@nnx-ts/rng';

/** A `jax.nn.initializers` initializer: `(key, shape, dtype) => tensor`. */
export type Initializer = (key: KeyArray, shape: readonly number[], dtype?: tf.DataType) => tf.Tensor;

/** How `varianceScaling` picks its denominator. */
export type FanMode = 'fan_in' | 'fan_out' | 'fan_avg' | 'fan_geo_avg';
/** Which distribution `varianceScaling` samples. */
export type Distribution = 'truncated_normal' | 'normal' | 'uniform';

/** Options of {@link varianceScaling}: the fan axes (JAX's `in_axis`, `out_axis`, `batch_axis`). */
export interface FanAxes {
  inAxis?: number | readonly number[];
  outAxis?: number | readonly number[];
  batchAxis?: number | readonly number[];
}

const fr = Math.fround;
// Standard deviation of a standard normal truncated to (-2, 2).
const TRUNCATED_STDDEV = fr(0.87962566103423978);

function axisSize(shape: readonly number[], axis: number | readonly number[]): number {
  const axes = typeof axis === 'number' ? [axis] : axis;
  return axes.reduce((n, a) => n * shape[a < 0 ? shape.length + a : a]!, 1);
}

/**
 * Fan-in and fan-out of a weight shape, as JAX's `_compute_fans`.
 *
 * @example
 * ```ts
 * computeFans([3, 3, 8, 16]); // [72, 144]
 * ```
 */
export function computeFans(shape: readonly number[], axes: FanAxes = {}): [number, number] {
  const { inAxis = -2, outAxis = -1, batchAxis = [] } = axes;
  if (inAxis === -2 && shape.length <= 1) {
    throw new RangeError(`cannot compute fans of a ${shape.length}-dimensional shape with the default inAxis`);
  }
  const inSize = axisSize(shape, inAxis);
  const outSize = axisSize(shape, outAxis);
  const batchSize = axisSize(shape, batchAxis);
  const receptive = shape.reduce((n, d) => n * d, 1) / inSize / outSize / batchSize;
  return [inSize * receptive, outSize * receptive];
}

function scaled(values: Float32Array, factor: number, shape: readonly number[], dtype: tf.DataType): tf.Tensor {
  for (let i = 0; i < values.length; i++) values[i] = fr(values[i]! * factor);
  return tf.tensor(values, [...shape], dtype);
}

/**
 * `jax.nn.initializers.variance_scaling`: samples with variance `scale / fan`, rounded in float32 as JAX does.
 *
 * @example
 * ```ts
 * const init = varianceScaling(2, 'fan_in', 'normal');
 * init(key(0), [3, 4]);
 * ```
 */
export function varianceScaling(scale: number, mode: FanMode, distribution: Distribution, axes: FanAxes = {}): Initializer {
  return (key, shape, dtype = 'float32') => {
    const [fanIn, fanOut] = computeFans(shape, axes);
    const denominator = { fan_in: fanIn, fan_out: fanOut, fan_avg: (fanIn + fanOut) / 2, fan_geo_avg: Math.sqrt(fanIn * fanOut) }[mode];
    const variance = fr(scale / denominator);
    if (distribution === 'truncated_normal') {
      return scaled(truncatedNormalValues(key, -2, 2, shape), fr(fr(Math.sqrt(variance)) / TRUNCATED_STDDEV), shape, dtype);
    }
    if (distribution === 'normal') return scaled(normalValues(key, shape), fr(Math.sqrt(variance)), shape, dtype);
    return scaled(uniformValues(key, shape, -1, 1), fr(Math.sqrt(fr(3 * variance))), shape, dtype);
  };
}

/** LeCun normal: `varianceScaling(1, 'fan_in', 'truncated_normal')` (Flax's default kernel init).
 * @example
 * ```ts
 * lecunNormal()(key(0), [3, 4]);
 * ```
 */
export const lecunNormal = (axes: FanAxes = {}): Initializer => varianceScaling(1, 'fan_in', 'truncated_normal', axes);
/** LeCun uniform. @example `lecunUniform()(key(0), [3, 4])` */
export const lecunUniform = (axes: FanAxes = {}): Initializer => varianceScaling(1, 'fan_in', 'uniform', axes);
/** He (Kaiming) normal. @example `heNormal()(key(0), [3, 4])` */
export const heNormal = (axes: FanAxes = {}): Initializer => varianceScaling(2, 'fan_in', 'truncated_normal', axes);
/** He (Kaiming) uniform. @example `heUniform()(key(0), [3, 4])` */
export const heUniform = (axes: FanAxes = {}): Initializer => varianceScaling(2, 'fan_in', 'uniform', axes);
/** Glorot (Xavier) normal. @example `glorotNormal()(key(0), [3, 4])` */
export const glorotNormal = (axes: FanAxes = {}): Initializer => varianceScaling(1, 'fan_avg', 'truncated_normal', axes);
/** Glorot (Xavier) uniform. @example `glorotUniform()(key(0), [3, 4])` */
export const glorotUniform = (axes: FanAxes = {}): Initializer => varianceScaling(1, 'fan_avg', 'uniform', axes);
/** Alias of {@link glorotNormal}. @example `xavierNormal()(key(0), [3, 4])` */
export const xavierNormal = glorotNormal;
/** Alias of {@link glorotUniform}. @example `xavierUniform()(key(0), [3, 4])` */
export const xavierUniform = glorotUniform;

/** `normal(stddev)`: `N(0, stddev²)`. @example `normal(0.02)(key(0), [3])` */
export const normal = (stddev = 1e-2): Initializer => (key, shape, dtype = 'float32') =>
  scaled(normalValues(key, shape), fr(stddev), shape, dtype);
/** `uniform(scale)`: `U[0, scale)`. @example `uniform(1)(key(0), [3])` */
export const uniform = (scale = 1e-2): Initializer => (key, shape, dtype = 'float32') =>
  scaled(uniformValues(key, shape, 0, 1), fr(scale), shape, dtype);
/** `truncated_normal(stddev, lower, upper)`. @example `truncatedNormal(0.02)(key(0), [3])` */
export const truncatedNormal = (stddev = 1e-2, lower = -2, upper = 2): Initializer => (key, shape, dtype = 'float32') =>
  scaled(truncatedNormalValues(key, lower, upper, shape), fr(stddev), shape, dtype);
/** Zeros (ignores the key). @example `zeros(key(0), [3])` */
export const zeros: Initializer = (_key, shape, dtype = 'float32') => tf.zeros([...shape], dtype);
/** Ones (ignores the key). @example `ones(key(0), [3])` */
export const ones: Initializer = (_key, shape, dtype = 'float32') => tf.ones([...shape], dtype);
/** A constant. @example `constant(0.5)(key(0), [3])` */
export const constant = (value: number): Initializer => (_key, shape, dtype = 'float32') => tf.fill([...shape], value, dtype);
