import * as tf from '@tensorflow/tfjs-core';
import {
  TransformError,
  canWrite,
  closeTrace,
  flatten,
  isHostArray,
  isVariable,
  openTrace,
  unflatten,
  type Flattened,
  type HostArray,
  type Trace,
  type Variable,
} from '@nnx-ts/module';
import { hostEqual } from './hostArrays.js';
import { collectTensors, disposeKeptExcept } from './tensorWalk.js';

/** The value a flattened leaf stands for: a Variable's raw value, or a raw array attribute itself. */
export function valueOf(leaf: unknown): unknown {
  return isVariable(leaf) ? (leaf as Variable).raw : leaf;
}

/** A second owner: tensors are cloned (shared storage), host arrays copied, the rest shared. */
export function secondOwner(x: unknown): unknown {
  return x instanceof tf.Tensor ? tf.clone(x) : isHostArray(x) ? x.clone() : x;
}

/**
 * The value an inner object starts from for a caller leaf it shares (broadcast state): a Variable's tensor gets a
 * second owner (the inner Variable may replace, and so free, it); a raw tensor is immutable and shared as is.
 */
export function sharedValue(leaf: unknown): unknown {
  return isVariable(leaf) ? secondOwner(leaf.raw) : isHostArray(leaf) ? leaf.clone() : leaf;
}

/** What a leaf value is compared against later: host arrays may be updated in place, so their words are copied. */
export function snapshotValue(x: unknown): unknown {
  return isHostArray(x) ? x.clone() : x;
}

/** Whether two leaf values are the same state: identical objects, or host arrays with equal words. */
export function sameValue(a: unknown, b: unknown): boolean {
  return a === b || (isHostArray(a) && isHostArray(b) && hostEqual(a as HostArray, b as HostArray));
}

/**
 * One set of fresh inner objects (NNX's inner merge) built from the caller's GraphDef and per-leaf values, and
 * the map from each inner graph node/Variable to the caller's object it stands for.
 */
export interface InnerObjects {
  readonly roots: unknown[];
  /** The inner graph flattened (leaf k is the inner Variable or raw array for the caller's leaf k). */
  readonly flat: Flattened;
  readonly toOuter: Map<object, object>;
}

/** One run of the function (a vmap replica, a scan step): its inner objects and its inner split. */
export interface InnerRun {
  readonly inner: InnerObjects;
  readonly split: Flattened;
}

/**
 * The protocol shared by transforms whose function sees values other than the caller's (vmap replicas, scan
 * steps): outer split → (for each replica/step) inner merge → run → inner split → outer merge. Inner objects
 * belong to the call's trace, so the function may change them freely while Variables captured by closure stay
 * read-only; the caller's objects are written once, by {@link FreshCall.outerMerge}, after everything succeeded.
 */
export class FreshCall {
  readonly outer: Flattened;
  private trace: Trace | undefined;
  private closed = false;
  private readonly outerAt = new Map<object, number>();
  /** Every inner graph node and Variable built by {@link FreshCall.innerMerge}. */
  private readonly innerObjects = new Set<object>();
  /** Outer leaf position of each caller Variable, and of each raw array leaf by its path. */
  private readonly leafOfVariable = new Map<object, number>();
  private readonly leafOfPath = new Map<string, number>();

  constructor(
    readonly name: string,
    roots: readonly unknown[],
  ) {
    this.outer = flatten(roots, { withRefs: true });
    this.outer.refs!.forEach((ref, j) => this.outerAt.set(ref, j));
    this.outer.leaves.forEach((leaf, k) => {
      if (isVariable(leaf)) this.leafOfVariable.set(leaf, k);
      else this.leafOfPath.set(JSON.stringify(this.outer.paths[k]), k);
    });
  }

  /** Opens the call's trace: from here on, end with {@link FreshCall.outerMerge} or {@link FreshCall.abort}. */
  start(): void {
    this.trace = openTrace(this.name);
  }

  /** The caller's leaf position of one of its Variables. */
  leafOfOuterVariable(v: object): number | undefined {
    return this.leafOfVariable.get(v);
  }

  /**
   * The caller's leaf position that leaf `k` of an inner split of `[roots, out]` continues (undefined: state created
   * inside, or an output).
   */
  outerLeafOf(split: Flattened, k: number, toOuter: ReadonlyMap<object, object>): number | undefined {
    const leaf = split.leaves[k];
    if (isVariable(leaf)) {
      const outer = toOuter.get(leaf);
      return outer === undefined ? undefined : this.leafOfVariable.get(outer);
    }
    const path = split.paths[k]!;
    return path[0] === 0 ? this.leafOfPath.get(JSON.stringify(path.slice(1))) : undefined;
  }

  /** Builds fresh inner objects holding `values` (one per outer leaf; Variables are created for Variable leaves). */
  innerMerge(values: readonly unknown[]): InnerObjects {
    const roots = unflatten(this.outer.graphdef, values) as unknown[];
    const flat = flatten(roots, { withRefs: true });
    const toOuter = new Map<object, object>();
    const outerRefs = this.outer.refs!;
    flat.refs!.forEach((ref, j) => {
      toOuter.set(ref, outerRefs[j]!);
      this.innerObjects.add(ref);
    });
    return { roots, flat, toOuter };
  }

  /**
   * Flattens what the function left (`[roots, out]`) with one shared reference map (NNX's inner split) and
   * rejects objects of the caller that the function reached by closure rather than through its arguments.
   */
  innerSplit(tree: unknown): Flattened {
    const split = flatten(tree, { withRefs: true });
    for (const ref of split.refs!) {
      // Allowed: inner objects, and objects the function (or a transform inside it) created.
      const captured = this.outerAt.has(ref) || (!this.innerObjects.has(ref) && !this.trace!.encloses(ref));
      if (captured) {
        throw new TransformError(
          `${this.name}: the function returned or attached a ${ref.constructor.name} it captured by closure; objects of the caller can only come back through the arguments.`,
        );
      }
    }
    return split;
  }

  /** The caller's objects by the inner split's GraphDef indices (undefined: created inside, built fresh). */
  existingFor(split: Flattened, toOuter: ReadonlyMap<object, object>): Array<object | undefined> {
    return split.refs!.map((ref) => toOuter.get(ref));
  }

  /**
   * The caller's objects for the inner splits of several runs (vmap replicas, scan steps), which must agree: the
   * same GraphDef, and the same caller object at every index. Returns them for `reference`.
   */
  agreedExisting(reference: InnerRun, runs: readonly InnerRun[], errors: { structure: string; references: string }): Array<object | undefined> {
    const existing = this.existingFor(reference.split, reference.inner.toOuter);
    for (const run of runs) {
      if (!run.split.graphdef.equals(reference.split.graphdef)) throw new TransformError(errors.structure);
      const refs = this.existingFor(run.split, run.inner.toOuter);
      if (refs.some((ref, j) => ref !== existing[j])) throw new TransformError(errors.references);
    }
    return existing;
  }

  /**
   * Closes the trace and writes the result into the caller's objects (NNX's outer merge): graph nodes are
   * re-initialised from `split`'s GraphDef, Variables take `leaves` (values), and new objects are built. Returns
   * the rebuilt tree (identical caller objects where the function returned them). Tensors owned by inner objects
   * that the caller cannot reach are freed.
   */
  outerMerge(split: Flattened, leaves: readonly unknown[], existing: ReadonlyArray<object | undefined>, roots: readonly unknown[]): unknown {
    this.close();
    // Only state that actually changes needs write access: reading captured state through a transform is fine.
    const indexOf = new Map(split.refs!.map((ref, j) => [ref, j]));
    split.leaves.forEach((leaf, k) => {
      const target = isVariable(leaf) ? (existing[indexOf.get(leaf)!] as Variable | undefined) : undefined;
      if (target !== undefined && target.raw !== leaves[k] && !canWrite(target)) {
        throw new TransformError(`${this.name}: cannot write back a ${target.constructor.name} that belongs to another transform level (captured by closure there).`);
      }
    });
    // Variables own (keep) their tensors; new Variables built by the merge get kept values.
    const owned = leaves.map((value, k) => {
      if (value instanceof tf.Tensor && isVariable(split.leaves[k])) tf.keep(value);
      return value;
    });
    const result = unflatten(split.graphdef, owned, { existing });
    this.disposeInner([roots, result]);
    return result;
  }

  /** Closes the trace after a failure and frees what the inner objects hold. The caller's objects are untouched. */
  abort(): void {
    if (this.trace === undefined) return;
    if (!this.closed) this.close();
    this.disposeInner([]);
  }

  private close(): void {
    this.closed = true;
    closeTrace(this.trace!);
  }

  private disposeInner(reachable: readonly unknown[]): void {
    const trace = this.trace!;
    const survivors = new Set(collectTensors(reachable));
    const held = trace.created.map((v) => (v as Variable).raw).filter((t) => trace.createdTensor(t));
    disposeKeptExcept(held, survivors);
    trace.release();
  }
}

