import { ShapeError, TransformError, isPytree, isVariable, type Key, type Path } from '@nnx-ts/module';
import { Carry, type CarryMarker } from './carry.js';
import { StateAxes, type Axis } from './stateAxes.js';

export { Carry, type CarryMarker };


/**
 * A JAX-style axis prefix: an axis for a whole subtree, `StateAxes` at a graph node, or a nested array/object.
 *
 * @example
 * ```ts
 * const inAxes: AxisPrefix = [new StateAxes([[Param, 0], ['...', null]]), { x: 0, mask: null }];
 * ```
 */
export type AxisPrefix =
  | Axis
  | CarryMarker
  | StateAxes
  | readonly AxisPrefix[]
  | { readonly [key: string]: AxisPrefix };

function isNested(prefix: unknown): prefix is readonly AxisPrefix[] | Record<string, AxisPrefix> {
  return prefix !== null && typeof prefix === 'object' && !(prefix instanceof StateAxes);
}

/**
 * The axis for the leaf at `path` inside `root` under `prefix`. Nested prefixes descend with the path; an axis
 * applies to the whole subtree; a `StateAxes` must sit on a graph node and resolves by filter with the path
 * relative to that node.
 */
export function resolveAxis(prefix: AxisPrefix, root: unknown, path: Path, leaf: unknown, where: string): Axis | CarryMarker {
  let current: AxisPrefix = prefix;
  let node: unknown = root;
  let depth = 0;
  while (isNested(current)) {
    if (depth >= path.length) {
      throw new TransformError(`${where}: axis prefix is deeper than the value at ${JSON.stringify(path)}.`);
    }
    const key: Key = path[depth]!;
    const next = (current as Record<Key, AxisPrefix | undefined>)[key];
    if (next === undefined) {
      throw new TransformError(`${where}: axis prefix has no entry for key ${JSON.stringify(key)} (path ${JSON.stringify(path)}).`);
    }
    current = next;
    node = node === null || node === undefined ? undefined : (node as Record<Key, unknown>)[key];
    depth++;
  }
  if (current instanceof StateAxes) {
    if (!isPytree(node) && !isVariable(node)) {
      throw new TransformError(`${where}: StateAxes can only be used on graph nodes (Modules, Variables), at ${JSON.stringify(path.slice(0, depth))}.`);
    }
    return current.axisFor(path.slice(depth), leaf, where);
  }
  if (current !== null && current !== Carry && !Number.isInteger(current)) {
    throw new TransformError(`${where}: invalid axis ${String(current)}.`);
  }
  return current;
}

/**
 * NNX `check_consistent_aliasing`: a Variable reachable through several argument paths must get the same axis from
 * each of them ("Inconsistent aliasing detected"). Uniform prefixes (one axis for everything) cannot disagree.
 */
export function checkConsistentAliasing(prefix: AxisPrefix, args: readonly unknown[], where: string): void {
  if (prefix === null || typeof prefix !== 'object') return;
  const axisOf = new Map<object, { axis: Axis | CarryMarker; path: Key[] }>();
  const onPath = new Set<object>();
  const visit = (x: unknown, path: Key[]): void => {
    if (x === null || typeof x !== 'object' || onPath.has(x)) return;
    if (isVariable(x)) {
      const axis = resolveAxis(prefix, args, path, x, where);
      const seen = axisOf.get(x);
      if (seen === undefined) axisOf.set(x, { axis, path });
      else if (seen.axis !== axis) {
        throw new TransformError(
          `${where}: Inconsistent aliasing detected: the same Variable is reached at ${JSON.stringify(seen.path)} with axis ${String(seen.axis)} and at ${JSON.stringify(path)} with axis ${String(axis)}.`,
        );
      }
      return;
    }
    if (!isPytree(x) && !Array.isArray(x) && Object.getPrototypeOf(x) !== Object.prototype) return;
    onPath.add(x);
    for (const key of Object.keys(x)) visit((x as Record<string, unknown>)[key], [...path, Array.isArray(x) ? Number(key) : key]);
    onPath.delete(x);
  };
  visit(args, []);
}

/** A possibly negative axis as an index into `rank` dimensions; out of range is a `ShapeError` naming `where`. */
export function normalizeAxis(axis: number, rank: number, where: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new ShapeError(`${where}: axis ${axis} out of range for rank ${rank}.`);
  return a;
}
