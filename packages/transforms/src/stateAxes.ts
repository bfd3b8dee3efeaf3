import type { CarryMarker } from './carry.js';
import { TransformError, filtersEqual, partitionPredicates, type Filter, type Path, type Predicate } from '@nnx-ts/module';

/**
 * An axis in `inAxes`/`outAxes`: a dimension index or `null` (not mapped / broadcast).
 *
 * @example
 * ```ts
 * const axes: Axis[] = [0, null];
 * ```
 */
export type Axis = number | null;

/**
 * What a `StateAxes` entry assigns: an axis, or (in `scan`) `Carry`.
 *
 * @example
 * ```ts
 * const a: StateAxis = Carry;
 * ```
 */
export type StateAxis = Axis | CarryMarker;

/**
 * Per-substate axes for one graph-node argument (NNX `StateAxes`): each Variable takes the axis of the first filter
 * that matches it; the filters must cover all of the node's state.
 *
 * @example
 * ```ts
 * const axes = new StateAxes([[Param, 0], [BatchStat, null], ['...', null]]);
 * const forward = vmap((m: Model, x: tf.Tensor) => m.call(x), { inAxes: [axes, 0] });
 * ```
 */
export class StateAxes {
  readonly entries: ReadonlyArray<readonly [Filter, StateAxis]>;
  private readonly predicates: Predicate[];

  constructor(entries: Iterable<readonly [Filter, StateAxis]>) {
    this.entries = [...entries];
    this.predicates = partitionPredicates(this.entries.map(([f]) => f));
  }

  /** The axis of the Variable/array at `path` (relative to the node), or a TransformError if no filter matches. */
  axisFor(path: Path, value: unknown, where: string): StateAxis {
    for (let i = 0; i < this.predicates.length; i++) {
      if (this.predicates[i]!(path, value)) return this.entries[i]![1];
    }
    throw new TransformError(`${where}: no axis found for path ${JSON.stringify(path)}; StateAxes filters must cover all state (end with '...').`);
  }

  /** Structural equality (same filters, same axes, same order). */
  equals(other: StateAxes): boolean {
    return (
      this.entries.length === other.entries.length &&
      this.entries.every(([f, a], i) => a === other.entries[i]![1] && filtersEqual(f, other.entries[i]![0]))
    );
  }
}
