// Generic pytree nodes inside graphs: any type registered with @nnx-ts/pytree's `registerNode` (other than the
// Pytree/Variable/State registrations of this package, which the graph engine handles itself) is taken apart one
// level, like Flax's `PytreeNodeImpl` over `jax.tree_util.tree_flatten_with_path`.
import { flattenWithPath, isPlainObject, lookupNode, unflatten as unflattenTree, type KeyEntry, type TreeDef } from '@nnx-ts/pytree';
import { compareKeys, sortedKeysOf, type Key } from './paths.js';
import { isPytree } from './pytree.js';
import { isMapping, isState } from './state.js';
import { isVariable } from './variable.js';

/**
 * How a registered pytree node was taken apart: its one-level {@link TreeDef} (registered type and aux data) and,
 * for each child in sorted key order, its position in the type's own child order.
 *
 * @example
 * ```ts
 * const def = graphdef(model).nodes[1];
 * if (def.kind === 'node' && def.type === 'registered') console.log(def.metadata?.treedef.key);
 * ```
 */
export interface RegisteredNodeMetadata {
  readonly treedef: TreeDef;
  readonly order: readonly number[];
}

/** A registered node's children in sorted key order, with what {@link rebuildRegisteredNode} needs. */
export interface RegisteredNodeParts {
  readonly keys: Key[];
  readonly children: unknown[];
  readonly metadata: RegisteredNodeMetadata;
}

const isOwnChild = (root: unknown) => (x: unknown) => x !== root;

function keyOfEntry(entry: KeyEntry): Key {
  switch (entry.kind) {
    case 'attr':
      return entry.name;
    case 'key':
      return entry.key;
    case 'index':
      return entry.index;
  }
}

/**
 * Takes `x` apart one level if it is a registered pytree node of a foreign type (not a Pytree, Variable, State,
 * array or plain object); keys are converted (attribute → name, dict key → key, index → number) and sorted.
 */
export function registeredNodeParts(x: object): RegisteredNodeParts | undefined {
  if (Array.isArray(x) || isPlainObject(x) || isPytree(x) || isVariable(x) || isState(x)) return undefined;
  // Cheap registry check first: most static attribute values are not registered nodes.
  if (lookupNode(x) === undefined) return undefined;
  const [pairs, treedef] = flattenWithPath(x, { isLeaf: isOwnChild(x) });
  if (treedef.node.kind !== 'custom') return undefined;
  const keyed = pairs.map(([path, child], i) => ({ key: keyOfEntry(path[0]!), child, i }));
  keyed.sort((a, b) => compareKeys(a.key, b.key));
  return {
    keys: keyed.map((e) => e.key),
    children: keyed.map((e) => e.child),
    metadata: { treedef, order: keyed.map((e) => e.i) },
  };
}

/** Rebuilds a registered node (a new object) from its children given in sorted key order. */
export function rebuildRegisteredNode(metadata: RegisteredNodeMetadata, sortedChildren: readonly unknown[]): unknown {
  const children = new Array<unknown>(sortedChildren.length);
  metadata.order.forEach((original, i) => (children[original] = sortedChildren[i]));
  return unflattenTree(metadata.treedef, children);
}

/**
 * Whether `x` is a node the graph engine traverses: a Pytree, an array (list), a plain object, a State or a type
 * registered with `@nnx-ts/pytree`'s `registerNode`.
 *
 * @example
 * ```ts
 * isGraphOrPytreeNode([1, 2]); // true (a list)
 * ```
 */
export function isGraphOrPytreeNode(x: unknown): x is object {
  return isContainerNode(x) || (typeof x === 'object' && x !== null && registeredNodeParts(x) !== undefined);
}

/** A Pytree, array, plain object or State (the node kinds the graph engine knows without the registry). */
export function isContainerNode(x: unknown): x is object {
  return isPytree(x) || Array.isArray(x) || isMapping(x);
}

/**
 * The children of a graph or pytree node with their keys, in sorted key order (list indices in order).
 *
 * @example
 * ```ts
 * for (const [key, child] of nodeChildren(model)) console.log(key, child);
 * ```
 */
export function nodeChildren(node: object): Array<[Key, unknown]> {
  if (!isContainerNode(node)) {
    const parts = registeredNodeParts(node);
    if (parts !== undefined) return parts.keys.map((k, i) => [k, parts.children[i]]);
  }
  const record = node as Record<Key, unknown>;
  const keys = Array.isArray(node) ? node.map((_, i) => i) : sortedKeysOf(node);
  return keys.map((k) => [k, record[k]]);
}
