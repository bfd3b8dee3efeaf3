import { FlattenCache, TransformError } from '@nnx-ts/module';
import { assertSyncFunction } from './asyncGuard.js';
import { runInPlace } from './inPlace.js';
import { applyTransform, dispatchTransform, type AnyFunction } from './transformDecorator.js';

/**
 * Options of {@link jit}.
 *
 * @example
 * ```ts
 * const f = jit((x: tf.Tensor, act: string) => (act === 'relu' ? tf.relu(x) : x), { staticArgnums: [1] });
 * ```
 */
export interface JitOptions {
  /**
   * Positions of arguments that are static (NNX `static_argnums`; with a decorated method, `this` is
   * argument 0). TF.js runs eagerly, so static arguments are passed through untouched and are not scanned
   * for state; negative positions count from the end.
   */
  readonly staticArgnums?: number | readonly number[];
}

/**
 * A TC39 method decorator (or function wrapper) produced by `jit(options)`.
 *
 * @example
 * ```ts
 * class Model extends Module { @jit() step(x: tf.Tensor) { return this.call(x); } }
 * ```
 */
export type JitDecorator = <F extends AnyFunction>(fn: F, context?: ClassMethodDecoratorContext) => F;

function normalizeStatic(staticArgnums: JitOptions['staticArgnums']): readonly number[] {
  if (staticArgnums === undefined) return [];
  const list = typeof staticArgnums === 'number' ? [staticArgnums] : staticArgnums;
  for (const n of list) {
    if (!Number.isInteger(n)) throw new TransformError(`jit: staticArgnums must be integers, got ${String(n)}.`);
  }
  return list;
}

/**
 * What {@link jitCacheInfo} reports about a jitted function's cache of argument graphs.
 *
 * @example
 * ```ts
 * const { hits, misses, size }: JitCacheInfo = jitCacheInfo(step);
 * ```
 */
export interface JitCacheInfo {
  /** Calls whose argument graphs matched a cached GraphDef (no flatten). */
  readonly hits: number;
  /** Calls that flattened their arguments (first call, or a structure, static value or argument change). */
  readonly misses: number;
  /** Argument graphs remembered (at most 4). */
  readonly size: number;
}

const caches = new WeakMap<AnyFunction, FlattenCache>();

/**
 * Cache statistics of a function made by {@link jit} (or a method decorated with it), like `jax.jit`'s
 * `_cache_size()`: a call on arguments whose graph is unchanged since an earlier call — same objects, same
 * attributes, same static values and Variable metadata; new input arrays are fine — reuses that call's GraphDef and
 * Variable list instead of flattening the arguments again.
 *
 * @throws {@link TransformError} when `fn` was not made by `jit`.
 * @example
 * ```ts
 * const step = jit((m: Model, x: tf.Tensor) => m.call(x));
 * step(model, x1);
 * step(model, x2);
 * jitCacheInfo(step); // { hits: 1, misses: 1, size: 1 }
 * ```
 */
export function jitCacheInfo(fn: AnyFunction): JitCacheInfo {
  const cache = caches.get(fn);
  if (cache === undefined) throw new TransformError(`jitCacheInfo: ${fn.name || 'the function'} was not made by jit.`);
  return { hits: cache.hits, misses: cache.misses, size: cache.size };
}

function jitFunction(fn: AnyFunction, options: JitOptions): AnyFunction {
  assertSyncFunction(fn, 'jit');
  const staticArgnums = normalizeStatic(options.staticArgnums);
  const cache = new FlattenCache();
  const jitted = function (this: unknown, ...args: unknown[]): unknown {
    const isStatic = (i: number) => staticArgnums.some((n) => (n < 0 ? args.length + n : n) === i);
    const stateRoots = staticArgnums.length === 0 ? args : args.filter((_, i) => !isStatic(i));
    // `this` (a decorated method's module) is argument 0 and carries state like any argument.
    const roots = this === undefined ? stateRoots : [this, ...stateRoots];
    return runInPlace('jit', roots, () => fn.apply(this, args), cache);
  };
  Object.defineProperty(jitted, 'name', { value: `jit(${fn.name || 'anonymous'})` });
  caches.set(jitted, cache);
  return jitted;
}

/** A jitted function or decorated method that {@link jitCacheInfo} knows. */
function jitApplied(fn: AnyFunction, context: unknown, options: JitOptions): AnyFunction {
  let jitted!: AnyFunction;
  const out = applyTransform(fn, context, (f) => (jitted = jitFunction(f, options)));
  caches.set(out, caches.get(jitted)!);
  return out;
}

/**
 * Lifted `jax.jit` for eager TF.js: runs `fn` on the caller's objects inside one `tf.tidy` scope, so every
 * intermediate tensor is freed while state changes (Variable values, static attributes, structure, Variables
 * created inside) stay on the caller's objects and outputs belong to the caller. Outputs that are inputs are
 * the identical objects. If `fn` throws, the arguments are rolled back to their state before the call; writing a
 * Variable captured by closure (not reachable from the arguments) is a `TransformError`. Like `nnx.jit`, calls are
 * cached per argument GraphDef: a call whose argument graph is unchanged since an earlier one skips flattening it
 * (see {@link jitCacheInfo}). Use as a higher-order function or as a TC39 method decorator (`this` counts as
 * argument 0). `async` functions are rejected with a `TransformError`.
 *
 * @example
 * ```ts
 * const trainStep = jit((model: Model, optimizer: Optimizer<Model>, x: tf.Tensor, y: tf.Tensor) => {
 *   const [loss, grads] = valueAndGrad((m: Model) => tf.mean(tf.square(tf.sub(m.call(x), y))))(model);
 *   optimizer.update(model, grads);
 *   return loss;
 * });
 * const loss = trainStep(model, optimizer, x, y); // only `loss` and the updated state remain allocated
 * ```
 */
export function jit<F extends AnyFunction>(fn: F, options?: JitOptions): F;
/** Bare method-decorator form: `@jit` on a method. */
export function jit<F extends AnyFunction>(method: F, context: ClassMethodDecoratorContext): F;
/** Decorator / curried form: `@jit()` or `@jit({ staticArgnums: [1] })` on a method, or `jit(options)(fn)`. */
export function jit(options?: JitOptions): JitDecorator;
export function jit(fnOrOptions?: AnyFunction | JitOptions, maybeOptions?: JitOptions | ClassMethodDecoratorContext): any {
  return dispatchTransform(fnOrOptions, maybeOptions, jitApplied);
}
