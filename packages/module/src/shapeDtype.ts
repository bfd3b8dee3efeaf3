import type * as tf from '@tensorflow/tfjs-core';

const SHAPE_DTYPE = Symbol.for('nnx-ts.ShapeDtype');

/**
 * An abstract array: only a shape and a dtype (Flax's `jax.ShapeDtypeStruct`). A Variable holding one was made by
 * {@link evalShape}; a {@link LazyValue} is one that can still compute its value.
 *
 * @example
 * ```ts
 * const a = new ShapeDtype([2, 3], 'float32');
 * a.size; // 6
 * ```
 */
export class ShapeDtype {
  declare readonly [SHAPE_DTYPE]: true;
  constructor(
    readonly shape: readonly number[],
    readonly dtype: string,
  ) {}
  /** Number of elements. */
  get size(): number {
    let n = 1;
    for (const d of this.shape) n *= d;
    return n;
  }
  toString(): string {
    return `ShapeDtype(shape=[${this.shape.join(', ')}], dtype=${this.dtype})`;
  }
  static [Symbol.hasInstance](x: unknown): boolean {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[SHAPE_DTYPE] === true;
  }
}
Object.defineProperty(ShapeDtype.prototype, SHAPE_DTYPE, { value: true });

/**
 * A value computed on first read: a Variable constructed with one runs `init` only when its value is read, and
 * never if its value is replaced first (e.g. by `update` from a checkpoint).
 *
 * @example
 * ```ts
 * const p = new Param(lazy([2, 3], 'float32', () => tf.randomNormal([2, 3])));
 * p.shape; // [2, 3], nothing computed yet
 * ```
 */
export class LazyValue<T = tf.Tensor> extends ShapeDtype {
  constructor(
    shape: readonly number[],
    dtype: string,
    readonly init: () => T,
  ) {
    super(shape, dtype);
  }
}

/**
 * Creates a {@link LazyValue}.
 *
 * @example
 * ```ts
 * const kernel = new Param(lazy([4, 4], 'float32', () => tf.zeros([4, 4])));
 * ```
 */
export function lazy<T = tf.Tensor>(shape: readonly number[], dtype: string, init: () => T): LazyValue<T> {
  return new LazyValue(shape, dtype, init);
}

/**
 * Whether `x` is a ShapeDtype (abstract or lazy).
 *
 * @example
 * ```ts
 * isShapeDtype(new ShapeDtype([2], 'float32')); // true
 * ```
 */
export function isShapeDtype(x: unknown): x is ShapeDtype {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[SHAPE_DTYPE] === true;
}

/**
 * Whether `x` is a LazyValue.
 *
 * @example
 * ```ts
 * isLazyValue(lazy([2], 'float32', () => tf.zeros([2]))); // true
 * ```
 */
export function isLazyValue(x: unknown): x is LazyValue<unknown> {
  return isShapeDtype(x) && typeof (x as LazyValue<unknown>).init === 'function';
}
