import * as tf from '@tensorflow/tfjs-core';
import { brand, brandedHasInstance } from './brand.js';
import { StateError } from './errors.js';
import { isHostArray } from './hostArray.js';
import { isLazyValue, isShapeDtype, type LazyValue, type ShapeDtype } from './shapeDtype.js';
import { MetadataValue, normalizeMetadata } from './withMetadata.js';
import { VARIABLE_TRACE, checkWritable, journalDisplaced, registerCreated, type Trace } from './trace.js';

/**
 * Brand of every Variable: `Symbol.for('nnx-ts.Variable')`.
 *
 * @example
 * ```ts
 * (new Param(1) as any)[VARIABLE_BRAND]; // true
 * ```
 */
export const VARIABLE_BRAND: unique symbol = Symbol.for('nnx-ts.Variable') as any;

/**
 * Variable metadata: free-form entries (e.g. `sharding_names`, `tag`).
 *
 * @example
 * ```ts
 * const p = new Param(tf.zeros([2]), { sharding_names: ['model'] } satisfies VariableMetadata);
 * ```
 */
export type VariableMetadata = Record<string, unknown>;

/**
 * A Variable class, as accepted by filters and the name registry.
 *
 * @example
 * ```ts
 * const t: VariableType = BatchStat;
 * ```
 */
export type VariableType<V extends Variable<any> = Variable<any>> = (abstract new (...args: any[]) => V) & {
  prototype: V;
};

/**
 * Whether `x` is a Variable (any subclass, any installed copy). Cheaper than `instanceof`.
 *
 * @example
 * ```ts
 * isVariable(new Param(1)); // true
 * ```
 */
export function isVariable(x: unknown): x is Variable<any> {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[VARIABLE_BRAND] === true;
}

/** Marks `x` (if a tensor) as owned by a Variable: it must survive any enclosing tf.tidy. */
export function own<T>(x: T): T {
  if (x instanceof tf.Tensor) tf.keep(x);
  return x;
}

function disposeIfTensor(x: unknown): void {
  if (x instanceof tf.Tensor && !x.isDisposed) x.dispose();
}

/**
 * A second owner of `x`: tensors are cloned (shared storage, reference counted), everything else shared.
 *
 * @example
 * ```ts
 * const mine = shareValue(model.kernel.value); // a tf.clone: dispose it when done
 * ```
 */
export function shareValue<T>(x: T): T {
  return (x instanceof tf.Tensor ? tf.clone(x) : x) as T;
}

/**
 * A mutable box holding one value (usually a `tf.Tensor`) plus metadata. The subclass says what the value is
 * (`Param`, `BatchStat`, ...), which is what filters select on.
 *
 * A Variable owns its tensor: assigning `value` disposes the previous tensor unless it is the same one, and the
 * tensor is `tf.keep`-ed so that an enclosing `tf.tidy` does not free it. Inside a transform, only Variables the
 * transformed function received through its arguments (or created) may be written; writing one captured by
 * closure is a `TransformError` (see {@link Trace}).
 *
 * @example
 * ```ts
 * const w = new Param(tf.zeros([2, 3]));
 * w.value = tf.ones([2, 3]); // the zeros tensor is disposed
 * w.shape; // [2, 3]
 * ```
 */
export class Variable<T = any> {
  declare readonly [VARIABLE_BRAND]: true;
  /** The trace this Variable may be written from; absent at the top level. */
  declare [VARIABLE_TRACE]?: Trace;
  /** The stored value: a {@link LazyValue} not yet computed, or a {@link ShapeDtype} in an abstract model. */
  raw: T | ShapeDtype;
  /** Free-form metadata; its entries are part of the GraphDef. */
  metadata: VariableMetadata;

  constructor(value: T | MetadataValue<T> | LazyValue<T | MetadataValue<T>> | ShapeDtype, metadata?: VariableMetadata) {
    if (isVariable(value)) {
      throw new StateError('Cannot assign a Variable as the value of a Variable; use updateFromState or copy');
    }
    this.metadata = metadata === undefined ? {} : { ...normalizeMetadata(metadata) };
    if (value instanceof MetadataValue) {
      Object.assign(this.metadata, value.metadata);
      this.raw = own(value.value);
    } else this.raw = own(value as T | ShapeDtype);
    registerCreated(this);
  }

  /**
   * Builds a Variable of type `cls` without running its constructor (what merge does for raw leaves).
   *
   * @example
   * ```ts
   * const p = Variable.fromMetadata.call(Param, tf.zeros([2]), {});
   * ```
   */
  static fromMetadata<V extends Variable<any>>(this: VariableType<V>, value: unknown, metadata: VariableMetadata): V {
    const v = Object.create(this.prototype) as V;
    v.raw = value;
    v.metadata = { ...metadata };
    registerCreated(v);
    return v;
  }

  /** The value; computes a lazy initializer on first read. */
  get value(): T {
    const raw = this.raw;
    if (isShapeDtype(raw)) {
      if (isLazyValue(raw)) {
        let computed = raw.init() as T;
        if (computed instanceof MetadataValue) {
          Object.assign(this.metadata, computed.metadata);
          computed = computed.value as T;
        }
        this.raw = own(computed);
        return computed;
      }
      throw new StateError(`${this.constructor.name} is abstract (${String(raw)}); it has no value`);
    }
    return raw as T;
  }

  set value(next: T) {
    if (isVariable(next)) {
      throw new StateError('Cannot assign a Variable as the value of a Variable; use updateFromState or copy');
    }
    const trace = checkWritable(this);
    const prev = this.raw;
    this.raw = own(next);
    // Inside a journaling transform the value held before the first write is kept, for rollback.
    if (prev !== next && !journalDisplaced(this, trace, prev)) disposeIfTensor(prev);
  }

  /** Shape of the value (without computing a lazy value). */
  get shape(): number[] {
    const raw = this.raw as unknown;
    if (raw instanceof tf.Tensor) return raw.shape;
    if (isHostArray(raw) || isShapeDtype(raw)) return [...raw.shape];
    return [];
  }

  /** Dtype of the value (without computing a lazy value); `'object'` for non-array values. */
  get dtype(): string {
    const raw = this.raw as unknown;
    if (raw instanceof tf.Tensor || isHostArray(raw) || isShapeDtype(raw)) return raw.dtype;
    if (typeof raw === 'number') return 'float32';
    return 'object';
  }

  /** Number of elements of the value. */
  get size(): number {
    let n = 1;
    for (const d of this.shape) n *= d;
    return n;
  }

  /**
   * A new Variable of the same type with a second owner of the value (a tensor is `tf.clone`d) and shallow-copied
   * metadata.
   *
   * @example
   * ```ts
   * const c = w.copy(); c.value === w.value; // false (a clone), same data
   * ```
   */
  copy(): this {
    const ctor = this.constructor as VariableType<this> & typeof Variable;
    return ctor.fromMetadata.call(ctor, own(shareValue(this.raw)), this.metadata) as this;
  }

  /**
   * A new Variable of the same type holding `value` (ownership passes to it) with metadata merged.
   *
   * @example
   * ```ts
   * const w2 = w.replace(tf.ones([2, 3]));
   * ```
   */
  replace(value: T, metadata?: VariableMetadata): this {
    const ctor = this.constructor as VariableType<this> & typeof Variable;
    const v = ctor.fromMetadata.call(ctor, own(value), this.metadata) as this;
    if (metadata !== undefined) Object.assign(v.metadata, metadata);
    return v;
  }

  /**
   * Takes the value (a second owner: tensors are cloned) and, when different, the metadata of `other`.
   *
   * @example
   * ```ts
   * w.updateFromState(other);
   * ```
   */
  updateFromState(other: Variable<T>): void {
    if (other === this) return;
    checkWritable(this);
    this.value = shareValue(other.raw) as T;
    if (!shallowEqual(this.metadata, other.metadata)) this.metadata = { ...other.metadata };
  }

  /**
   * Copies value (a second owner) and metadata from another Variable of the same type.
   *
   * @example
   * ```ts
   * w.copyFrom(other);
   * ```
   */
  copyFrom(other: Variable<T>): void {
    if (other.constructor !== this.constructor) {
      throw new StateError(`copyFrom: expected ${this.constructor.name}, got ${other.constructor.name}`);
    }
    this.updateFromState(other);
  }

  /** Disposes the value if it is a tensor. The Variable must not be read afterwards. */
  dispose(): void {
    disposeIfTensor(this.raw);
  }

  static [Symbol.hasInstance](x: unknown): boolean {
    return brandedHasInstance(this, x);
  }
}
brand(Variable, 'Variable');

function shallowEqual(a: VariableMetadata, b: VariableMetadata): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k] || !(k in b)) return false;
  return true;
}

/**
 * Trainable parameters (collection `params`).
 *
 * @example
 * ```ts
 * const kernel = new Param(tf.randomNormal([3, 4]));
 * ```
 */
export class Param<T = any> extends Variable<T> {}
brand(Param, 'Param');

/**
 * Batch statistics such as BatchNorm's running mean (collection `batch_stats`).
 *
 * @example
 * ```ts
 * const mean = new BatchStat(tf.zeros([4]));
 * ```
 */
export class BatchStat<T = any> extends Variable<T> {}
brand(BatchStat, 'BatchStat');

/**
 * Autoregressive caches (collection `cache`).
 *
 * @example
 * ```ts
 * const k = new Cache(tf.zeros([1, 8, 4]));
 * ```
 */
export class Cache<T = any> extends Variable<T> {}
brand(Cache, 'Cache');

/**
 * Values recorded by `sow` (collection `intermediates`).
 *
 * @example
 * ```ts
 * const i = new Intermediate([tf.scalar(1)]);
 * ```
 */
export class Intermediate<T = any> extends Variable<T> {}
brand(Intermediate, 'Intermediate');

/**
 * Zero-valued perturbations added by `perturb` to read intermediate gradients (collection `perturbations`).
 *
 * @example
 * ```ts
 * const p = new Perturbation(tf.zeros([2]));
 * ```
 */
export class Perturbation<T = any> extends Intermediate<T> {}
brand(Perturbation, 'Perturbation');

/**
 * RNG state; `tag` (metadata) is the stream name and is what string filters match.
 *
 * @example
 * ```ts
 * const count = new RngCount(hostCount, { tag: 'dropout' });
 * count.tag; // 'dropout'
 * ```
 */
export class RngState<T = any> extends Variable<T> {
  /** The stream name (metadata entry `tag`). */
  get tag(): string {
    return this.metadata.tag as string;
  }
}
brand(RngState, 'RngState');

/**
 * An RNG stream's key (a host key array).
 *
 * @example
 * ```ts
 * const key = new RngKey(keyArray, { tag: 'default' });
 * ```
 */
export class RngKey<T = any> extends RngState<T> {}
brand(RngKey, 'RngKey');

/**
 * An RNG stream's count (a host uint32 array).
 *
 * @example
 * ```ts
 * const count = new RngCount(hostCount, { tag: 'default' });
 * ```
 */
export class RngCount<T = any> extends RngState<T> {}
brand(RngCount, 'RngCount');

/**
 * Optimizer state (step count, moments).
 *
 * @example
 * ```ts
 * const step = new OptState(tf.scalar(0, 'int32'));
 * ```
 */
export class OptState<T = any> extends Variable<T> {}
brand(OptState, 'OptState');
