import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, TransformError, flatten, isHostArray, isVariable, type HostArray } from '@nnx-ts/module';
import { assertNotPromise, assertSyncFunction } from './asyncGuard.js';
import { Carry, checkConsistentAliasing, normalizeAxis, resolveAxis, type AxisPrefix } from './axisPrefix.js';
import { FreshCall, sameValue, sharedValue, snapshotValue, valueOf, type InnerRun } from './freshCall.js';
import { sliceHost, stackHost } from './hostArrays.js';
import type { Axis } from './stateAxes.js';
import { collectTensors } from './tensorWalk.js';
import { applyTransform, dispatchTransform, type AnyFunction } from './transformDecorator.js';

/**
 * Options of {@link vmap}.
 *
 * @example
 * ```ts
 * const f = vmap((m: Linear, x: tf.Tensor) => m.call(x), { inAxes: [0, null], outAxes: 0 });
 * ```
 */
export interface VmapOptions {
  /** Axis prefix over the argument list (default 0: every argument mapped on axis 0). */
  readonly inAxes?: AxisPrefix;
  /** Axis prefix over the output (default 0). `null` outputs must be identical across replicas. */
  readonly outAxes?: AxisPrefix;
  /** Number of replicas; required when no argument is mapped. */
  readonly axisSize?: number;
}

function shapeOf(x: unknown): readonly number[] | undefined {
  if (x instanceof tf.Tensor) return x.shape;
  if (isHostArray(x)) return x.shape;
  return undefined;
}

interface Replica extends InnerRun {
  readonly out: unknown;
  /** The value each caller leaf started from in this replica (host arrays: a copy of their words). */
  readonly initial: readonly unknown[];
}

function stackValues(values: readonly unknown[], axis: number, where: string): unknown {
  const first = values[0];
  if (first instanceof tf.Tensor) return tf.stack(values as tf.Tensor[], normalizeAxis(axis, first.rank + 1, where));
  if (isHostArray(first)) return stackHost(values as HostArray[], normalizeAxis(axis, first.shape.length + 1, where), where);
  throw new TransformError(`${where}: cannot stack a non-array value.`);
}

function vmapFunction(fn: AnyFunction, options: VmapOptions): AnyFunction {
  assertSyncFunction(fn, 'vmap');
  const inAxes: AxisPrefix = options.inAxes === undefined ? 0 : options.inAxes;
  const outAxes: AxisPrefix = options.outAxes === undefined ? 0 : options.outAxes;
  return function (this: unknown, ...args: unknown[]): unknown {
    if (Array.isArray(inAxes) && inAxes.length !== args.length) {
      throw new TransformError(`vmap: inAxes has ${inAxes.length} entries but the function got ${args.length} arguments.`);
    }
    checkConsistentAliasing(inAxes, args, 'vmap inAxes');
    const call = new FreshCall('vmap', args);
    const { leaves, paths } = call.outer;
    const axes = leaves.map((leaf, k) => {
      const axis = resolveAxis(inAxes, args, paths[k]!, leaf, 'vmap inAxes');
      if (axis === Carry) throw new TransformError('vmap: Carry is only valid in scan.');
      return axis;
    });
    // Axis size: every mapped leaf must agree (the message names the argument and the sizes).
    let size = options.axisSize;
    let sizeFrom = options.axisSize === undefined ? '' : 'axisSize';
    axes.forEach((axis, k) => {
      if (axis === null) return;
      const where = `vmap argument ${JSON.stringify(paths[k])}`;
      const shape = shapeOf(valueOf(leaves[k]));
      if (shape === undefined) throw new TransformError(`vmap: cannot map a non-array value at argument path ${JSON.stringify(paths[k])}.`);
      const n = shape[normalizeAxis(axis, shape.length, where)]!;
      if (size === undefined) {
        size = n;
        sizeFrom = `argument ${JSON.stringify(paths[k])}`;
      } else if (size !== n) {
        throw new ShapeError(`vmap: inconsistent sizes for the mapped axis: ${sizeFrom} has ${size}, argument ${JSON.stringify(paths[k])} has ${n}.`);
      }
    });
    if (size === undefined) throw new TransformError('vmap: no argument is mapped; pass axisSize.');
    const n = size;

    let result: unknown;
    call.start();
    try {
      tf.tidy(() => {
        const slices = axes.map((axis, k) => {
          if (axis === null) return undefined;
          const value = valueOf(leaves[k]) as tf.Tensor | HostArray;
          const where = `vmap argument ${JSON.stringify(paths[k])}`;
          const a = normalizeAxis(axis, value.shape.length, where);
          // RNG keys/counts live on the host: sliced there, one fresh host array per replica.
          return isHostArray(value) ? Array.from({ length: n }, (_, i) => sliceHost(value, a, i, where)) : tf.unstack(value, a);
        });
        // Every replica runs on fresh objects built from the pre-call state; broadcast values get a second owner
        // each, so a replica that reassigns one cannot free the caller's tensor.
        const replicas: Replica[] = [];
        for (let i = 0; i < n; i++) {
          const initial = leaves.map((leaf, k) => (slices[k] !== undefined ? slices[k]![i]! : sharedValue(leaf)));
          const snapshot = initial.map(snapshotValue);
          const inner = call.innerMerge(initial);
          const out = fn.apply(this, inner.roots);
          assertNotPromise(out, 'vmap');
          replicas.push({ inner, out, split: call.innerSplit([inner.roots, out]), initial: snapshot });
        }
        checkOutputAliasing(call, axes, replicas[0]!, outAxes);
        result = (mergeReplicas(call, args, axes, replicas, inAxes, outAxes) as unknown[])[1];
        return collectTensors([args, result]);
      });
    } catch (error) {
      call.abort();
      throw error;
    }
    return result;
  };
}

/** An argument returned as an output must come back on the axes it went in on (NNX's consistent aliasing). */
function checkOutputAliasing(call: FreshCall, axes: ReadonlyArray<Axis>, replica: Replica, outAxes: AxisPrefix): void {
  const out = flatten(replica.out);
  out.leaves.forEach((leaf, k) => {
    if (!isVariable(leaf)) return;
    const outer = replica.inner.toOuter.get(leaf);
    const k0 = outer === undefined ? undefined : call.leafOfOuterVariable(outer);
    if (k0 === undefined) return;
    const axis = resolveAxis(outAxes, replica.out, out.paths[k]!, leaf, 'vmap outAxes');
    if (axis !== axes[k0]) {
      throw new TransformError(
        `vmap: Inconsistent aliasing detected: the Variable at argument path ${JSON.stringify(call.outer.paths[k0])} goes in with axis ${String(axes[k0])} and is returned at output path ${JSON.stringify(out.paths[k])} with axis ${String(axis)}.`,
      );
    }
  });
}

function mergeReplicas(
  call: FreshCall,
  args: unknown[],
  axes: ReadonlyArray<Axis>,
  replicas: readonly Replica[],
  inAxes: AxisPrefix,
  outAxes: AxisPrefix,
): unknown {
  const first = replicas[0]!;
  const split = first.split;
  const existing = call.agreedExisting(first, replicas, {
    structure: 'vmap: replicas changed the structure of the arguments or outputs differently; every replica must produce the same structure.',
    references: 'vmap: replicas changed references between arguments differently.',
  });
  const outerValues = call.outer.leaves.map(valueOf);
  const merged = split.leaves.map((leaf0, k) => {
    const path = split.paths[k]!;
    const where = `vmap ${path[0] === 0 ? 'argument' : 'output'} ${JSON.stringify(path.slice(1))}`;
    const values = replicas.map((r) => valueOf(r.split.leaves[k]));
    const k0 = call.outerLeafOf(split, k, first.inner.toOuter);
    if (k0 !== undefined) {
      // Caller state comes back on its input axis; untouched state keeps its value (no restack).
      if (replicas.every((r, i) => sameValue(values[i], r.initial[k0]))) return outerValues[k0];
      const axis = axes[k0]!;
      if (axis !== null) return stackValues(values, axis, where);
      if (isHostArray(values[0])) {
        if (!values.every((v) => sameValue(v, values[0]))) {
          throw new TransformError(`vmap: state at ${JSON.stringify(path.slice(1))} is mapped with axis null but replicas changed it differently.`);
        }
        return values[0];
      }
      // Comparing replicas' tensors would need a device read, which library code never does synchronously.
      throw new TransformError(
        `vmap: state at ${JSON.stringify(path.slice(1))} is mapped with axis null but was written inside vmap; replicas may not write broadcast tensor state (map it with an axis, e.g. a StateAxes entry).`,
      );
    }
    // New state (created inside, attached to an argument) takes the argument's axis; outputs take outAxes.
    const axis =
      path[0] === 0
        ? resolveAxis(inAxes, first.inner.roots, path.slice(1), leaf0, 'vmap inAxes')
        : resolveAxis(outAxes, first.out, path.slice(1), leaf0, 'vmap outAxes');
    if (axis === Carry) throw new TransformError('vmap: Carry is only valid in scan.');
    if (axis !== null) return stackValues(values, axis, where);
    if (isHostArray(values[0]) && !values.every((v) => sameValue(v, values[0]))) {
      throw new TransformError(`${where} has axis null but differs across replicas.`);
    }
    // A tensor under a null axis must not depend on the mapped inputs (JAX: it is not batched), so every replica
    // computed the same value; telling would need a synchronous device read, so replica 0's is taken.
    return values[0];
  });
  return call.outerMerge(split, merged, existing, args);
}

/**
 * A TC39 method decorator (or function wrapper) produced by `vmap(options)`.
 *
 * @example
 * ```ts
 * class Ensemble extends Module { @vmap({ inAxes: [0, null] }) call(x: tf.Tensor) { return this.linear.call(x); } }
 * ```
 */
export type VmapDecorator = <F extends AnyFunction>(fn: F, context?: ClassMethodDecoratorContext) => F;

/**
 * Lifted `jax.vmap` without tracing: runs `fn` once per index of the mapped axis on fresh objects built from the
 * pre-call state (mapped state sliced, `null`-mapped state shared), then stacks the results. The outcome equals,
 * bit for bit, stacking independent calls on each slice. Argument state comes back on its input axes;
 * `null`-mapped state that a replica writes is a `TransformError`; outputs that are arguments are the identical
 * objects; new objects returned (e.g. modules built per replica) come back stacked.
 *
 * @example
 * ```ts
 * const batched = vmap((m: Linear, x: tf.Tensor) => m.call(x), { inAxes: [null, 0] });
 * const ys = batched(model, xs); // xs: [n, batch, din] → ys: [n, batch, dout]
 * ```
 */
export function vmap<F extends AnyFunction>(fn: F, options?: VmapOptions): F;
/** Bare method-decorator form: `@vmap` on a method. */
export function vmap<F extends AnyFunction>(method: F, context: ClassMethodDecoratorContext): F;
/** Decorator / curried form. */
export function vmap(options?: VmapOptions): VmapDecorator;
export function vmap(fnOrOptions?: AnyFunction | VmapOptions, maybeOptions?: VmapOptions | ClassMethodDecoratorContext): any {
  return dispatchTransform(fnOrOptions, maybeOptions, (fn, context, options) =>
    applyTransform(fn, context, (f) => vmapFunction(f, options)),
  );
}
