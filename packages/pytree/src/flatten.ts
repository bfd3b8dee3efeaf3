import { TreeStructureError } from './errors.js';
import { keyPathToString, type KeyEntry, type KeyPath } from './keyPath.js';
import { isPlainObject, lookupNode } from './registry.js';
import { LEAF, NULL_NODE, TreeDef, UNDEFINED_NODE } from './treeDef.js';

/**
 * Options shared by the traversals.
 *
 * @example
 * ```ts
 * leaves([[1, 2], [3]], { isLeaf: (x) => Array.isArray(x) && x.length === 1 }); // [1, 2, [3]]
 * ```
 */
export interface TreeOptions {
  /** Called on every node before anything else (null/undefined included); `true` makes that node a leaf. */
  isLeaf?: (x: unknown) => boolean;
}

/** Collects leaves (and their paths when `paths` is given) while building the treedef. */
function build(x: unknown, out: unknown[], isLeaf: TreeOptions['isLeaf'], path: KeyEntry[] | undefined, paths: KeyPath[] | undefined): TreeDef {
  if (isLeaf !== undefined && isLeaf(x)) return addLeaf(x, out, path, paths);
  if (x === null) return NULL_NODE;
  if (x === undefined) return UNDEFINED_NODE;
  if (Array.isArray(x)) {
    const children = new Array<TreeDef>(x.length);
    for (let i = 0; i < x.length; i++) {
      path?.push({ kind: 'index', index: i });
      children[i] = build(x[i], out, isLeaf, path, paths);
      path?.pop();
    }
    return new TreeDef({ kind: 'array', children });
  }
  if (typeof x === 'object' || typeof x === 'function') {
    const registered = lookupNode(x);
    if (registered !== undefined) {
      const { children, keys, aux } = registered.type.flatten(x);
      if (keys.length !== children.length) {
        throw new TreeStructureError(
          `Node type '${registered.name}' returned ${children.length} children but ${keys.length} keys.`,
        );
      }
      const defs = new Array<TreeDef>(children.length);
      for (let i = 0; i < children.length; i++) {
        path?.push(keys[i]!);
        defs[i] = build(children[i], out, isLeaf, path, paths);
        path?.pop();
      }
      return new TreeDef({ kind: 'custom', children: defs, registered, aux });
    }
    if (isPlainObject(x)) {
      const keys = Object.keys(x).sort();
      const children = new Array<TreeDef>(keys.length);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        path?.push({ kind: 'key', key });
        children[i] = build(x[key], out, isLeaf, path, paths);
        path?.pop();
      }
      return new TreeDef({ kind: 'object', children, keys, nullPrototype: Object.getPrototypeOf(x) === null });
    }
  }
  return addLeaf(x, out, path, paths);
}

function addLeaf(x: unknown, out: unknown[], path: KeyEntry[] | undefined, paths: KeyPath[] | undefined): TreeDef {
  out.push(x);
  if (path !== undefined) paths!.push(path.slice());
  return LEAF;
}

/**
 * Splits a pytree into its leaves (depth-first, plain-object keys sorted) and its structure.
 * `null` and `undefined` are nodes with no children, like JAX's `None`.
 *
 * @example
 * ```ts
 * const [leaves, def] = flatten({ b: [1, null], a: 2 });
 * leaves; // [2, 1]
 * unflatten(def, [20, 10]); // { a: 20, b: [10, null] }
 * ```
 */
export function flatten(tree: unknown, options?: TreeOptions): [leaves: unknown[], treedef: TreeDef] {
  const out: unknown[] = [];
  const def = build(tree, out, options?.isLeaf, undefined, undefined);
  return [out, def];
}

/**
 * Like {@link flatten} but pairs every leaf with its {@link KeyPath}.
 *
 * @example
 * ```ts
 * const [pairs] = flattenWithPath({ layers: [{ w: 1 }] });
 * keyPathToString(pairs[0]![0]); // "['layers'][0]['w']"
 * ```
 */
export function flattenWithPath(tree: unknown, options?: TreeOptions): [Array<[KeyPath, unknown]>, TreeDef] {
  const out: unknown[] = [];
  const paths: KeyPath[] = [];
  const def = build(tree, out, options?.isLeaf, [], paths);
  return [out.map((leaf, i) => [paths[i]!, leaf]), def];
}

/**
 * The leaves of a pytree, in {@link flatten} order.
 *
 * @example
 * ```ts
 * leaves([1, { x: 2, y: undefined }]); // [1, 2]
 * ```
 */
export function leaves(tree: unknown, options?: TreeOptions): unknown[] {
  return flatten(tree, options)[0];
}

/**
 * The structure of a pytree, without its leaves.
 *
 * @example
 * ```ts
 * structure([1, 2]).equals(structure(['a', 'b'])); // true
 * ```
 */
export function structure(tree: unknown, options?: TreeOptions): TreeDef {
  return flatten(tree, options)[1];
}

/**
 * Rebuilds a pytree from a structure and leaves (in {@link flatten} order).
 *
 * @throws {@link TreeStructureError} when `leaves.length` differs from `treedef.numLeaves`.
 * @example
 * ```ts
 * const def = structure({ a: 0, b: [0, 0] });
 * unflatten(def, [1, 2, 3]); // { a: 1, b: [2, 3] }
 * ```
 */
export function unflatten<T = unknown>(treedef: TreeDef, leaves: readonly unknown[]): T {
  if (leaves.length !== treedef.numLeaves) {
    throw new TreeStructureError(
      `unflatten expected ${treedef.numLeaves} leaves for ${treedef.toString()}, got ${leaves.length}.`,
    );
  }
  const cursor = { at: 0 };
  return rebuild(treedef, leaves, cursor) as T;
}

function rebuild(def: TreeDef, leaves: readonly unknown[], cursor: { at: number }): unknown {
  const { node } = def;
  switch (node.kind) {
    case 'leaf':
      return leaves[cursor.at++];
    case 'null':
      return null;
    case 'undefined':
      return undefined;
    case 'array':
      return node.children.map((c) => rebuild(c, leaves, cursor));
    case 'object': {
      const obj = (node.nullPrototype === true ? Object.create(null) : {}) as Record<string, unknown>;
      const keys = node.keys!;
      for (let i = 0; i < keys.length; i++) {
        const value = rebuild(node.children[i]!, leaves, cursor);
        // Plain assignment of '__proto__' would set the prototype instead of an own key.
        Object.defineProperty(obj, keys[i]!, { value, enumerable: true, writable: true, configurable: true });
      }
      return obj;
    }
    case 'custom':
      return node.registered!.type.unflatten(
        node.aux,
        node.children.map((c) => rebuild(c, leaves, cursor)),
      );
  }
}

/**
 * Flattens `tree` only as deep as `treedef` goes: returns one subtree of `tree` per leaf of `treedef`, like JAX's
 * `treedef.flatten_up_to`. Used to map several trees where the first is a prefix of the others.
 *
 * @throws {@link TreeStructureError} naming the path where `tree` does not match `treedef`.
 * @example
 * ```ts
 * flattenUpTo(structure([0, 0]), [{ a: 1 }, 2]); // [{ a: 1 }, 2]
 * ```
 */
export function flattenUpTo(treedef: TreeDef, tree: unknown): unknown[] {
  const out: unknown[] = [];
  upTo(treedef, tree, [], out);
  return out;
}

function upTo(def: TreeDef, x: unknown, path: KeyEntry[], out: unknown[]): void {
  const { node } = def;
  const fail = (expected: string): never => {
    throw new TreeStructureError(
      `Tree structure mismatch at '${keyPathToString(path) || '<root>'}': expected ${expected}, got ${describe(x)}.`,
    );
  };
  switch (node.kind) {
    case 'leaf':
      out.push(x);
      return;
    case 'null':
      if (x !== null) fail('null');
      return;
    case 'undefined':
      if (x !== undefined) fail('undefined');
      return;
    case 'array':
      if (!Array.isArray(x) || x.length !== node.children.length) fail(`an array of length ${node.children.length}`);
      for (let i = 0; i < node.children.length; i++) {
        path.push({ kind: 'index', index: i });
        upTo(node.children[i]!, (x as unknown[])[i], path, out);
        path.pop();
      }
      return;
    case 'object': {
      const keys = node.keys!;
      if (!isPlainObject(x) || lookupNode(x) !== undefined) return fail(`an object with keys [${keys.join(', ')}]`);
      const actual = Object.keys(x).sort();
      if (actual.length !== keys.length || actual.some((k, i) => k !== keys[i])) {
        fail(`an object with keys [${keys.join(', ')}]`);
      }
      for (let i = 0; i < keys.length; i++) {
        path.push({ kind: 'key', key: keys[i]! });
        upTo(node.children[i]!, x[keys[i]!], path, out);
        path.pop();
      }
      return;
    }
    case 'custom': {
      const registered = node.registered!;
      const found = x === null || x === undefined ? undefined : lookupNode(x);
      if (found?.name !== registered.name) return fail(`a '${registered.name}' node`);
      const flat = registered.type.flatten(x);
      const sub = new TreeDef({ kind: 'custom', children: flat.children.map(() => LEAF), registered, aux: flat.aux });
      const expected = new TreeDef({ kind: 'custom', children: node.children.map(() => LEAF), registered, aux: node.aux });
      if (!sub.equals(expected)) fail(`'${registered.name}' node ${expected.key}`);
      for (let i = 0; i < node.children.length; i++) {
        path.push(flat.keys[i]!);
        upTo(node.children[i]!, flat.children[i], path, out);
        path.pop();
      }
      return;
    }
  }
}

function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (isPlainObject(x)) return `an object with keys [${Object.keys(x).sort().join(', ')}]`;
  const registered = lookupNode(x);
  if (registered !== undefined) return `a '${registered.name}' node`;
  return `a leaf (${typeof x === 'object' ? (Object.getPrototypeOf(x) as { constructor?: { name?: string } } | null)?.constructor?.name ?? 'object' : typeof x})`;
}
