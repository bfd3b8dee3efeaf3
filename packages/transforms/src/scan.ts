import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, TransformError, flatten, isHostArray, isVariable, unflatten, type HostArray, type Path, type Variable } from '@nnx-ts/module';
import { hostEqual, sliceHost, stackHost } from './hostArrays.js';
import { assertNotPromise, assertSyncFunction } from './asyncGuard.js';
import { Carry, checkConsistentAliasing, resolveAxis, type AxisPrefix, type CarryMarker } from './axisPrefix.js';
import { StateAxes, type Axis } from './stateAxes.js';
import { collectTensors, disposeKeptExcept } from './tensorWalk.js';
import { applyTransform, isDecoratorContext, type AnyFunction } from './transformDecorator.js';

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

function valueOf(leaf: unknown): unknown {
  return isVariable(leaf) ? (leaf as Variable).raw : leaf;
}

function secondOwner(x: unknown): unknown {
  return x instanceof tf.Tensor ? tf.clone(x) : isHostArray(x) ? x.clone() : x;
}

function setAtPath(root: unknown, path: Path, value: unknown): void {
  let node = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = value;
}

function normalizeAxis(axis: number, rank: number, where: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new ShapeError(`${where}: axis ${axis} out of range for rank ${rank}.`);
  return a;
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
  const reverse = options.reverse ?? false;

  return function (this: unknown, ...args: unknown[]): unknown {
    if (inCarry === 'all' && args.length !== 1) throw new TransformError(`scan: inAxes=Carry means exactly one argument, got ${args.length}.`);
    if (Array.isArray(inAxes) && inAxes.length !== args.length) {
      throw new TransformError(`scan: inAxes has ${inAxes.length} entries but the function got ${args.length} arguments.`);
    }
    const prefix: AxisPrefix = inCarry === 'all' ? [Carry] : inAxes;
    checkConsistentAliasing(prefix, args, 'scan inAxes');
    const flat = flatten(args);
    const axes: LeafAxis[] = flat.leaves.map((leaf, k) => resolveAxis(prefix, args, flat.paths[k]!, leaf, 'scan inAxes'));
    let length = options.length;
    let lengthFrom = 'length';
    axes.forEach((axis, k) => {
      if (axis === null || axis === Carry) return;
      const value = valueOf(flat.leaves[k]);
      const where = `scan argument ${JSON.stringify(flat.paths[k])}`;
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
    tf.tidy(() => {
      const slices = axes.map((axis, k): Array<tf.Tensor | HostArray> | undefined => {
        if (axis === null || axis === Carry) return undefined;
        const value = valueOf(flat.leaves[k]) as tf.Tensor | HostArray;
        const a = normalizeAxis(axis, value.shape.length, 'scan');
        // RNG keys/counts live on the host: sliced there.
        return isHostArray(value) ? Array.from({ length: steps }, (_, i) => sliceHost(value, a, i, 'scan')) : tf.unstack(value, a);
      });
      // One set of inner objects for the whole loop, built from the pre-call state; the caller's objects are only
      // written once every step has succeeded.
      const innerLeaves = flat.leaves.map((leaf, k) => {
        const v = slices[k] !== undefined ? slices[k]![0]! : secondOwner(valueOf(leaf));
        if (!isVariable(leaf)) return v;
        const ctor = leaf.constructor as typeof import('@nnx-ts/module').Variable;
        return ctor.fromMetadata.call(ctor as any, v, leaf.metadata);
      });
      let innerArgs = unflatten(flat.graphdef, innerLeaves) as unknown[];
      const innerFlat = flatten(innerArgs);
      const innerVariables = innerFlat.leaves;
      const scannedState: unknown[][] = axes.map(() => new Array(steps));
      const ys: unknown[] = new Array(steps);
      // Values that left the inner objects (overwritten per step); freed at the end unless the caller holds them.
      const replaced: unknown[] = [];
      let carryOut: unknown;
      for (let s = 0; s < steps; s++) {
        const i = reverse ? steps - 1 - s : s;
        axes.forEach((axis, k) => {
          const inner = innerVariables[k];
          let v: unknown;
          if (axis === null) v = s === 0 ? undefined : secondOwner(valueOf(flat.leaves[k]));
          else if (axis !== Carry) v = slices[k]![i];
          if (v === undefined) return;
          // Raw assignment: the previous step's value is still referenced (stacked state, or freed at the end).
          if (isVariable(inner)) {
            replaced.push(inner.raw);
            inner.raw = v;
          }
          else setAtPath(innerArgs, innerFlat.paths[k]!, v);
        });
        let out: unknown;
        tf.tidy(() => {
          out = fn.apply(this, innerArgs);
          assertNotPromise(out, 'scan');
          return collectTensors([innerArgs, out]);
        });
        const [carry, y] = splitOutput(out, outCarry);
        if (inCarry !== undefined) {
          const carryIn = inCarry === 'all' ? innerArgs[0] : innerArgs[inCarry];
          checkSameCarry(carryIn, carry);
          if (inCarry === 'all') innerArgs = [carry];
          else innerArgs[inCarry] = carry;
          carryOut = carry;
        }
        // A second owner of each output tensor: later steps may replace (and free) state the output aliases.
        ys[i] = y === undefined ? undefined : ownOutputs(y);
        axes.forEach((axis, k) => {
          if (axis !== null && axis !== Carry) scannedState[k]![i] = valueOf(isVariable(innerVariables[k]) ? innerVariables[k] : undefined);
        });
      }
      // Write back: carried state takes its final value, scanned state is restacked, broadcast state is discarded.
      const finalFlat = flatten(innerArgs);
      if (!finalFlat.graphdef.equals(flat.graphdef)) throw new TransformError('scan: the structure of the arguments changed inside scan.');
      axes.forEach((axis, k) => {
        const outer = flat.leaves[k];
        if (!isVariable(outer) || axis === null) return;
        const before = valueOf(outer);
        if (axis === Carry) {
          const v = valueOf(finalFlat.leaves[k]);
          if (isHostArray(v) && isHostArray(before) ? !hostEqual(v, before) : v !== before) outer.value = v;
          return;
        }
        const values = scannedState[k]!;
        if (isHostArray(before)) {
          // Host arrays may be updated in place: restack and compare words.
          const stacked = stackHost(values as HostArray[], normalizeAxis(axis, before.shape.length, 'scan'), 'scan');
          if (!hostEqual(stacked, before)) outer.value = stacked;
          return;
        }
        if (values.every((v, i) => v === slices[k]![i])) return;
        outer.value = tf.stack(values as tf.Tensor[], normalizeAxis(axis, (values[0] as tf.Tensor).rank + 1, 'scan'));
      });
      result = assembleOutput(args, innerArgs, carryOut, ys, outAxes, outCarry);
      const survivors = collectTensors([args, result]);
      disposeKeptExcept([...replaced, ...scannedState.flat(), ...collectTensors([innerArgs])], new Set(survivors));
      return survivors;
    });
    return result;
  };
}

function ownOutputs(y: unknown): unknown {
  const f = flatten(y);
  const leaves = f.leaves.map((leaf) => {
    const v = secondOwner(valueOf(leaf));
    return isVariable(leaf) ? (leaf.constructor as any).fromMetadata.call(leaf.constructor, v, leaf.metadata) : v;
  });
  return unflatten(f.graphdef, leaves);
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

function stackOutputs(ys: unknown[], outAxes: AxisPrefix): unknown {
  const first = flatten(ys[0]);
  const flats = ys.map((y) => flatten(y));
  const leaves = first.leaves.map((leaf0, k) => {
    const axis = resolveAxis(outAxes, ys[0], first.paths[k]!, leaf0, 'scan outAxes');
    const values = flats.map((f) => valueOf(f.leaves[k]));
    if (axis === null || axis === Carry) throw new TransformError('scan: scanned outputs need a numeric axis.');
    const v0 = values[0];
    if (isHostArray(v0)) {
      const stackedHost = stackHost(values as HostArray[], normalizeAxis(axis, v0.shape.length + 1, 'scan outAxes'), 'scan outAxes');
      return isVariable(leaf0) ? (leaf0.constructor as any).fromMetadata.call(leaf0.constructor, stackedHost, leaf0.metadata) : stackedHost;
    }
    if (!(v0 instanceof tf.Tensor)) throw new TransformError(`scan: cannot stack a non-tensor output at ${JSON.stringify(first.paths[k])}.`);
    const stacked = tf.stack(values as tf.Tensor[], normalizeAxis(axis, v0.rank + 1, 'scan outAxes'));
    if (isVariable(leaf0)) tf.keep(stacked); // a Variable owns (keeps) its tensor, as module's Variables do
    return isVariable(leaf0) ? (leaf0.constructor as any).fromMetadata.call(leaf0.constructor, stacked, leaf0.metadata) : stacked;
  });
  return unflatten(first.graphdef, leaves);
}

function assembleOutput(
  args: unknown[],
  innerArgs: unknown[],
  carryOut: unknown,
  ys: unknown[],
  outAxes: AxisPrefix,
  outCarry: number | 'all' | undefined,
): unknown {
  // The carry returned to the caller: the caller's own objects where the carry holds graph nodes/Variables.
  const toOuter = (x: unknown): unknown => {
    if (x instanceof tf.Tensor) return x;
    for (let j = 0; j < innerArgs.length; j++) if (innerArgs[j] === x && typeof x === 'object' && x !== null) return args[j];
    return x;
  };
  if (outCarry === 'all') return toOuter(carryOut);
  const yAxes = Array.isArray(outAxes) ? outAxes.filter((_, i) => i !== outCarry) : outAxes;
  const stacked = ys.length === 0 ? [] : (stackOutputs(ys, yAxes) as unknown[]);
  if (outCarry === undefined) return stacked;
  const out = [...(stacked as unknown[])];
  out.splice(outCarry, 0, toOuter(carryOut));
  return out;
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
  if (typeof fnOrOptions === 'function') {
    if (isDecoratorContext(maybeOptions)) return applyTransform(fnOrOptions, maybeOptions, (f) => scanFunction(f, {}));
    return scanFunction(fnOrOptions, (maybeOptions as ScanOptions | undefined) ?? {});
  }
  const options = fnOrOptions ?? {};
  return (fn: AnyFunction, context?: unknown) => applyTransform(fn, context, (f) => scanFunction(f, options));
}
