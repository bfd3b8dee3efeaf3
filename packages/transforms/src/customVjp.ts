import * as tf from '@tensorflow/tfjs-core';
import { TransformError, isState, isVariable, type Path } from '@nnx-ts/module';
import { assertSyncFunction } from './asyncGuard.js';
import { diffVariables, isGraphArgument, type DiffEntry } from './diffState.js';
import { runInPlace } from './inPlace.js';
import type { AnyFunction } from './transformDecorator.js';

/**
 * Options of {@link customVjp}.
 *
 * @example
 * ```ts
 * const f = customVjp((x: tf.Tensor, n: number) => tf.mul(x, n), { nondiffArgnums: [1] });
 * ```
 */
export interface CustomVjpOptions {
  /** Positions of non-differentiable arguments (never graph nodes); `bwd` returns no tangent for them. */
  readonly nondiffArgnums?: readonly number[];
}

/**
 * A function with a custom backward pass; call `defvjp(fwd, bwd)` before using it.
 *
 * @example
 * ```ts
 * const f: CustomVjpFunction<(x: tf.Tensor) => tf.Tensor> = customVjp((x: tf.Tensor) => tf.exp(x));
 * f.defvjp((x) => [tf.exp(x), tf.exp(x)], (e: tf.Tensor, g) => [tf.mul(e, g)]);
 * ```
 */
export interface CustomVjpFunction<F extends AnyFunction> {
  (...args: Parameters<F>): ReturnType<F>;
  /**
   * `fwd(...args)` returns `[output, residuals]`; `bwd(residuals, outputCotangent)` returns one tangent per
   * differentiable argument: a tensor for a tensor argument, a State (Variables or tensors at the node's state
   * paths; missing paths count as zero) for a graph node. Annotate `bwd`'s residuals parameter with the type `fwd`
   * returns (unannotated, it is `unknown`).
   */
  defvjp<R = unknown>(fwd: (...args: Parameters<F>) => [ReturnType<F>, unknown], bwd: (residuals: R, g: tf.Tensor) => unknown[]): void;
}

/** Rebuilds arrays / plain objects / States, replacing each tensor (in walk order) with the next of `next()`. */
function mapTensors(x: unknown, next: (t: tf.Tensor) => tf.Tensor): unknown {
  if (x instanceof tf.Tensor) return next(x);
  if (Array.isArray(x)) return x.map((v) => mapTensors(v, next));
  if (x !== null && typeof x === 'object' && (isState(x) || Object.getPrototypeOf(x) === Object.prototype)) {
    const out: Record<string, unknown> = isState(x) ? Object.create(Object.getPrototypeOf(x)) : {};
    for (const key of Object.keys(x)) out[key] = mapTensors((x as Record<string, unknown>)[key], next);
    return out;
  }
  return x;
}

function tangentAt(tangent: unknown, path: Path): tf.Tensor | undefined {
  let node = tangent;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[String(key)];
  }
  if (isVariable(node)) node = node.raw;
  return node instanceof tf.Tensor ? node : undefined;
}

interface DiffArg {
  readonly position: number;
  readonly entries?: readonly DiffEntry[];
}

/**
 * Lifted `jax.custom_vjp` (NNX `custom_vjp`) on `tf.customGrad`: graph-node arguments are differentiated through
 * all of their float state, and their tangents are States. Limits from TF.js: one tensor output, and `bwd`
 * receives the output cotangent only (no cotangent for state updates).
 *
 * @example
 * ```ts
 * const f = customVjp((x: tf.Tensor, y: tf.Tensor) => tf.mul(tf.sin(x), y));
 * f.defvjp(
 *   (x, y) => [tf.mul(tf.sin(x), y), [tf.cos(x), tf.sin(x), y]],
 *   ([cosX, sinX, y]: [tf.Tensor, tf.Tensor, tf.Tensor], g) => [tf.mul(tf.mul(cosX, g), y), tf.mul(sinX, g)],
 * );
 * ```
 */
export function customVjp<F extends AnyFunction>(fn: F, options: CustomVjpOptions = {}): CustomVjpFunction<F> {
  assertSyncFunction(fn, 'customVjp');
  const nondiff = new Set(options.nondiffArgnums ?? []);
  let fwd: ((...args: any[]) => [unknown, unknown]) | undefined;
  let bwd: ((residuals: unknown, g: tf.Tensor) => unknown[]) | undefined;
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    if (fwd === undefined || bwd === undefined) throw new TransformError('customVjp: call defvjp(fwd, bwd) before calling the function.');
    const fwdFn = fwd;
    const bwdFn = bwd;
    const diffArgs: DiffArg[] = [];
    args.forEach((a, position) => {
      if (nondiff.has(position)) {
        if (isGraphArgument(a)) throw new TransformError(`customVjp: nondiffArgnums cannot refer to graph nodes (argument ${position}).`);
        return;
      }
      if (a instanceof tf.Tensor) diffArgs.push({ position });
      else if (isGraphArgument(a)) {
        const entries = diffVariables(a, true).filter((e) => e.variable.raw instanceof tf.Tensor && e.variable.raw.dtype === 'float32');
        diffArgs.push({ position, entries });
      }
    });
    const inputs = diffArgs.flatMap((d) => (d.entries === undefined ? [args[d.position] as tf.Tensor] : d.entries.map((e) => e.variable.raw as tf.Tensor)));
    const block = tf.customGrad((...ins: unknown[]) => {
      const save = ins[ins.length - 1] as (tensors: tf.Tensor[]) => void;
      const result: unknown = runInPlace('customVjp', this === undefined ? args : [this, ...args], () => fwdFn.apply(this, args));
      if (!Array.isArray(result) || result.length !== 2 || !(result[0] instanceof tf.Tensor)) {
        throw new TransformError('customVjp: fwd must return [output, residuals] with one output tensor.');
      }
      const [value, residuals] = result as [tf.Tensor, unknown];
      const residualTensors: tf.Tensor[] = [];
      mapTensors(residuals, (t) => (residualTensors.push(t), t));
      save(residualTensors);
      return {
        value,
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          let i = 0;
          const res = mapTensors(residuals, () => saved[i++]!);
          const tangents = bwdFn(res, dy as tf.Tensor);
          if (!Array.isArray(tangents) || tangents.length !== diffArgs.length) {
            throw new TransformError(`customVjp: bwd must return ${diffArgs.length} tangent(s), one per differentiable argument.`);
          }
          return diffArgs.flatMap((d, j) => {
            if (d.entries === undefined) return [tangents[j] as tf.Tensor];
            return d.entries.map((e) => tangentAt(tangents[j], e.path) ?? tf.zerosLike(e.variable.raw as tf.Tensor));
          });
        },
      };
    });
    return block(...inputs);
  } as unknown as CustomVjpFunction<F>;
  wrapped.defvjp = (f, b) => {
    assertSyncFunction(f, 'customVjp fwd');
    assertSyncFunction(b, 'customVjp bwd');
    fwd = f as (...args: any[]) => [unknown, unknown];
    bwd = b as (residuals: unknown, g: tf.Tensor) => unknown[];
  };
  return wrapped;
}
