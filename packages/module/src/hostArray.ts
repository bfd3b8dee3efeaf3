import * as tf from '@tensorflow/tfjs-core';

/**
 * Brand of host arrays: `Symbol.for('nnx-ts.HostArray')`.
 *
 * @example
 * ```ts
 * const h = { [HOST_ARRAY]: true, shape: [], dtype: 'uint32', data: new Uint32Array([0]), clone() { return h; } };
 * ```
 */
export const HOST_ARRAY: unique symbol = Symbol.for('nnx-ts.HostArray') as any;

/**
 * An array leaf that lives on the host (RNG keys and counts): row-major uint32 words plus a logical shape.
 *
 * @example
 * ```ts
 * if (isHostArray(x)) console.log(x.dtype, x.shape);
 * ```
 */
export interface HostArray {
  readonly [HOST_ARRAY]: true;
  /** Logical shape. */
  readonly shape: readonly number[];
  /** Dtype name, e.g. `'uint32'` or `'key<fry>'`. */
  readonly dtype: string;
  /** Row-major words (for a key array: shape + [2] words). */
  readonly data: Uint32Array;
  /** A copy with its own words. */
  clone(): HostArray;
}

/**
 * Whether `x` is a host array (branded, works across installed copies).
 *
 * @example
 * ```ts
 * isHostArray(tf.scalar(1)); // false
 * ```
 */
export function isHostArray(x: unknown): x is HostArray {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[HOST_ARRAY] === true;
}

/**
 * A tensor or a host array: the leaves of state.
 *
 * @example
 * ```ts
 * const leaf: ArrayLeaf = tf.zeros([2]);
 * ```
 */
export type ArrayLeaf = tf.Tensor | HostArray;

/**
 * Whether `x` is an array leaf: a `tf.Tensor` or a {@link HostArray}.
 *
 * @example
 * ```ts
 * isArrayLeaf(tf.zeros([2])); // true
 * ```
 */
export function isArrayLeaf(x: unknown): x is ArrayLeaf {
  return x instanceof tf.Tensor || isHostArray(x);
}
