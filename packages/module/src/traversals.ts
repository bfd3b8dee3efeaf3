import { StateError } from './errors.js';
import { keyOf, sortedKeysOf, type Key } from './paths.js';
import { isMapping } from './state.js';

/**
 * Marks an empty mapping kept by `flattenMapping(xs, { keepEmptyNodes: true })`.
 *
 * @example
 * ```ts
 * flattenMapping({ a: {} }, { keepEmptyNodes: true }); // [[['a'], emptyNode]]
 * ```
 */
export const emptyNode: unique symbol = Symbol.for('nnx-ts.traversals.emptyNode') as any;

/**
 * Options of {@link flattenMapping}.
 *
 * @example
 * ```ts
 * const opts: FlattenMappingOptions = { keepEmptyNodes: true };
 * ```
 */
export interface FlattenMappingOptions {
  /** Keep empty mappings as {@link emptyNode} leaves. Default false. */
  keepEmptyNodes?: boolean;
  /** Stop descending at a mapping for which this returns true (it becomes a leaf). */
  isLeaf?: (path: Key[], subtree: object) => boolean;
}

/**
 * Flattens nested mappings (plain objects and States; anything else is a leaf) into `[path, leaf]` pairs in
 * sorted-key order. With `sep`, paths are joined into strings.
 *
 * @example
 * ```ts
 * flattenMapping({ foo: 1, bar: { a: 2, b: {} } }); // [[['bar', 'a'], 2], [['foo'], 1]]
 * flattenMapping({ bar: { a: 2 } }, { sep: '/' }); // [['bar/a', 2]]
 * ```
 */
export function flattenMapping(xs: object, options?: FlattenMappingOptions & { sep?: undefined }): Array<[Key[], any]>;
export function flattenMapping(xs: object, options: FlattenMappingOptions & { sep: string }): Array<[string, any]>;
export function flattenMapping(
  xs: object,
  options: FlattenMappingOptions & { sep?: string } = {},
): Array<[Key[] | string, any]> {
  const out: Array<[Key[], unknown]> = [];
  const { keepEmptyNodes = false, isLeaf } = options;
  const visit = (m: Record<Key, unknown>, path: Key[]): void => {
    for (const key of sortedKeysOf(m)) {
      const v = m[key];
      const p = [...path, key];
      if (isMapping(v) && !(isLeaf?.(p, v) ?? false)) {
        if (Object.keys(v).length === 0) {
          if (keepEmptyNodes) out.push([p, emptyNode]);
        } else visit(v, p);
      } else out.push([p, v]);
    }
  };
  visit(xs as Record<Key, unknown>, []);
  if (options.sep === undefined) return out;
  const sep = options.sep;
  return out.map(([p, v]) => [p.map(String).join(sep), v]);
}

/**
 * Builds nested plain objects from `[path, leaf]` pairs or a `{ path: leaf }` mapping; with `sep`, string paths
 * are split on it. {@link emptyNode} leaves become `{}`.
 *
 * @example
 * ```ts
 * unflattenMapping([[['a', 'b'], 1]]); // { a: { b: 1 } }
 * unflattenMapping({ 'a/b': 1 }, { sep: '/' }); // { a: { b: 1 } }
 * ```
 */
export function unflattenMapping(
  xs: Iterable<readonly [readonly Key[] | string, unknown]> | Record<string, unknown>,
  options: { sep?: string } = {},
): Record<string, any> {
  const pairs: Iterable<readonly [readonly Key[] | string, unknown]> =
    Symbol.iterator in xs ? (xs as Iterable<readonly [readonly Key[] | string, unknown]>) : Object.entries(xs);
  const out: Record<Key, any> = {};
  for (const [rawPath, value] of pairs) {
    let path: readonly Key[];
    if (typeof rawPath === 'string') {
      if (options.sep === undefined) throw new StateError(`String path '${rawPath}' needs the sep option`);
      path = rawPath.split(options.sep).map(keyOf);
    } else path = rawPath;
    let node = out;
    for (let i = 0; i < path.length - 1; i++) {
      const k = path[i]!;
      if (!isMapping(node[k])) node[k] = {};
      node = node[k];
    }
    node[path[path.length - 1]!] = value === emptyNode ? {} : value;
  }
  return out;
}
