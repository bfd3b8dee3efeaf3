import { GraphError, FilterError, ShapeError, StateError } from './errors.js';
import { forEachLeaf, FlatState, fromFlatState, setPath, sortedPairs } from './flatState.js';
import { partitionPredicates, toPredicate, type Filter } from './filters.js';
import { flatten, GraphDef, unflatten } from './graph.js';
import { isArrayLeaf } from './hostArray.js';
import { pathToString, sortedKeysOf, type Key, type Path } from './paths.js';
import { rawNode } from './nodeGuard.js';
import { isPytree } from './pytree.js';
import { isGraphOrPytreeNode, nodeChildren, registeredNodeParts } from './pytreeNode.js';
import { isShapeDtype } from './shapeDtype.js';
import { isMapping, isState, State } from './state.js';
import { isVariable, shareValue, type Variable } from './variable.js';

function groupStates(paths: Key[][], leaves: unknown[], filters: readonly Filter[], exhaustive: boolean): State[] {
  const preds = exhaustive ? partitionPredicates(filters) : filters.map(toPredicate);
  const groups = preds.map(() => new State());
  const remainder: string[] = [];
  for (let i = 0; i < leaves.length; i++) {
    const path = paths[i]!;
    const leaf = leaves[i];
    let j = 0;
    while (j < preds.length && !preds[j]!(path, leaf)) j++;
    if (j < preds.length) setPath(groups[j]!, path, leaf);
    else if (exhaustive) remainder.push(pathToString(path));
  }
  if (remainder.length > 0) {
    throw new FilterError(
      `Non-exhaustive filters, got a non-empty remainder: ${remainder.join(', ')}. Use '...' to match all remaining elements.`,
    );
  }
  return groups;
}

/**
 * Splits a graph into its GraphDef and State(s). With filters, each leaf goes to the first matching filter and the
 * filters must be exhaustive (`'...'` last matches the rest). State leaves are the live Variables of `node`.
 *
 * @example
 * ```ts
 * const [graphdef, params, rest] = split(model, Param, '...');
 * params.linear.kernel === model.linear.kernel; // true
 * ```
 */
export function split(node: unknown, ...filters: Filter[]): [GraphDef, ...State[]] {
  const { graphdef, paths, leaves } = flatten(node);
  const root = graphdef.nodes[0];
  if (root === undefined || root.kind === 'variable') {
    // A Variable or bare leaf at the root is its own state.
    if (filters.length === 0) return [graphdef, leaves[0] as State];
    const preds = partitionPredicates(filters);
    const j = preds.findIndex((p) => p([], leaves[0]));
    if (j < 0) throw new FilterError('Non-exhaustive filters, got a non-empty remainder: <root>');
    return [graphdef, ...preds.map((_, i) => (i === j ? (leaves[0] as State) : new State()))];
  }
  if (filters.length === 0) return [graphdef, fromFlatState(new FlatState(paths, leaves))];
  return [graphdef, ...groupStates(paths, leaves, filters, true)];
}

/**
 * The State of `node`: everything, or (non-exhaustive) the leaves matching each filter; one filter gives one
 * State, several give an array.
 *
 * @example
 * ```ts
 * const params = state(model, Param);
 * const [p, stats] = state(model, Param, BatchStat);
 * ```
 */
export function state(node: unknown): State;
export function state(node: unknown, filter: Filter): State;
export function state(node: unknown, filter: Filter, ...filters: Filter[]): State[];
export function state(node: unknown, ...filters: Filter[]): State | State[] {
  const { paths, leaves } = flatten(node);
  if (filters.length === 0) return fromFlatState(new FlatState(paths, leaves));
  const groups = groupStates(paths, leaves, filters, false);
  return filters.length === 1 ? groups[0]! : groups;
}

/**
 * The GraphDef of `node`.
 *
 * @example
 * ```ts
 * graphdef(model).equals(split(model)[0]); // true
 * ```
 */
export function graphdef(node: unknown): GraphDef {
  return flatten(node).graphdef;
}

function leavesOf(states: readonly unknown[]): unknown[] {
  if (states.length === 1) {
    const s = states[0];
    if (s instanceof FlatState) return s.leaves;
    if (isMapping(s) || Array.isArray(s)) {
      const out: unknown[] = [];
      forEachLeaf(s, (_p, v) => out.push(v));
      return out;
    }
    return [s];
  }
  const pairs: Array<[Key[], unknown]> = [];
  for (const s of states) {
    if (s instanceof FlatState) for (const pair of s) pairs.push(pair);
    else if (isMapping(s)) forEachLeaf(s, (p, v) => pairs.push([p, v]));
    else pairs.push([[], s]);
  }
  return sortedPairs(pairs).map((p) => p[1]);
}

/**
 * Rebuilds a graph from a GraphDef and one or more States (or pure dicts of arrays). Variables in the states are
 * reused: `merge(g, s).linear.kernel === s.linear.kernel`; a raw tensor from a pure dict is cloned into a new
 * Variable (the caller keeps its own tensors).
 *
 * @example
 * ```ts
 * const [g, params, rest] = split(model, Param, '...');
 * const same = merge(g, params, rest);
 * ```
 */
export function merge<T = any>(graphdef: GraphDef, ...states: unknown[]): T {
  if (states.length === 0) throw new GraphError('merge needs at least one state');
  return unflatten(graphdef, leavesOf(states), { cloneRawValues: true }) as T;
}

/**
 * A deep copy of the graph structure with new Variable objects (tensors cloned: shared storage, separately owned).
 * Sharing inside the graph is preserved.
 *
 * @example
 * ```ts
 * const m2 = clone(model);
 * m2.linear.kernel === model.linear.kernel; // false
 * ```
 */
export function clone<T>(node: T): T {
  const { graphdef, leaves } = flatten(node);
  return unflatten(graphdef, leaves, { copyVariables: true }) as T;
}

/**
 * Merges several States into one (later states override equal paths).
 *
 * @example
 * ```ts
 * const full = mergeState(params, rest);
 * ```
 */
export function mergeState(...states: object[]): State {
  const out = new State();
  for (const s of states) forEachLeaf(s, (p, v) => setPath(out, p, v));
  return out;
}

function shapeOf(x: unknown): readonly number[] | undefined {
  if (isVariable(x)) return shapeOf(x.raw);
  if (isArrayLeaf(x) || isShapeDtype(x)) return x.shape;
  return undefined;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function immutableNodeError(node: object, path: Path): StateError {
  return new StateError(`Cannot set ${pathToString(path)} on an immutable pytree node of type ${node.constructor.name}`);
}

function walkUpdate(node: object, st: object, path: Key[], apply: boolean): void {
  // Writes go through the node as the user holds it (a guarded Module checks them); reads skip the guard.
  const target = node as Record<Key, unknown>;
  const view = rawNode(node) as Record<Key, unknown>;
  const source = st as Record<Key, unknown>;
  const isList = Array.isArray(node);
  // Registered pytree nodes are immutable: only Variables (updated in place) and nodes below them can change.
  const parts = registeredNodeParts(node);
  const registered = parts && new Map(parts.keys.map((k, i) => [k, parts.children[i]]));
  for (const key of sortedKeysOf(st)) {
    const value = source[key];
    path.push(key);
    const exists =
      registered !== undefined
        ? registered.has(key)
        : isList
          ? typeof key === 'number' && key < (node as unknown[]).length
          : Object.hasOwn(view, key);
    if (!exists) {
      if (registered !== undefined) throw immutableNodeError(node, path);
      if (isList) {
        throw new StateError(`Path ${pathToString(path)} does not exist (list of length ${(node as unknown[]).length})`);
      }
      if (!isVariable(value)) throw new StateError(`Path ${pathToString(path)} does not exist in the target`);
      if (apply) target[key] = value.copy();
    } else {
      const current = registered !== undefined ? registered.get(key) : view[key];
      if (isVariable(current)) {
        if (isMapping(value)) {
          if (Object.keys(value).length > 0) {
            throw new StateError(`Expected a leaf for the ${current.constructor.name} at ${pathToString(path)}, got a mapping`);
          }
        } else {
          checkShape(current, value, path);
          if (apply) {
            if (isVariable(value)) current.updateFromState(value);
            else current.value = shareValue(value);
          }
        }
      } else if (isGraphOrPytreeNode(current)) {
        if (!isMapping(value) && !Array.isArray(value)) {
          throw new StateError(`Expected a mapping for the node at ${pathToString(path)}, got a leaf`);
        }
        walkUpdate(current, value, path, apply);
      } else {
        if (registered !== undefined) throw immutableNodeError(node, path);
        checkShape(current, value, path);
        if (apply) target[key] = isVariable(value) ? value.copy() : shareValue(value);
      }
    }
    path.pop();
  }
}

function checkShape(current: unknown, value: unknown, path: Path): void {
  const expected = shapeOf(current);
  const actual = shapeOf(value);
  if (expected !== undefined && actual !== undefined && !sameShape(expected, actual)) {
    throw new ShapeError(`${pathToString(path)}: expected shape [${expected.join(', ')}], got [${actual.join(', ')}]`);
  }
}

/**
 * Writes States (or pure dicts of arrays) into `node` in place. Variables keep their identity: a Variable leaf
 * updates via `updateFromState`, a raw array becomes the Variable's value (cloned: the caller keeps its own
 * tensors). Everything is validated first (missing paths, leaf/mapping mismatches, shape mismatches raise typed
 * errors naming the path), so a failed update leaves `node` unchanged.
 *
 * @example
 * ```ts
 * update(model, { linear: { kernel: tf.ones([2, 3]) } });
 * ```
 */
export function update(node: object, ...states: object[]): void {
  if (states.length === 0) throw new StateError('update needs at least one state');
  if (isVariable(node)) {
    const given = states.filter((s) => !(isMapping(s) && Object.keys(s).length === 0));
    if (given.length !== 1) throw new StateError(`Updating a Variable needs exactly one non-empty state, got ${given.length}`);
    const value = given[0];
    checkShape(node, value, []);
    if (isVariable(value)) node.updateFromState(value);
    else node.value = shareValue(value);
    return;
  }
  const merged = states.length === 1 && (isState(states[0]) || isMapping(states[0])) ? states[0]! : mergeState(...states);
  walkUpdate(node, merged, [], false);
  walkUpdate(node, merged, [], true);
}

/**
 * Removes the Variables (and raw arrays) matching the filters from their parents and returns them as State(s).
 * Parents must be Pytrees or dicts.
 *
 * @example
 * ```ts
 * const intermediates = pop(model, Intermediate);
 * ```
 */
export function pop(node: object, filter: Filter): State;
export function pop(node: object, filter: Filter, ...filters: Filter[]): State[];
export function pop(node: object, ...filters: Filter[]): State | State[] {
  if (filters.length === 0) throw new FilterError('pop needs at least one filter');
  const preds = filters.map(toPredicate);
  const groups = preds.map(() => new State());
  const seenLeaves = new Set<unknown>();
  const visited = new Set<object>();
  const path: Key[] = [];
  const visit = (parent: object): void => {
    if (visited.has(parent)) return;
    visited.add(parent);
    const record = parent as Record<Key, unknown>;
    const immutable =
      Array.isArray(parent) ? 'a list' : isMapping(parent) || isPytree(parent) ? undefined : 'an immutable pytree node';
    for (const [key, child] of nodeChildren(parent)) {
      path.push(key);
      if (isVariable(child) || isArrayLeaf(child)) {
        const j = preds.findIndex((p) => p(path, child));
        if (j >= 0) {
          if (immutable !== undefined) throw new GraphError(`Cannot pop ${pathToString(path)}: its parent is ${immutable}`);
          if (!seenLeaves.has(child)) {
            seenLeaves.add(child);
            setPath(groups[j]!, path.slice(), child);
          }
          delete record[key];
        }
      } else if (typeof child === 'object' && child !== null && isGraphOrPytreeNode(child)) {
        visit(child);
      }
      path.pop();
    }
  };
  visit(node);
  return filters.length === 1 ? groups[0]! : groups;
}

/**
 * Every node and leaf reachable from `node` with its path, post-order (children before their parent), sorted keys.
 * Nodes are visited once; leaves (including shared Variables) are yielded at every path.
 *
 * @example
 * ```ts
 * for (const [path, v] of iterGraph(model)) if (v instanceof Param) console.log(path);
 * ```
 */
export function* iterGraph(node: unknown): Generator<[Key[], unknown]> {
  const visited = new Set<object>();
  function* visit(x: unknown, path: Key[]): Generator<[Key[], unknown]> {
    if (typeof x === 'object' && x !== null && !isVariable(x) && isGraphOrPytreeNode(x)) {
      if (visited.has(x)) return;
      visited.add(x);
      for (const [key, child] of nodeChildren(x)) yield* visit(child, [...path, key]);
    }
    yield [path, x];
  }
  yield* visit(node, []);
}

/**
 * Paths of every graph node, Variable and array reachable through more than one path (shared references).
 *
 * @example
 * ```ts
 * findDuplicates(tiedModel); // [[['decoder', 'kernel'], ['encoder', 'kernel']]]
 * ```
 */
export function findDuplicates(node: unknown): Key[][][] {
  const pathsOf = new Map<object, Key[][]>();
  const expanded = new Set<object>();
  const visit = (x: unknown, path: Key[]): void => {
    if (typeof x !== 'object' || x === null) return;
    const tracked = isVariable(x) || isPytree(x) || isArrayLeaf(x);
    if (tracked) {
      const list = pathsOf.get(x);
      if (list === undefined) pathsOf.set(x, [path]);
      else list.push(path);
    }
    if (isVariable(x) || !isGraphOrPytreeNode(x) || expanded.has(x)) return;
    expanded.add(x);
    for (const [key, child] of nodeChildren(x)) visit(child, [...path, key]);
  };
  visit(node, []);
  return [...pathsOf.values()].filter((ps) => ps.length > 1);
}

/**
 * Replaces every Variable in a tree (State, arrays, plain objects) by its value.
 *
 * @example
 * ```ts
 * pure(state(model)); // { linear: { kernel: Tensor, bias: Tensor } }
 * ```
 */
export function pure(tree: unknown): unknown {
  if (isVariable(tree)) return (tree as Variable).value;
  if (Array.isArray(tree)) return tree.map(pure);
  if (isMapping(tree)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(tree)) out[k] = pure(tree[k]);
    return out;
  }
  return tree;
}
