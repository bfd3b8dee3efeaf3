import * as tf from '@tensorflow/tfjs-core';
import { StateError } from './errors.js';
import { forEachLeaf, fromFlatState, setPath, toFlatState } from './flatState.js';
import { partitionPredicates, toPredicate, type Filter } from './filters.js';
import { comparePaths, keyOf, pathToString, type Key, type Path } from './paths.js';
import { isMapping, State } from './state.js';
import { flatten } from './graph.js';
import { isPytree } from './pytree.js';
import { isVariable, shareValue, type Variable } from './variable.js';

/**
 * A nested plain object holding each Variable's value (no `value` level). Tensors are `tf.clone`d: the caller owns
 * (and disposes) the result. List indices become `"0"`, `"1"`, ... keys.
 *
 * @example
 * ```ts
 * const dict = toPureDict(state(model, Param)); // { linear: { kernel: Tensor, bias: Tensor } }
 * ```
 */
export function toPureDict(state: object, extract?: (leaf: unknown) => unknown): Record<string, any> {
  const out: Record<string, any> = {};
  forEachLeaf(state, (path, leaf) => {
    let node = out;
    for (let i = 0; i < path.length - 1; i++) node = node[path[i]!] ??= {};
    const value = extract !== undefined ? extract(leaf) : isVariable(leaf) ? shareValue(leaf.value) : shareValue(leaf);
    node[path[path.length - 1]!] = value;
  });
  return out;
}

function lookup(root: object, path: Path): { parent: Record<Key, unknown>; key: Key } | undefined {
  let node = root as Record<Key, unknown>;
  for (let i = 0; i < path.length - 1; i++) {
    const next = node[path[i]!];
    if (!isMapping(next)) return undefined;
    node = next;
  }
  const key = path[path.length - 1]!;
  return Object.hasOwn(node, key) ? { parent: node, key } : undefined;
}

/**
 * Replaces, in place, each leaf of `state` named by a path of `pureDict` with `leaf.replace(value)`: a new
 * Variable of the same type holding a `tf.clone` of `value` (the caller keeps, and disposes, its own tensors). String keys like `"0"` match list indices. Unknown paths raise
 * StateError before anything is replaced.
 *
 * @example
 * ```ts
 * const abstract = state(evalShape(() => new Model(new Rngs(0))));
 * replaceByPureDict(abstract, restoredDict);
 * ```
 */
export function replaceByPureDict(
  state: State,
  pureDict: object,
  replace?: (leaf: unknown, value: unknown) => unknown,
): void {
  const targets: Array<{ parent: Record<Key, unknown>; key: Key; value: unknown }> = [];
  forEachLeaf(pureDict, (path, value) => {
    const found = lookup(state, path) ?? lookup(state, path.map((k) => (typeof k === 'string' ? keyOf(k) : k)));
    if (found === undefined) throw new StateError(`key in pureDict not available in state: ${pathToString(path)}`);
    targets.push({ ...found, value });
  });
  for (const { parent, key, value } of targets) {
    const leaf = parent[key];
    if (replace !== undefined) parent[key] = replace(leaf, value);
    else if (isVariable(leaf)) parent[key] = (leaf as Variable).replace(shareValue(value));
    else parent[key] = value;
  }
}

/**
 * The leaves of `state` matching each filter (non-exhaustive): one filter gives a State, several an array.
 *
 * @example
 * ```ts
 * const params = filterState(full, Param);
 * ```
 */
export function filterState(state: object, filter: Filter): State;
export function filterState(state: object, filter: Filter, ...filters: Filter[]): State[];
export function filterState(state: object, ...filters: Filter[]): State | State[] {
  const preds = filters.map(toPredicate);
  const groups = preds.map(() => new State());
  forEachLeaf(state, (path, leaf) => {
    const j = preds.findIndex((p) => p(path, leaf));
    if (j >= 0) setPath(groups[j]!, path, leaf);
  });
  return filters.length === 1 ? groups[0]! : groups;
}

/**
 * Partitions `state` by filters (first match wins, must be exhaustive, `'...'` last).
 *
 * @example
 * ```ts
 * const [params, rest] = splitState(full, Param, '...');
 * ```
 */
export function splitState(state: object, ...filters: Filter[]): State[] {
  const preds = partitionPredicates(filters);
  const groups = preds.map(() => new State());
  const remainder: string[] = [];
  forEachLeaf(state, (path, leaf) => {
    const j = preds.findIndex((p) => p(path, leaf));
    if (j >= 0) setPath(groups[j]!, path, leaf);
    else remainder.push(pathToString(path));
  });
  if (remainder.length > 0) {
    throw new StateError(`Non-exhaustive filters, got a non-empty remainder: ${remainder.join(', ')}. Use '...' to match all remaining elements.`);
  }
  return groups;
}

/**
 * A new State with `fn(path, leaf)` at each leaf.
 *
 * @example
 * ```ts
 * const shapes = mapState((_p, v) => v.shape, state(model));
 * ```
 */
export function mapState(fn: (path: Key[], leaf: any) => unknown, state: object): State {
  const out = new State();
  forEachLeaf(state, (path, leaf) => setPath(out, path, fn(path, leaf)));
  return out;
}

/**
 * The leaves of `a` whose paths are not in `b`.
 *
 * @example
 * ```ts
 * diff(state(model), state(model, Param)); // the non-Param leaves
 * ```
 */
export function diff(a: object, b: object): State {
  const fb = toFlatState(b);
  const fa = toFlatState(a);
  const kept: Array<[Key[], unknown]> = [];
  let j = 0;
  for (let i = 0; i < fa.length; i++) {
    const p = fa.paths[i]!;
    while (j < fb.length && comparePaths(fb.paths[j]!, p) < 0) j++;
    if (j >= fb.length || comparePaths(fb.paths[j]!, p) !== 0) kept.push([p, fa.leaves[i]]);
  }
  return fromFlatState(kept);
}

/**
 * Disposes every tensor in a tree of States / pure dicts / Variables (e.g. the result of {@link toPureDict}), or
 * in a whole graph (a Module and everything it reaches: Variables and raw array attributes).
 *
 * @example
 * ```ts
 * const dict = toPureDict(state(model)); await save(dict); disposeTree(dict);
 * disposeTree(model); // done with the model
 * ```
 */
export function disposeTree(tree: unknown): void {
  if (isVariable(tree)) tree.dispose();
  else if (tree instanceof tf.Tensor) tree.dispose();
  else if (isPytree(tree)) {
    for (const leaf of flatten(tree).leaves) disposeTree(leaf);
  } else if (isMapping(tree) || Array.isArray(tree)) forEachLeaf(tree, (_p, v) => disposeTree(v));
}
