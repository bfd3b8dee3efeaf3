import * as tf from '@tensorflow/tfjs-core';
import {
  ShapeError,
  TransformError,
  flatten,
  isHostArray,
  isPytree,
  isVariable,
  unflatten,
  type HostArray,
  type Path,
  type Variable,
} from '@nnx-ts/module';
import { assertNotPromise, assertSyncFunction } from './asyncGuard.js';
import { Carry, checkConsistentAliasing, resolveAxis, type AxisPrefix } from './axisPrefix.js';
import { hostEqual, sliceHost, stackHost } from './hostArrays.js';
import { collectTensors, disposeKeptExcept } from './tensorWalk.js';
import { applyTransform, isDecoratorContext, type AnyFunction } from './transformDecorator.js';

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

type Value = tf.Tensor | HostArray | unknown;

function keepTensor<T>(x: T): T {
  if (x instanceof tf.Tensor) tf.keep(x);
  return x;
}

function valueOf(leaf: unknown): Value {
  return isVariable(leaf) ? (leaf as Variable).raw : leaf;
}

function shapeOf(x: Value): readonly number[] | undefined {
  if (x instanceof tf.Tensor) return x.shape;
  if (isHostArray(x)) return x.shape;
  return undefined;
}


function normalizeAxis(axis: number, rank: number, where: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new ShapeError(`${where}: axis ${axis} out of range for rank ${rank}.`);
  return a;
}

interface InputLeaf {
  readonly leaf: unknown;
  readonly path: Path;
  readonly axis: number | null;
  /** Per-replica values for a mapped leaf. */
  slices?: Array<tf.Tensor | HostArray>;
}

interface Replica {
  readonly args: unknown[];
  readonly out: unknown;
  /** The values the replica started from, per input leaf (to detect writes to broadcast state). */
  readonly initial: unknown[];
}

/** Sets `root[path] = value` (used for raw array attributes, which have no Variable to update in place). */
function setAtPath(root: unknown, path: Path, value: unknown): void {
  let node = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = value;
}

/** Pairs each replica graph node with the caller's node it was built from (same structure, walked in parallel). */
function pairNodes(outer: unknown, inner: unknown, map: Map<object, object>): void {
  if (outer === null || typeof outer !== 'object' || inner === null || typeof inner !== 'object' || map.has(inner)) return;
  if (!isPytree(outer) && !isVariable(outer) && !Array.isArray(outer) && Object.getPrototypeOf(outer) !== Object.prototype) return;
  map.set(inner, outer);
  if (isVariable(outer)) return;
  for (const key of Object.keys(outer)) pairNodes((outer as Record<string, unknown>)[key], (inner as Record<string, unknown>)[key], map);
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
    const flat = flatten(args);
    const inputs: InputLeaf[] = flat.leaves.map((leaf, k) => {
      const path = flat.paths[k]!;
      const axis = resolveAxis(inAxes, args, path, leaf, 'vmap inAxes');
      if (axis === Carry) throw new TransformError('vmap: Carry is only valid in scan.');
      return { leaf, path, axis };
    });
    // Axis size: every mapped leaf must agree (the message names the argument and the sizes).
    let size = options.axisSize;
    let sizeFrom = options.axisSize === undefined ? '' : 'axisSize';
    for (const input of inputs) {
      if (input.axis === null) continue;
      const value = valueOf(input.leaf);
      const shape = shapeOf(value);
      if (shape === undefined) throw new TransformError(`vmap: cannot map a non-array value at argument path ${JSON.stringify(input.path)}.`);
      const axis = normalizeAxis(input.axis, shape.length, `vmap argument ${JSON.stringify(input.path)}`);
      const n = shape[axis]!;
      if (size === undefined) {
        size = n;
        sizeFrom = `argument ${JSON.stringify(input.path)}`;
      } else if (size !== n) {
        throw new ShapeError(`vmap: inconsistent sizes for the mapped axis: ${sizeFrom} has ${size}, argument ${JSON.stringify(input.path)} has ${n}.`);
      }
    }
    if (size === undefined) throw new TransformError('vmap: no argument is mapped; pass axisSize.');
    const n = size;

    let result: unknown;
    tf.tidy(() => {
      for (const input of inputs) {
        if (input.axis === null) continue;
        const value = valueOf(input.leaf) as tf.Tensor | HostArray;
        const where = `vmap argument ${JSON.stringify(input.path)}`;
        const axis = normalizeAxis(input.axis, value.shape.length, where);
        // RNG keys/counts live on the host: sliced there, one fresh host array per replica.
        input.slices = isHostArray(value)
          ? Array.from({ length: n }, (_, i) => sliceHost(value, axis, i, where))
          : tf.unstack(value, axis);
      }
      // Run every replica on fresh objects built from the pre-call state.
      const replicas: Replica[] = [];
      for (let i = 0; i < n; i++) {
        const initial = inputs.map((input) => {
          const base = valueOf(input.leaf);
          // Broadcast tensors get a second owner each (tf.clone shares storage), so a replica that reassigns one
          // cannot free the caller's tensor.
          return input.slices !== undefined ? input.slices[i]! : base instanceof tf.Tensor ? tf.clone(base) : isHostArray(base) ? base.clone() : base;
        });
        const leaves = inputs.map((input, k) => {
          const v = initial[k];
          if (!isVariable(input.leaf)) return v;
          const ctor = input.leaf.constructor as typeof import('@nnx-ts/module').Variable;
          return ctor.fromMetadata.call(ctor as any, v, input.leaf.metadata);
        });
        const replicaArgs = unflatten(flat.graphdef, leaves) as unknown[];
        const out = fn.apply(this, replicaArgs);
        assertNotPromise(out, 'vmap');
        replicas.push({ args: replicaArgs, out, initial });
      }
      result = mergeReplicas(args, flat.graphdef, inputs, replicas, outAxes);
      const survivors = collectTensors([args, result]);
      disposeKeptExcept(collectTensors(replicas.map((r) => [r.args, r.out])), new Set(survivors));
      return survivors;
    });
    return result;
  };
}

function mergeReplicas(
  args: unknown[],
  graphdef: ReturnType<typeof flatten>['graphdef'],
  inputs: InputLeaf[],
  replicas: Replica[],
  outAxes: AxisPrefix,
): unknown {
  // Argument state: same structure required; mapped state is restacked on its input axis, broadcast state must
  // agree across replicas.
  const argFlats = replicas.map((r) => flatten(r.args));
  for (const f of argFlats) {
    if (!f.graphdef.equals(graphdef)) {
      throw new TransformError('vmap: the function changed the structure of an argument (added/removed attributes or Variables); only values may change under vmap.');
    }
  }
  const updates: Array<() => void> = [];
  inputs.forEach((input, k) => {
    const values = argFlats.map((f) => valueOf(f.leaves[k]));
    // Untouched state keeps its tensor (no restack); raw arrays passed directly are values, never written back.
    const untouched = values.every((v, i) => v === replicas[i]!.initial[k]);
    const before = valueOf(input.leaf);
    let next: unknown;
    if (input.axis !== null && isHostArray(before)) {
      // Host arrays may be updated in place, so identity says nothing: restack and compare words.
      const stacked = stackHost(values as HostArray[], normalizeAxis(input.axis, before.shape.length, 'vmap'), 'vmap');
      if (hostEqual(stacked, before)) return;
      next = stacked;
    } else if (input.axis !== null) {
      if (untouched) return;
      const rank = (values[0] as tf.Tensor).rank + 1;
      next = tf.stack(values as tf.Tensor[], normalizeAxis(input.axis, rank, 'vmap'));
    } else if (isHostArray(before)) {
      // Host arrays (RNG keys/counts) may be updated in place: compare words, cheaply, on the host.
      const first = values[0] as HostArray;
      if (!values.every((v) => isHostArray(v) && hostEqual(v, first))) {
        throw new TransformError(`vmap: state at ${JSON.stringify(input.path)} is mapped with axis null but replicas changed it differently.`);
      }
      if (hostEqual(first, before)) return;
      next = first.clone();
    } else if (before instanceof tf.Tensor) {
      if (untouched) return;
      // Comparing replicas' tensors would need a device read, which library code never does synchronously.
      throw new TransformError(
        `vmap: state at ${JSON.stringify(input.path)} is mapped with axis null but was written inside vmap; replicas may not write broadcast tensor state (map it with an axis, e.g. a StateAxes entry).`,
      );
    } else {
      return;
    }
    updates.push(() => {
      if (isVariable(input.leaf)) input.leaf.value = next;
      else setAtPath(args, input.path, next);
    });
  });
  // Outputs: identical objects for outputs that are arguments; new outputs restacked along outAxes.
  const inner = new Map<object, object>();
  replicas.forEach((r) => pairNodes(args, r.args, inner));
  const out0 = replicas[0]!.out;
  if (out0 !== null && typeof out0 === 'object' && inner.has(out0)) {
    for (const apply of updates) apply();
    return inner.get(out0);
  }
  const outFlats = replicas.map((r) => flatten(r.out));
  for (const f of outFlats) {
    if (!f.graphdef.equals(outFlats[0]!.graphdef)) throw new TransformError('vmap: replicas returned outputs with different structures.');
  }
  const first = outFlats[0]!;
  const outLeaves = first.leaves.map((leaf0, k) => {
    const path = first.paths[k]!;
    const axis = resolveAxis(outAxes, replicas[0]!.out, path, leaf0, 'vmap outAxes');
    if (axis === Carry) throw new TransformError('vmap: Carry is only valid in scan.');
    const values = outFlats.map((f) => valueOf(f.leaves[k]));
    let stacked: unknown;
    if (axis === null) {
      if (!values.every((v) => v === values[0])) {
        throw new TransformError(`vmap: output at ${JSON.stringify(path)} has outAxes null but differs across replicas.`);
      }
      stacked = values[0];
    } else if (values[0] instanceof tf.Tensor) {
      stacked = tf.stack(values as tf.Tensor[], normalizeAxis(axis, (values[0] as tf.Tensor).rank + 1, 'vmap outAxes'));
    } else if (isHostArray(values[0])) {
      const h = values[0];
      stacked = stackHost(values as HostArray[], normalizeAxis(axis, h.shape.length + 1, 'vmap outAxes'), `vmap output ${JSON.stringify(path)}`);
    } else {
      throw new TransformError(`vmap: cannot stack a non-tensor output at ${JSON.stringify(path)}.`);
    }
    // A Variable owns (keeps) its tensor, as module's Variables do.
    return isVariable(leaf0) ? (leaf0.constructor as any).fromMetadata.call(leaf0.constructor, keepTensor(stacked), leaf0.metadata) : stacked;
  });
  for (const apply of updates) apply();
  return unflatten(first.graphdef, outLeaves);
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
  if (typeof fnOrOptions === 'function') {
    if (isDecoratorContext(maybeOptions)) return applyTransform(fnOrOptions, maybeOptions, (f) => vmapFunction(f, {}));
    return vmapFunction(fnOrOptions, (maybeOptions as VmapOptions | undefined) ?? {});
  }
  const options = fnOrOptions ?? {};
  return (fn: AnyFunction, context?: unknown) => applyTransform(fn, context, (f) => vmapFunction(f, options));
}
