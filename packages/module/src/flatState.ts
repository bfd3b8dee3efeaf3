import { comparePaths, sortedKeysOf, type Key, type Path } from './paths.js';
import { isMapping, State } from './state.js';

/**
 * A State as parallel arrays of paths and leaves, sorted by path.
 *
 * @example
 * ```ts
 * const flat = toFlatState(state(model));
 * flat.paths; // [['bias'], ['kernel']]
 * ```
 */
export class FlatState {
  constructor(
    readonly paths: Key[][],
    readonly leaves: unknown[],
  ) {}

  /** Number of leaves. */
  get length(): number {
    return this.leaves.length;
  }

  *[Symbol.iterator](): IterableIterator<[Key[], unknown]> {
    for (let i = 0; i < this.leaves.length; i++) yield [this.paths[i]!, this.leaves[i]];
  }
}

/**
 * Visits the leaves of a nested mapping (State or plain objects) in sorted key order; anything that is not a
 * mapping (or JS array, read as a list) is a leaf. Empty mappings produce nothing.
 *
 * @example
 * ```ts
 * forEachLeaf(state(model), (path, v) => console.log(path, v));
 * ```
 */
export function forEachLeaf(mapping: object, fn: (path: Key[], leaf: unknown) => void): void {
  const path: Key[] = [];
  const visit = (m: Record<Key, unknown>): void => {
    for (const key of sortedKeysOf(m)) {
      const v = m[key];
      path.push(key);
      if (isMapping(v) || Array.isArray(v)) visit(v as Record<Key, unknown>);
      else fn(path.slice(), v);
      path.pop();
    }
  };
  visit(mapping as Record<Key, unknown>);
}

/**
 * Flattens a nested State into a {@link FlatState} (sorted paths).
 *
 * @example
 * ```ts
 * for (const [path, v] of toFlatState(state(model))) console.log(path, v.shape);
 * ```
 */
export function toFlatState(state: object): FlatState {
  const paths: Key[][] = [];
  const leaves: unknown[] = [];
  forEachLeaf(state, (p, v) => {
    paths.push(p);
    leaves.push(v);
  });
  return new FlatState(paths, leaves);
}

/**
 * Builds a nested State from a FlatState or `[path, leaf]` pairs.
 *
 * @example
 * ```ts
 * fromFlatState([[['a', 0], v]]); // State { a: State { 0: v } }
 * ```
 */
export function fromFlatState(flat: FlatState | Iterable<readonly [Path, unknown]>): State {
  const root = new State();
  if (flat instanceof FlatState) {
    for (let i = 0; i < flat.leaves.length; i++) setPath(root, flat.paths[i]!, flat.leaves[i]);
  } else {
    for (const [p, v] of flat) setPath(root, p, v);
  }
  return root;
}

/** Sets `value` at `path` in a nested State, creating sub-States on demand. */
export function setPath(root: State, path: Path, value: unknown): void {
  let node: Record<Key, unknown> = root;
  const last = path.length - 1;
  for (let i = 0; i < last; i++) {
    const k = path[i]!;
    let next = node[k];
    if (!isMapping(next)) {
      next = new State();
      node[k] = next;
    }
    node = next as Record<Key, unknown>;
  }
  node[path[last]!] = value;
}

/** Sorted copy of a FlatState's pairs. */
export function sortedPairs(pairs: Array<[Key[], unknown]>): Array<[Key[], unknown]> {
  return pairs.sort((a, b) => comparePaths(a[0], b[0]));
}
