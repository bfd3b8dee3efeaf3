import { flatten, flattenUpTo, flattenWithPath, unflatten, type TreeOptions } from './flatten.js';
import type { KeyPath } from './keyPath.js';

/** `map` takes one tree; a third argument is always options. Catch calls meant for `mapN`. */
function checkOptions(options: unknown, fn: string): TreeOptions | undefined {
  if (options === undefined) return undefined;
  const ok =
    typeof options === 'object' &&
    options !== null &&
    Object.keys(options).every((k) => k === 'isLeaf') &&
    ((options as TreeOptions).isLeaf === undefined || typeof (options as TreeOptions).isLeaf === 'function');
  if (!ok) {
    throw new TypeError(`${fn}(f, tree, options) takes a single tree; to map several trees use ${fn}N(f, [a, b, ...], options).`);
  }
  return options as TreeOptions;
}

/**
 * Applies `f` to every leaf, keeping the structure (JAX `tree_map` with one tree). The third argument is always
 * options, never a second tree: use {@link mapN} for several trees.
 *
 * @example
 * ```ts
 * map((x: number) => x * 2, { a: 1, b: [2, null] }); // { a: 2, b: [4, null] }
 * ```
 */
export function map<T>(f: (leaf: any) => unknown, tree: T, options?: TreeOptions): T {
  const opts = checkOptions(options, 'map');
  const [xs, def] = flatten(tree, opts);
  return unflatten<T>(def, xs.map((x) => f(x)));
}

/**
 * Applies `f` leaf-wise across several trees (JAX `tree_map(f, tree, *rest)`). The structure of `trees[0]` decides the
 * leaves; every other tree must have it as a prefix (its matching parts may be whole subtrees).
 *
 * @throws {@link TreeStructureError} naming the path where a tree does not match `trees[0]`.
 * @example
 * ```ts
 * mapN((a: number, b: number) => a + b, [{ w: 1, b: 2 }, { w: 10, b: 20 }]); // { b: 22, w: 11 }
 * ```
 */
export function mapN<T>(f: (...leaves: any[]) => unknown, trees: readonly [T, ...unknown[]], options?: TreeOptions): T {
  const [first, ...rest] = trees;
  const [xs, def] = flatten(first, options);
  const restLeaves = rest.map((r) => flattenUpTo(def, r));
  return unflatten<T>(def, xs.map((x, i) => f(x, ...restLeaves.map((ls) => ls[i]))));
}

/**
 * Applies `f(path, leaf)` to every leaf (JAX `tree_map_with_path` with one tree).
 *
 * @example
 * ```ts
 * mapWithPath((path, x: number) => `${keyPathToString(path)}=${x}`, { a: [1] }); // { a: ["['a'][0]=1"] }
 * ```
 */
export function mapWithPath<T>(f: (path: KeyPath, leaf: any) => unknown, tree: T, options?: TreeOptions): T {
  const opts = checkOptions(options, 'mapWithPath');
  const [pairs, def] = flattenWithPath(tree, opts);
  return unflatten<T>(def, pairs.map(([p, x]) => f(p, x)));
}

/**
 * Applies `f(path, ...leaves)` leaf-wise across several trees; paths come from `trees[0]`.
 *
 * @example
 * ```ts
 * mapWithPathN((path, a: number, b: number) => a * b, [[1, 2], [3, 4]]); // [3, 8]
 * ```
 */
export function mapWithPathN<T>(
  f: (path: KeyPath, ...leaves: any[]) => unknown,
  trees: readonly [T, ...unknown[]],
  options?: TreeOptions,
): T {
  const [first, ...rest] = trees;
  const [pairs, def] = flattenWithPath(first, options);
  const restLeaves = rest.map((r) => flattenUpTo(def, r));
  return unflatten<T>(def, pairs.map(([p, x], i) => f(p, x, ...restLeaves.map((ls) => ls[i]))));
}
