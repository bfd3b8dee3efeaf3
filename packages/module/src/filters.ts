import { FilterError } from './errors.js';
import type { Key, Path } from './paths.js';
import { isVariable, VARIABLE_BRAND } from './variable.js';

/**
 * A filter predicate over `(path, value)`.
 *
 * @example
 * ```ts
 * const isKernel: Predicate = (path) => path.at(-1) === 'kernel';
 * ```
 */
export type Predicate = (path: Path, value: unknown) => boolean;

const FILTER_BRAND: unique symbol = Symbol.for('nnx-ts.Filter') as any;

/**
 * A filter object (`OfType`, `WithTag`, `All`, ...): a predicate with structural equality.
 *
 * @example
 * ```ts
 * const f: FilterObject = Not(Param);
 * f.predicate(['w'], new Param(1)); // false
 * ```
 */
export interface FilterObject {
  readonly [FILTER_BRAND]: true;
  /** Kind and operands, used for equality and display. */
  readonly kind: string;
  readonly args: readonly unknown[];
  readonly predicate: Predicate;
  toString(): string;
}

/**
 * Anything accepted where NNX accepts a filter: a class (`OfType`, e.g. `Param`), a string (`WithTag`), `true` or
 * `'...'` (everything; Python's `...`), `false`/`null` (nothing), an array (any of), a predicate function, or a filter
 * object.
 *
 * @example
 * ```ts
 * const filters: Filter[] = [Param, 'dropout', PathContains('head'), '...'];
 * ```
 */
export type Filter =
  | (abstract new (...args: any[]) => unknown)
  | string
  | boolean
  | null
  | Predicate
  | FilterObject
  | readonly Filter[];

function make(kind: string, args: readonly unknown[], predicate: Predicate, text: string): FilterObject {
  return { [FILTER_BRAND]: true, kind, args, predicate, toString: () => text };
}

/**
 * Whether `x` is a filter object.
 *
 * @example
 * ```ts
 * isFilterObject(All(Param)); // true
 * ```
 */
export function isFilterObject(x: unknown): x is FilterObject {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[FILTER_BRAND] === true;
}

function isClass(f: unknown): f is abstract new (...args: any[]) => unknown {
  if (typeof f !== 'function') return false;
  const proto = (f as { prototype?: Record<symbol, unknown> }).prototype;
  if (proto === undefined) return false;
  if (proto[VARIABLE_BRAND] === true) return true;
  return Function.prototype.toString.call(f).startsWith('class');
}

function describe(f: Filter): string {
  if (typeof f === 'function') return (f as { name?: string }).name || 'predicate';
  if (typeof f === 'string') return JSON.stringify(f);
  return String(f);
}

/**
 * Matches values that are instances of `type` (subclasses included), across installed copies.
 *
 * @example
 * ```ts
 * state(model, OfType(BatchStat));
 * ```
 */
export function OfType(type: abstract new (...args: any[]) => unknown): FilterObject {
  return make('OfType', [type], (_p, v) => v instanceof type, `OfType(${type.name})`);
}

/**
 * Matches values whose `tag` is `tag` (RNG state and streams); not a path match.
 *
 * @example
 * ```ts
 * state(model, WithTag('dropout'));
 * ```
 */
export function WithTag(tag: string): FilterObject {
  return make(
    'WithTag',
    [tag],
    (_p, v) => typeof v === 'object' && v !== null && (isVariable(v) ? v.metadata.tag : (v as { tag?: unknown }).tag) === tag,
    `WithTag(${JSON.stringify(tag)})`,
  );
}

/**
 * Matches values whose path contains `key` (exact element, any depth).
 *
 * @example
 * ```ts
 * state(model, PathContains('encoder'));
 * ```
 */
export function PathContains(key: Key): FilterObject {
  return make('PathContains', [key], (p) => p.includes(key), `PathContains(${JSON.stringify(key)})`);
}

/**
 * Matches when every filter matches.
 *
 * @example
 * ```ts
 * state(model, All(Param, PathContains('decoder')));
 * ```
 */
export function All(...filters: Filter[]): FilterObject {
  const ps = filters.map(toPredicate);
  return make('All', filters, (p, v) => ps.every((f) => f(p, v)), `All(${filters.map(describe).join(', ')})`);
}

/**
 * Matches when any filter matches.
 *
 * @example
 * ```ts
 * state(model, Any(Param, BatchStat));
 * ```
 */
export function Any(...filters: Filter[]): FilterObject {
  const ps = filters.map(toPredicate);
  return make('Any', filters, (p, v) => ps.some((f) => f(p, v)), `Any(${filters.map(describe).join(', ')})`);
}

/**
 * Matches when `filter` does not.
 *
 * @example
 * ```ts
 * split(model, Not(Param), '...');
 * ```
 */
export function Not(filter: Filter): FilterObject {
  const p = toPredicate(filter);
  return make('Not', [filter], (path, v) => !p(path, v), `Not(${describe(filter)})`);
}

const EVERYTHING = make('Everything', [], () => true, 'Everything()');
const NOTHING = make('Nothing', [], () => false, 'Nothing()');

/**
 * Matches everything (Python's `...` / `True`).
 *
 * @example
 * ```ts
 * split(model, Param, Everything());
 * ```
 */
export function Everything(): FilterObject {
  return EVERYTHING;
}

/**
 * Matches nothing (Python's `False` / `None`).
 *
 * @example
 * ```ts
 * state(model, Nothing()); // empty State
 * ```
 */
export function Nothing(): FilterObject {
  return NOTHING;
}

/**
 * Whether `f` is an "everything" filter (`'...'`, `true`, `Everything()`).
 *
 * @example
 * ```ts
 * isEverything('...'); // true
 * ```
 */
export function isEverything(f: Filter): boolean {
  return f === '...' || f === true || f === EVERYTHING || (isFilterObject(f) && f.kind === 'Everything');
}

/**
 * Converts a filter to a predicate `(path, value) => boolean`.
 *
 * @example
 * ```ts
 * const isParam = toPredicate(Param);
 * isParam(['kernel'], model.kernel); // true
 * ```
 */
export function toPredicate(filter: Filter): Predicate {
  if (isEverything(filter)) return EVERYTHING.predicate;
  if (filter === false || filter === null) return NOTHING.predicate;
  if (typeof filter === 'string') return WithTag(filter).predicate;
  if (Array.isArray(filter)) return Any(...(filter as Filter[])).predicate;
  if (isFilterObject(filter)) return filter.predicate;
  if (isClass(filter)) return OfType(filter).predicate;
  if (typeof filter === 'function') return filter as Predicate;
  throw new FilterError(`Invalid filter: ${String(filter)}`);
}

/**
 * Predicates for a partition: `...`/`true` may only appear last.
 *
 * @example
 * ```ts
 * const [params, rest] = partitionPredicates([Param, '...']);
 * ```
 */
export function partitionPredicates(filters: readonly Filter[]): Predicate[] {
  for (let i = 0; i < filters.length - 1; i++) {
    if (isEverything(filters[i]!) && !filters.slice(i + 1).every(isEverything)) {
      throw new FilterError("'...' or true can only be used as the last filters");
    }
  }
  return filters.map(toPredicate);
}

/**
 * Structural equality of filters (filter objects compare by kind and operands).
 *
 * @example
 * ```ts
 * filtersEqual(Not(Param), Not(Param)); // true
 * ```
 */
export function filtersEqual(a: Filter, b: Filter): boolean {
  if (a === b) return true;
  if (isEverything(a) && isEverything(b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => filtersEqual(x, b[i]));
  if (isFilterObject(a) && isFilterObject(b)) {
    return a.kind === b.kind && a.args.length === b.args.length && a.args.every((x, i) => filtersEqual(x as Filter, b.args[i] as Filter));
  }
  return false;
}
