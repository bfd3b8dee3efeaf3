import * as tf from '@tensorflow/tfjs-core';
import { TransformError } from './errors.js';
import type { FlattenCache } from './flattenCache.js';
import { flatten, unflatten, type Flattened } from './graph.js';
import { claimNode, guardedTarget, restoreNodeOwner } from './nodeGuard.js';
import { ShapeDtype } from './shapeDtype.js';
import { VARIABLE_TRACE, closeTrace, openTrace, type Trace } from './trace.js';
import { isVariable, type Variable } from './variable.js';

function disposeIfCreatedIn(trace: Trace, x: unknown): void {
  if (trace.createdTensor(x) && !x.isDisposed) x.dispose();
}

/** What a Variable created inside a call holds once the call has freed its tensor: reading it explains why. */
class ReleasedValue extends ShapeDtype {
  constructor(
    tensor: tf.Tensor,
    private readonly transform: string,
  ) {
    super(tensor.shape, tensor.dtype);
  }

  override toString(): string {
    return (
      `${super.toString()}: its tensor was freed when the ${this.transform} call that created it returned, because ` +
      'neither the arguments nor the output reach it (like a JAX tracer, it cannot outlive the call); return it or ' +
      'attach it to an argument to keep it'
    );
  }
}

/**
 * One call of a transform that runs the user's function on the caller's own objects (NNX's lifting protocol for
 * transforms whose inner values equal the outer ones: jit, grad, remat, cond, while loops). What a caller can
 * observe is the same as with the full protocol (outer split → inner merge → run → inner split → outer merge):
 * changed Variable values, static attributes and structure, Variables created inside, swapped references all
 * show on the caller's objects, and outputs that are inputs are the identical objects — because they happened to
 * them. The protocol's other guarantees are kept explicitly:
 *
 * - a Variable not reachable from the arguments (captured by closure) cannot be written: a {@link Trace} is opened
 *   and only the arguments' Variables (and Variables created inside) belong to it;
 * - if the function throws, {@link InPlaceCall.rollback} restores the arguments to the snapshot taken at
 *   {@link InPlaceCall.begin} (structure, attributes, Variable values and metadata; containers refilled in place)
 *   and frees the tensors the call created for them.
 *
 * @example
 * ```ts
 * const call = InPlaceCall.begin('jit', [model, x]);
 * let out;
 * try { out = fn(model, x); } catch (e) { call.rollback(); throw e; }
 * call.commit(outputTensors);
 * ```
 */
export class InPlaceCall {
  private closed = false;

  private constructor(
    private readonly trace: Trace,
    private readonly snapshot: Flattened,
    private readonly variables: readonly Variable[],
    private readonly raws: readonly unknown[],
    private readonly owners: ReadonlyArray<Trace | undefined>,
    private readonly nodes: readonly object[],
    private readonly nodeOwners: ReadonlyArray<Trace | undefined>,
  ) {}

  /**
   * Snapshots the graph reachable from `roots` and opens the call's trace, to which the roots' Variables now belong.
   * With a {@link FlattenCache} (a transform keeps one per wrapped function), a repeated call on an unchanged graph
   * reuses the cached snapshot structure instead of flattening again.
   *
   * @example
   * ```ts
   * const call = InPlaceCall.begin('grad', args);
   * ```
   */
  static begin(name: string, roots: readonly unknown[], cache?: FlattenCache): InPlaceCall {
    const snapshot = cache === undefined ? flatten(roots, { withRefs: true, withPaths: false }) : cache.flatten(roots);
    const variables: Variable[] = [];
    const raws: unknown[] = [];
    const owners: Array<Trace | undefined> = [];
    for (const leaf of snapshot.leaves) {
      if (!isVariable(leaf)) continue;
      variables.push(leaf);
      raws.push(leaf.raw);
      owners.push(leaf[VARIABLE_TRACE]);
    }
    const trace = openTrace(name, { journal: true });
    for (const v of variables) v[VARIABLE_TRACE] = trace;
    const nodes: object[] = [];
    const nodeOwners: Array<Trace | undefined> = [];
    for (const ref of snapshot.refs!) {
      const target = guardedTarget(ref);
      if (target === undefined) continue;
      nodes.push(target);
      nodeOwners.push(claimNode(target, trace));
    }
    return new InPlaceCall(trace, snapshot, variables, raws, owners, nodes, nodeOwners);
  }

  /** Whether commit or rollback already ran. */
  get done(): boolean {
    return this.closed;
  }

  /**
   * Ends a successful call: closes the trace and hands the call's state to the enclosing level. Values the call
   * replaced are freed unless in `survivors` (tensors the caller can still reach, e.g. outputs). At the top level, a
   * Variable created in the call that `survivors` do not reach (a temporary Module) has its tensor freed; reading
   * it afterwards is a `StateError` that says so. Throws (after
   * rolling back) when the call changed a Variable that was passed in but belongs to another level (a Variable an
   * enclosing transform's function captured by closure).
   *
   * @example
   * ```ts
   * call.commit(collectTensors([args, out]));
   * ```
   */
  commit(survivors: readonly tf.Tensor[]): void {
    const { trace } = this;
    const parent = trace.parent;
    const journal = trace.journal!;
    for (let i = 0; i < this.variables.length; i++) {
      const v = this.variables[i]!;
      if (this.owners[i] !== parent && journal.has(v) && v.raw !== journal.get(v)) {
        this.rollback();
        const where = parent === undefined ? 'the top level' : `the enclosing ${parent.name}`;
        throw new TransformError(
          `${trace.name} changed a ${v.constructor.name} passed to it that ${where} may not write (it was captured by closure there); pass it as an argument of the enclosing transform.`,
        );
      }
    }
    this.close();
    let reachable: Set<tf.Tensor> | undefined;
    for (const [v, original] of journal) {
      if (v.raw === original) continue;
      const outer = parent?.journal;
      if (outer !== undefined && !outer.has(v)) outer.set(v, original);
      else if (outer === undefined || outer.get(v) !== original) {
        if (!(original instanceof tf.Tensor) || original.isDisposed) continue;
        reachable ??= new Set(survivors);
        if (!reachable.has(original)) original.dispose();
      }
    }
    for (const v of trace.created) {
      if (v[VARIABLE_TRACE] !== trace) continue;
      v[VARIABLE_TRACE] = parent;
      // An enclosing call decides at its own end (it knows what its caller can reach).
      if (parent !== undefined) {
        parent.created.push(v);
        continue;
      }
      const raw = v.raw;
      if (!trace.createdTensor(raw) || raw.isDisposed) continue;
      reachable ??= new Set(survivors);
      if (reachable.has(raw)) continue;
      raw.dispose();
      v.raw = new ReleasedValue(raw, trace.name);
    }
    trace.release();
  }

  /**
   * Ends a failed call: the arguments are restored to the snapshot taken at `begin`, tensors the call created and
   * attached to them are freed, and the trace is closed.
   *
   * @example
   * ```ts
   * try { fn(); } catch (e) { call.rollback(); throw e; }
   * ```
   */
  rollback(): void {
    if (this.closed) return;
    const { trace } = this;
    this.close();
    for (const [v] of trace.journal!) disposeIfCreatedIn(trace, v.raw);
    for (const v of trace.created) disposeIfCreatedIn(trace, v.raw);
    let k = 0;
    const leaves = this.snapshot.leaves.map((leaf) => (isVariable(leaf) ? this.raws[k++] : leaf));
    unflatten(this.snapshot.graphdef, leaves, {
      existing: this.snapshot.refs!,
      existingContainers: this.snapshot.containers!,
      restore: true,
    });
    trace.release();
  }

  private close(): void {
    this.closed = true;
    closeTrace(this.trace);
    for (let i = 0; i < this.variables.length; i++) this.variables[i]![VARIABLE_TRACE] = this.owners[i];
    for (let i = 0; i < this.nodes.length; i++) restoreNodeOwner(this.nodes[i]!, this.nodeOwners[i]);
  }
}
