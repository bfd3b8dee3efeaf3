import { TransformError, isPytree, isVariable, type Key, type Path } from '@nnx-ts/module';
import { StateAxes, type Axis } from './stateAxes.js';

/**
 * Marker for `scan`'s carry (NNX `nnx.Carry`): at most one, at the top level of `inAxes`/`outAxes`, or inside a
 * `StateAxes`.
 *
 * @example
 * ```ts
 * const forward = scan((layer: Block, x: tf.Tensor) => layer.call(x), { inAxes: [0, Carry], outAxes: Carry });
 * ```
 */
export const Carry: unique symbol = Symbol.for('nnx-ts.Carry') as any;
/** Type of the {@link Carry} marker. */
export type CarryMarker = typeof Carry;

/** A JAX-style axis prefix: an axis for a whole subtree, `StateAxes` at a graph node, or a nested array/object. */
export type AxisPrefix =
  | Axis
  | CarryMarker
  | StateAxes<Axis | CarryMarker>
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
