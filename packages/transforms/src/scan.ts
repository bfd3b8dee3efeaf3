import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, TransformError, flatten, isHostArray, isVariable, type Flattened, type HostArray } from '@nnx-ts/module';
import { FreshCall, sameValue, secondOwner, sharedValue, snapshotValue, valueOf, type InnerObjects, type InnerRun } from './freshCall.js';
import { sliceHost, stackHost } from './hostArrays.js';
import { assertNotPromise, assertSyncFunction } from './asyncGuard.js';
import { Carry, checkConsistentAliasing, normalizeAxis, resolveAxis, type AxisPrefix, type CarryMarker } from './axisPrefix.js';
import { StateAxes, type Axis } from './stateAxes.js';
import { collectTensors } from './tensorWalk.js';
import { applyTransform, dispatchTransform, type AnyFunction } from './transformDecorator.js';

/**
 * Options of {@link scan}.
 *
 * @example
 * ```ts
 * const loop = scan((c: tf.Tensor, x: tf.Tensor) => [tf.add(c, x), c], { inAxes: [Carry, 0], outAxes: [Carry, 0], reverse: true });
 * ```
 */
export interface ScanOptions {
  /** Per-argument axes: a number (scanned), `null` (broadcast; state mutations discarded) or `Carry`. Default `[Carry, 0]`. */
  readonly inAxes?: AxisPrefix;
  /** Output axes: `Carry` for the carry position, numbers for stacked outputs. Default `[Carry, 0]`. */
  readonly outAxes?: AxisPrefix;
  /** Number of steps; required when nothing is scanned. */
  readonly length?: number;
  /** Iterate from the last index to the first (stacked outputs stay in index order). */
  readonly reverse?: boolean;
}

type LeafAxis = Axis | CarryMarker;

function containsCarry(prefix: unknown): boolean {
  if (prefix === Carry) return true;
  if (prefix instanceof StateAxes) return prefix.entries.some(([, a]) => a === Carry);
  if (prefix !== null && typeof prefix === 'object') return Object.values(prefix).some(containsCarry);
  return false;
}

/** Index of the top-level Carry in a prefix (`'all'` for a bare Carry), validating NNX's Carry rules. */
function carryPosition(prefix: AxisPrefix, side: string): number | 'all' | undefined {
  if (prefix === Carry) return 'all';
  if (!Array.isArray(prefix)) {
    if (containsCarry(prefix) && !(prefix instanceof StateAxes)) throw new TransformError(`scan: Carry must be at the top level of ${side}.`);
    return undefined;
  }
  let found: number | undefined;
  prefix.forEach((p, i) => {
    if (p === Carry) {
      if (found !== undefined) throw new TransformError(`scan: found multiple Carry definitions in ${side}.`);
      found = i;
    } else if (containsCarry(p) && !(p instanceof StateAxes)) {
      throw new TransformError(`scan: Carry must be at the top level of ${side}.`);
    }
  });
  return found;
}

function checkOutAxes(prefix: unknown): void {
  if (prefix === null) throw new TransformError('scan: cannot broadcast output state (null in outAxes).');
  if (prefix instanceof StateAxes) {
    if (prefix.entries.some(([, a]) => a === null || a === Carry)) throw new TransformError('scan: StateAxes in outAxes may not contain null or Carry.');
    return;
  }
  if (prefix !== null && typeof prefix === 'object') for (const p of Object.values(prefix)) checkOutAxes(p);
}

interface Step extends InnerRun {
  /** `split` is the inner split of `[arguments after the step, scanned outputs]`. */
  readonly initial: readonly unknown[];
  readonly y: unknown;
}

function shapeKey(x: unknown): string | undefined {
  if (x instanceof tf.Tensor || isHostArray(x)) return `${x.dtype}[${x.shape.join(',')}]`;
  return undefined;
}

function scanFunction(fn: AnyFunction, options: ScanOptions): AnyFunction {
  assertSyncFunction(fn, 'scan');
  const inAxes: AxisPrefix = options.inAxes === undefined ? [Carry, 0] : options.inAxes;
  const outAxes: AxisPrefix = options.outAxes === undefined ? [Carry, 0] : options.outAxes;
  const inCarry = carryPosition(inAxes, 'inAxes');
  const outCarry = carryPosition(outAxes, 'outAxes');
  if ((inCarry === undefined) !== (outCarry === undefined)) {
    throw new TransformError('scan: if one of inAxes/outAxes has Carry, the other must too.');
  }
  checkOutAxes(outAxes === Carry ? undefined : outAxes);
  const yAxes: AxisPrefix = Array.isArray(outAxes) ? outAxes.filter((_, i) => i !== outCarry) : outAxes;
  const reverse = options.reverse ?? false;

  return function (this: unknown, ...args: unknown[]): unknown {
    if (inCarry === 'all' && args.length !== 1) throw new TransformError(`scan: inAxes=Carry means exactly one argument, got ${args.length}.`);
    if (Array.isArray(inAxes) && inAxes.length !== args.length) {
      throw new TransformError(`scan: inAxes has ${inAxes.length} entries but the function got ${args.length} arguments.`);
    }
    const prefix: AxisPrefix = inCarry === 'all' ? [Carry] : inAxes;
    checkConsistentAliasing(prefix, args, 'scan inAxes');
    const call = new FreshCall('scan', args);
    const { leaves, paths } = call.outer;
    const axes: LeafAxis[] = leaves.map((leaf, k) => resolveAxis(prefix, args, paths[k]!, leaf, 'scan inAxes'));
    let length = options.length;
    let lengthFrom = 'length';
    axes.forEach((axis, k) => {
      if (axis === null || axis === Carry) return;
      const value = valueOf(leaves[k]);
      const where = `scan argument ${JSON.stringify(paths[k])}`;
      if (!(value instanceof tf.Tensor) && !isHostArray(value)) throw new TransformError(`${where}: cannot scan a non-array value.`);
      const n = value.shape[normalizeAxis(axis, value.shape.length, where)]!;
      if (length === undefined) {
        length = n;
        lengthFrom = where;
      } else if (n !== length) {
        throw new ShapeError(`scan: inconsistent lengths: ${lengthFrom} gives ${length}, ${where} has ${n}.`);
      }
    });
    if (length === undefined) throw new TransformError('scan: nothing is scanned; pass length.');
    const steps = length;

    let result: unknown;
    call.start();
    try {
      tf.tidy(() => {
        const slices = axes.map((axis, k) => {
          if (axis === null || axis === Carry) return undefined;
          const value = valueOf(leaves[k]) as tf.Tensor | HostArray;
          const a = normalizeAxis(axis, value.shape.length, 'scan');
          // RNG keys/counts live on the host: sliced there.
          return isHostArray(value) ? Array.from({ length: steps }, (_, i) => sliceHost(value, a, i, 'scan')) : tf.unstack(value, a);
        });
        // Each step runs on fresh objects: scanned state sliced, broadcast state from the pre-call values (so its
        // mutations are discarded), carried state from the previous step.
        let carried: unknown[] = leaves.map((leaf, k) => (axes[k] === Carry ? sharedValue(leaf) : undefined));
        const carryChanged = leaves.map(() => false);
        const done: Step[] = new Array(steps);
        let last: Step | undefined;
        for (let s = 0; s < steps; s++) {
          const i = reverse ? steps - 1 - s : s;
          const initial = leaves.map((leaf, k) => (axes[k] === Carry ? carried[k] : axes[k] === null ? sharedValue(leaf) : slices[k]![i]));
          const snapshot = initial.map(snapshotValue);
          const inner = call.innerMerge(initial);
          let out: unknown;
          tf.tidy(() => {
            out = fn.apply(this, inner.roots);
            assertNotPromise(out, 'scan');
            return collectTensors([inner.roots, out]);
          });
          const [carry, y] = splitOutput(out, outCarry);
          let rootsAfter = inner.roots;
          if (inCarry !== undefined) {
            checkSameCarry(inCarry === 'all' ? inner.roots[0] : inner.roots[inCarry], carry);
            rootsAfter = inCarry === 'all' ? [carry] : inner.roots.map((r, j) => (j === inCarry ? carry : r));
          }
          const split = call.innerSplit([rootsAfter, y]);
          carried = nextCarry(inner, rootsAfter, split, axes, snapshot, carryChanged);
          last = { inner, split, initial: snapshot, y };
          done[i] = last;
        }
        result = assemble(call, args, axes, done, last!, carryChanged, prefix, yAxes, inCarry, outCarry);
        return collectTensors([args, result]);
      });
    } catch (error) {
      call.abort();
      throw error;
    }
    return result;
  };
}

/** The carried values for the next step; a second owner of Variables' values, so that a step replacing one cannot free an output of an earlier step. */
function nextCarry(inner: InnerObjects, rootsAfter: unknown[], split: Flattened, axes: readonly LeafAxis[], initial: readonly unknown[], changed: boolean[]): unknown[] {
  const reachable = new Set(split.leaves);
  return axes.map((axis, k) => {
    if (axis !== Carry) return undefined;
    const leaf = inner.flat.leaves[k];
    let value: unknown;
    if (isVariable(leaf)) {
      if (!reachable.has(leaf)) throw new TransformError('scan: Carry references must be the same between iterations.');
      value = secondOwner(leaf.raw);
    } else {
      value = valueAt(rootsAfter, inner.flat.paths[k]!);
    }
    const [before, after] = [shapeKey(initial[k]), shapeKey(value)];
    if (before !== after) {
      throw new ShapeError(`scan: the carry at ${JSON.stringify(inner.flat.paths[k])} changed from ${before ?? typeof initial[k]} to ${after ?? typeof value} between iterations; the carry must keep its shape and dtype.`);
    }
    if (!sameValue(isVariable(leaf) ? leaf.raw : value, initial[k])) changed[k] = true;
    return value;
  });
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let node = root;
  for (const key of path) node = (node as Record<string | number, unknown>)[key];
  return node;
}

function assemble(
  call: FreshCall,
  args: unknown[],
  axes: readonly LeafAxis[],
  done: readonly Step[],
  last: Step,
  carryChanged: readonly boolean[],
  prefix: AxisPrefix,
  yAxes: AxisPrefix,
  inCarry: number | 'all' | undefined,
  outCarry: number | 'all' | undefined,
): unknown {
  const split = last.split;
  const existing = call.agreedExisting(last, done, {
    structure: 'scan: the structure of the arguments or outputs changed between iterations; every step must produce the same structure.',
    references: 'scan: Carry references must be the same between iterations.',
  });
  const outerValues = call.outer.leaves.map(valueOf);
  const merged = split.leaves.map((leaf, k) => {
    const path = split.paths[k]!;
    const where = `scan ${path[0] === 0 ? 'argument' : 'output'} ${JSON.stringify(path.slice(1))}`;
    const k0 = call.outerLeafOf(split, k, last.inner.toOuter);
    let axis: LeafAxis;
    if (k0 !== undefined) {
      axis = axes[k0]!;
      // Carried state takes its final value; broadcast state is discarded; untouched scanned state is kept.
      if (axis === Carry) return carryChanged[k0] ? valueOf(leaf) : outerValues[k0];
      if (axis === null) return outerValues[k0];
      if (done.every((step) => sameValue(valueOf(step.split.leaves[k]), step.initial[k0]))) return outerValues[k0];
    } else if (path[0] === 0) {
      axis = resolveAxis(prefix, last.inner.roots, path.slice(1), leaf, 'scan inAxes');
      if (axis === Carry) throw new TransformError(`scan: ${where} was created inside the carry; the carry must keep its structure.`);
      if (axis === null) throw new TransformError(`scan: ${where} was created in broadcast (null) state, whose changes scan discards.`);
    } else {
      axis = resolveAxis(yAxes, last.y, path.slice(1), leaf, 'scan outAxes');
      if (axis === null || axis === Carry) throw new TransformError('scan: scanned outputs need a numeric axis.');
    }
    const values = done.map((step) => valueOf(step.split.leaves[k]));
    const v0 = values[0];
    if (isHostArray(v0)) return stackHost(values as HostArray[], normalizeAxis(axis, v0.shape.length + 1, where), where);
    if (!(v0 instanceof tf.Tensor)) throw new TransformError(`scan: cannot stack a non-tensor value at ${where}.`);
    return tf.stack(values as tf.Tensor[], normalizeAxis(axis, v0.rank + 1, where));
  });
  const [rootsOut, ys] = call.outerMerge(split, merged, existing, args) as [unknown[], unknown];
  // The carry comes back through the arguments: the caller's own objects where it holds graph nodes.
  const carryOut = inCarry === undefined ? undefined : inCarry === 'all' ? rootsOut[0] : rootsOut[inCarry];
  if (outCarry === 'all') return carryOut;
  if (outCarry === undefined) return ys;
  const out = [...(ys as unknown[])];
  out.splice(outCarry, 0, carryOut);
  return out;
}

function splitOutput(out: unknown, outCarry: number | 'all' | undefined): [unknown, unknown] {
  if (outCarry === undefined) return [undefined, out];
  if (outCarry === 'all') return [out, undefined];
  if (!Array.isArray(out)) throw new TransformError('scan: outAxes is an array, so the function must return an array.');
  const y = out.filter((_, i) => i !== outCarry);
  return [out[outCarry], y];
}

function checkSameCarry(before: unknown, after: unknown): void {
  const a = flatten(before);
  const b = flatten(after);
  if (!a.graphdef.equals(b.graphdef)) {
    throw new TransformError('scan: the carry structure changed between iterations; the carry must keep the same structure.');
  }
  a.leaves.forEach((leaf, k) => {
    if (isVariable(leaf) && b.leaves[k] !== leaf) throw new TransformError('scan: Carry references must be the same between iterations.');
  });
}

/**
 * A TC39 method decorator (or function wrapper) produced by `scan(options)`.
 *
 * @example
 * ```ts
 * class Stack extends Module { @scan({ inAxes: [0, Carry], outAxes: Carry }) call(x: tf.Tensor) { return this.layer.call(x); } }
 * ```
 */
export type ScanDecorator = <F extends AnyFunction>(fn: F, context?: ClassMethodDecoratorContext) => F;

/**
 * Lifted `jax.lax.scan` without tracing: calls `fn` once per index of the scanned axis. `Carry` arguments are
 * threaded through the steps (their graph nodes must stay the same objects); scanned state is sliced per step and
 * restacked; broadcast (`null`) state is reset every step (mutations discarded); scanned outputs are stacked
 * (in index order, also with `reverse`). The caller's objects are written only after every step succeeded.
 *
 * @example
 * ```ts
 * // scan over stacked layers (every Variable of `layers` has a leading axis of 5)
 * const forward = scan((layer: Block, x: tf.Tensor) => layer.call(x), { inAxes: [0, Carry], outAxes: Carry });
 * const y = forward(layers, x);
 * ```
 */
export function scan<F extends AnyFunction>(fn: F, options?: ScanOptions): F;
/** Bare method-decorator form: `@scan` on a method. */
export function scan<F extends AnyFunction>(method: F, context: ClassMethodDecoratorContext): F;
/** Decorator / curried form. */
export function scan(options?: ScanOptions): ScanDecorator;
export function scan(fnOrOptions?: AnyFunction | ScanOptions, maybeOptions?: ScanOptions | ClassMethodDecoratorContext): any {
  return dispatchTransform(fnOrOptions, maybeOptions, (fn, context, options) =>
    applyTransform(fn, context, (f) => scanFunction(f, options)),
  );
}
