import * as tf from '@tensorflow/tfjs-core';
import { Param, TransformError, type Filter, type State, type Variable } from '@nnx-ts/module';
import { ensureGradients } from '@nnx-ts/backend';
import { assertNotPromise, assertSyncFunction } from './asyncGuard.js';
import { adoptKeptTensors, disposeTapeSince, tapeLength } from './engineScope.js';
import { diffVariables, gradientState, isGraphArgument, type DiffEntry } from './diffState.js';
import { collectTensors } from './tensorWalk.js';
import { runInPlace } from './inPlace.js';
import type { AnyFunction } from './transformDecorator.js';

/**
 * Selects which part of a graph-node argument is differentiated (NNX `DiffState`): `argnum` is the argument
 * position, `filter` picks the Variables (default for plain argnums: `Param`).
 *
 * @example
 * ```ts
 * const g = grad((m: Model) => loss(m), { argnums: new DiffState(0, BatchStat) })(model); // BatchStat grads
 * ```
 */
export class DiffState<N extends number = number> {
  constructor(
    readonly argnum: N,
    readonly filter: Filter,
  ) {}
}

/**
 * Options of {@link grad} and {@link valueAndGrad}.
 *
 * @example
 * ```ts
 * const [[loss, logits], grads] = valueAndGrad(lossFn, { argnums: new DiffState(0, Param), hasAux: true })(model, x);
 * ```
 */
export interface GradOptions {
  /** Differentiated argument(s): a position, a {@link DiffState}, or a list mixing both. Default 0. */
  readonly argnums?: Argnum | readonly Argnum[];
  /** When true, `fn` returns `[loss, aux]` and `aux` is passed through. */
  readonly hasAux?: boolean;
}

/**
 * Gradient of one differentiated argument: a State for graph nodes (Modules, containers), a Variable for a bare
 * Variable, else a tensor.
 *
 * @example
 * ```ts
 * const g: ArgGrad = grad((x: tf.Tensor) => tf.sum(x))(tf.ones([2]));
 * ```
 */
export type ArgGrad = State | Variable<tf.Tensor> | tf.Tensor;

/**
 * One entry of `argnums`: an argument position or a {@link DiffState}.
 *
 * @example
 * ```ts
 * const argnums: Argnum[] = [0, new DiffState(1, BatchStat)];
 * ```
 */
export type Argnum = number | DiffState;

/**
 * The gradient type of an argument of type `P` (see {@link ArgGrad}): a tensor's is a tensor, a bare Variable's a
 * Variable, any other graph node's (Module, array or object of Variables) a `State`.
 *
 * @example
 * ```ts
 * type G = GradOf<Model>; // State
 * ```
 */
export type GradOf<P> = P extends tf.Tensor ? tf.Tensor : P extends Variable<any> ? Variable<tf.Tensor> : State;

/**
 * The gradient type of the argument that one `argnums` entry `A` selects among the argument types `Args`.
 *
 * @example
 * ```ts
 * type G = GradAt<[Model, tf.Tensor], 1>; // tf.Tensor
 * ```
 */
export type GradAt<Args extends readonly unknown[], A> = A extends DiffState<infer N> ? GradOf<Args[N]> : A extends number ? GradOf<Args[A]> : ArgGrad;

/**
 * What `grad` returns for a function `F` and options `O`: one gradient for a single argnum (default 0), a tuple for a
 * list, typed per argument with {@link GradOf}.
 *
 * @example
 * ```ts
 * type G = GradsOf<(m: Model, x: tf.Tensor) => tf.Scalar, { argnums: [0, 1] }>; // [State, tf.Tensor]
 * ```
 */
export type GradsOf<F extends AnyFunction, O extends GradOptions> = O['argnums'] extends readonly unknown[]
  ? GradTuple<Parameters<F>, O['argnums']>
  : GradAt<Parameters<F>, undefined extends O['argnums'] ? 0 : O['argnums']>;

/**
 * The gradient types for a list of argnums `A` (a mapped type over a type parameter, so tuples stay tuples).
 *
 * @example
 * ```ts
 * type G = GradTuple<[Model, tf.Tensor], [0, 1]>; // [State, tf.Tensor]
 * ```
 */
export type GradTuple<Args extends readonly unknown[], A extends readonly unknown[]> = { -readonly [K in keyof A]: GradAt<Args, A[K]> };

/**
 * The `aux` part of `fn`'s `[loss, aux]` result under `hasAux`.
 *
 * @example
 * ```ts
 * type A = AuxOf<(m: Model) => [tf.Scalar, tf.Tensor]>; // tf.Tensor
 * ```
 */
export type AuxOf<F extends AnyFunction> = ReturnType<F> extends readonly [unknown, infer A] ? A : unknown;

interface NormalizedArgnums {
  readonly entries: readonly DiffState[];
  readonly single: boolean;
}

function normalizeArgnums(argnums: GradOptions['argnums']): NormalizedArgnums {
  const raw = argnums ?? 0;
  const single = !Array.isArray(raw);
  const list = (single ? [raw] : raw) as readonly (number | DiffState)[];
  if (list.length === 0) throw new TransformError('grad: argnums must not be empty.');
  const entries = list.map((a) => (a instanceof DiffState ? a : new DiffState(a, Param)));
  const seen = new Set<number>();
  for (const { argnum } of entries) {
    if (!Number.isInteger(argnum) || argnum < 0) throw new TransformError(`grad: argnums must be non-negative integers, got ${String(argnum)}.`);
    if (seen.has(argnum)) throw new TransformError(`grad: argnum ${argnum} appears more than once in argnums.`);
    seen.add(argnum);
  }
  return { entries, single };
}

interface Target {
  readonly argnum: number;
  /** Graph-node argument: its selected Variables; tensor argument: undefined. */
  readonly variables?: readonly DiffEntry[];
}

function resolveTargets(args: readonly unknown[], spec: NormalizedArgnums): Target[] {
  return spec.entries.map(({ argnum, filter }) => {
    if (argnum >= args.length) {
      throw new TransformError(`grad: argnum ${argnum} is out of range for a call with ${args.length} argument(s).`);
    }
    const arg = args[argnum];
    if (arg instanceof tf.Tensor) {
      if (arg.dtype !== 'float32') throw new TransformError(`grad: argument ${argnum} has dtype ${arg.dtype}; only float32 tensors are differentiable.`);
      return { argnum };
    }
    if (isGraphArgument(arg)) return { argnum, variables: diffVariables(arg, filter) };
    throw new TransformError(`grad: argument ${argnum} is neither a tensor nor a graph node (got ${arg === null ? 'null' : typeof arg}).`);
  });
}

interface RawResult {
  readonly value: tf.Tensor;
  readonly aux: unknown;
  readonly grads: readonly ArgGrad[];
}

function differentiate(fn: AnyFunction, self: unknown, args: unknown[], spec: NormalizedArgnums, hasAux: boolean, name: string): RawResult {
  const targets = resolveTargets(args, spec);
  const xs: tf.Tensor[] = [];
  for (const t of targets) {
    if (t.variables === undefined) xs.push(args[t.argnum] as tf.Tensor);
    else for (const entry of t.variables) xs.push(entry.variable.value as tf.Tensor);
  }
  const before = new Set(collectTensors(args));
  let aux: unknown;
  let kept: tf.Tensor[] = [];
  const forward = (): tf.Tensor => {
    const start = tapeLength();
    try {
      return forwardPass();
    } catch (error) {
      disposeTapeSince(start);
      throw error;
    }
  };
  const forwardPass = (): tf.Tensor => {
    const result = fn.apply(self, args);
    assertNotPromise(result, name);
    let loss: unknown = result;
    if (hasAux) {
      if (!Array.isArray(result) || result.length !== 2) {
        throw new TransformError(`${name} with hasAux: the function must return [loss, aux], got ${Array.isArray(result) ? `an array of ${result.length}` : typeof result}.`);
      }
      [loss, aux] = result;
    }
    if (!(loss instanceof tf.Tensor) || loss.rank !== 0) {
      throw new TransformError(`${name}: the function must return a scalar tensor${hasAux ? ' as loss' : ''}, got ${loss instanceof tf.Tensor ? `shape [${loss.shape.join(',')}]` : typeof loss}.`);
    }
    // State written by `fn` and aux outputs would be freed by the engine's forward scope: keep them for now.
    kept = collectTensors([args, aux]).filter((t) => !before.has(t) && t !== loss && !t.kept);
    for (const t of kept) tf.keep(t);
    return loss;
  };
  let value: tf.Tensor;
  let rawGrads: (tf.Tensor | null)[];
  if (xs.length === 0) {
    value = tf.tidy(forward);
    rawGrads = [];
  } else {
    const result = tf.engine().gradients(forward, xs, undefined, true);
    value = result.value;
    rawGrads = result.grads as unknown as (tf.Tensor | null)[];
  }
  adoptKeptTensors(kept);
  let next = 0;
  const grads = targets.map((t): ArgGrad => {
    const take = (x: tf.Tensor) => rawGrads[next++] ?? tf.zerosLike(x);
    if (t.variables === undefined) return take(args[t.argnum] as tf.Tensor);
    return gradientState(t.variables, t.variables.map((e) => take(e.variable.value as tf.Tensor)));
  });
  return { value, aux, grads };
}

function runDifferentiated(fn: AnyFunction, options: GradOptions, name: string, shape: (r: RawResult, single: boolean) => unknown): AnyFunction {
  assertSyncFunction(fn, name);
  const spec = normalizeArgnums(options.argnums);
  const hasAux = options.hasAux ?? false;
  return function (this: unknown, ...args: unknown[]): unknown {
    ensureGradients();
    const roots = this === undefined ? args : [this, ...args];
    return runInPlace(name, roots, () => shape(differentiate(fn, this, args, spec, hasAux, name), spec.single));
  };
}

/**
 * `valueAndGrad(fn, options)(...args)` returns `[loss, grads]` (or `[[loss, aux], grads]` with `hasAux`).
 * For a graph-node argument the gradients are a `State` holding Variables of the same types as the
 * differentiated ones (default filter `Param`), at the paths `state(node, filter)` gives (a Variable reached
 * twice appears once, with the summed gradient). State updates made by `fn` (BatchStat, RNG counts, new
 * Variables) stay on the caller's objects; intermediates are freed; the loss, aux and grads belong to the caller.
 *
 * @example
 * ```ts
 * const [loss, grads] = valueAndGrad((m: Model) => tf.mean(tf.square(tf.sub(m.call(x), y))))(model);
 * optimizer.update(model, grads); // grads: State
 * ```
 */
export function valueAndGrad<F extends AnyFunction, const O extends GradOptions = GradOptions>(
  fn: F,
  options?: O,
): (...args: Parameters<F>) => [ReturnType<F>, GradsOf<F, O>] {
  return runDifferentiated(fn, options ?? {}, 'valueAndGrad', (r, single) => [
    options?.hasAux ? [r.value, r.aux] : r.value,
    single ? r.grads[0] : r.grads,
  ]) as (...args: Parameters<F>) => [ReturnType<F>, GradsOf<F, O>];
}

/**
 * `grad(fn, options)(...args)` returns the gradients of `valueAndGrad` (or `[grads, aux]` with `hasAux`).
 *
 * @example
 * ```ts
 * const grads = grad((m: Model, x: tf.Tensor) => tf.sum(m.call(x)))(model, x); // State
 * const [gModel, gx] = grad((m: Model, x: tf.Tensor) => tf.sum(m.call(x)), { argnums: [0, 1] })(model, x); // [State, tf.Tensor]
 * ```
 */
export function grad<F extends AnyFunction, const O extends GradOptions = GradOptions>(
  fn: F,
  options?: O,
): (...args: Parameters<F>) => O['hasAux'] extends true ? [GradsOf<F, O>, AuxOf<F>] : GradsOf<F, O> {
  return runDifferentiated(fn, options ?? {}, 'grad', (r, single) => {
    // The loss is not returned, so the enclosing tidy scope frees it.
    const grads = single ? r.grads[0] : r.grads;
    return options?.hasAux ? [grads, r.aux] : grads;
  }) as (...args: Parameters<F>) => O['hasAux'] extends true ? [GradsOf<F, O>, AuxOf<F>] : GradsOf<F, O>;
}
