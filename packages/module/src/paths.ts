/**
 * One step of a state path: an attribute or dict key (string) or a list index (number).
 *
 * @example
 * ```ts
 * const k: Key = 0;
 * ```
 */
export type Key = string | number;

/**
 * A state path, e.g. `['layers', 0, 'kernel']`.
 *
 * @example
 * ```ts
 * const p: Path = ['layers', 0, 'kernel'];
 * ```
 */
export type Path = readonly Key[];

const CANONICAL_INDEX = /^(?:0|[1-9]\d{0,8})$/;

/**
 * A property name as a path key: canonical integer strings (`'0'`, `'12'`) become numbers.
 *
 * @example
 * ```ts
 * keyOf('3'); // 3
 * keyOf('kernel'); // 'kernel'
 * ```
 */
export function keyOf(name: string): Key {
  return CANONICAL_INDEX.test(name) ? Number(name) : name;
}

/**
 * Orders keys the way NNX sorts children: numbers (ascending) before strings (by code unit).
 *
 * @example
 * ```ts
 * [ 'b', 1, 'a', 0 ].sort(compareKeys); // [0, 1, 'a', 'b']
 * ```
 */
export function compareKeys(a: Key, b: Key): number {
  if (typeof a === 'number') return typeof b === 'number' ? a - b : -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Lexicographic order of paths using {@link compareKeys}.
 *
 * @example
 * ```ts
 * comparePaths(['a', 0], ['a', 1]); // < 0
 * ```
 */
export function comparePaths(a: Path, b: Path): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareKeys(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/** The own enumerable keys of a plain object or State, as sorted path keys. */
export function sortedKeysOf(obj: object): Key[] {
  const names = Object.keys(obj);
  const keys: Key[] = new Array(names.length);
  let sorted = true;
  for (let i = 0; i < names.length; i++) {
    keys[i] = keyOf(names[i]!);
    if (sorted && i > 0 && compareKeys(keys[i - 1]!, keys[i]!) > 0) sorted = false;
  }
  if (!sorted) keys.sort(compareKeys);
  return keys;
}

/**
 * A path as readable text: `encoder.layers[2].kernel`.
 *
 * @example
 * ```ts
 * pathToString(['layers', 2, 'kernel']); // 'layers[2].kernel'
 * ```
 */
export function pathToString(path: Path): string {
  if (path.length === 0) return '<root>';
  let s = '';
  for (const k of path) s += typeof k === 'number' ? `[${k}]` : s === '' ? k : `.${k}`;
  return s;
}
