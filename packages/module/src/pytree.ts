import { brand, brandedHasInstance } from './brand.js';
import { isArrayLeaf } from './hostArray.js';
import { guardNode, rawNode } from './nodeGuard.js';
import { registeredNodeParts } from './pytreeNode.js';
import { isShapeDtype } from './shapeDtype.js';
import { isVariable } from './variable.js';

/**
 * Brand of every Pytree (and Module): `Symbol.for('nnx-ts.Pytree')`.
 *
 * @example
 * ```ts
 * (model as any)[PYTREE_BRAND]; // true
 * ```
 */
export const PYTREE_BRAND: unique symbol = Symbol.for('nnx-ts.Pytree') as any;
const DATA_NAMES = Symbol.for('nnx-ts.Pytree.dataNames');
const STATIC_NAMES = Symbol.for('nnx-ts.Pytree.staticNames');
const DATA_TYPES_KEY = Symbol.for('nnx-ts.dataTypes');

/**
 * Whether `x` is a Pytree/Module (any installed copy). Cheaper than `instanceof`.
 *
 * @example
 * ```ts
 * isPytree(model); // true
 * ```
 */
export function isPytree(x: unknown): x is Pytree {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[PYTREE_BRAND] === true;
}

/**
 * Base class of NNX objects: its own enumerable properties are its attributes (children). Identity-tracked by the
 * graph engine (may be shared, may form cycles). Under pytree functions (`@nnx-ts/pytree`), attributes that hold
 * data (arrays, Variables, graph nodes, or containers of them; or marked with {@link markData}) are children; the
 * rest are static. As in NNX 0.11 an attribute, once data, stays data.
 *
 * @example
 * ```ts
 * class Counter extends Pytree {
 *   count = new BatchStat(tf.scalar(0));
 *   label = 'steps'; // static
 * }
 * ```
 */
export class Pytree {
  declare readonly [PYTREE_BRAND]: true;

  constructor() {
    // What `new` returns is a guard in front of the object: inside a transform, changing an attribute of a node the
    // transform did not receive (one captured by closure) is a TransformError, as in NNX. Subclass constructors
    // and field initialisers already run on the guard.
    return guardNode(this);
  }
  static [Symbol.hasInstance](x: unknown): boolean {
    return brandedHasInstance(this, x);
  }
}
brand(Pytree, 'Pytree');

function nameSet(obj: Pytree, sym: symbol): Set<string> {
  // Bookkeeping, not an attribute change: written on the unguarded object, so reading a captured node is fine.
  const holder = rawNode(obj) as unknown as Record<symbol, Set<string> | undefined>;
  let s = holder[sym];
  if (s === undefined) {
    s = new Set();
    Object.defineProperty(holder, sym, { value: s, enumerable: false, writable: true, configurable: true });
  }
  return s;
}

/**
 * Forces attributes of `obj` to be data (pytree children), like `nnx.data(...)`; optionally assigns values.
 *
 * @example
 * ```ts
 * markData(this, 'history'); // a plain number list that should still be a pytree child
 * ```
 */
export function markData(obj: Pytree, ...names: string[]): void {
  const data = nameSet(obj, DATA_NAMES);
  const stat = nameSet(obj, STATIC_NAMES);
  for (const n of names) {
    data.add(n);
    stat.delete(n);
  }
}

/**
 * Forces attributes of `obj` to be static (pytree aux data), like NNX 0.12's `nnx.static(...)`.
 *
 * @example
 * ```ts
 * markStatic(this, 'features');
 * ```
 */
export function markStatic(obj: Pytree, ...names: string[]): void {
  const data = nameSet(obj, DATA_NAMES);
  const stat = nameSet(obj, STATIC_NAMES);
  for (const n of names) {
    stat.add(n);
    data.delete(n);
  }
}

function dataTypes(): Set<unknown> {
  const g = globalThis as Record<symbol, Set<unknown> | undefined>;
  let s = g[DATA_TYPES_KEY];
  if (s === undefined) {
    s = new Set();
    g[DATA_TYPES_KEY] = s;
  }
  return s;
}

/**
 * Registers a class whose instances count as data (like `nnx.register_data_type`).
 *
 * @example
 * ```ts
 * registerDataType(MyArrayWrapper);
 * ```
 */
export function registerDataType(cls: abstract new (...args: any[]) => unknown): void {
  dataTypes().add(cls);
}

/**
 * Whether `x` is a data type: an array leaf, a Variable, a graph node, or an instance of a registered data type.
 *
 * @example
 * ```ts
 * isDataType(tf.scalar(1)); // true
 * isDataType(3); // false
 * ```
 */
export function isDataType(x: unknown): boolean {
  if (isVariable(x) || isPytree(x) || isArrayLeaf(x) || isShapeDtype(x)) return true;
  if (typeof x !== 'object' || x === null) return false;
  const types = dataTypes();
  return types.size > 0 && types.has(x.constructor);
}

function containsData(x: unknown, seen: Set<unknown>): boolean {
  if (isDataType(x)) return true;
  if (typeof x !== 'object' || x === null || seen.has(x)) return false;
  seen.add(x);
  if (Array.isArray(x)) return x.some((e) => containsData(e, seen));
  const proto = Object.getPrototypeOf(x);
  if (proto === Object.prototype || proto === null) return Object.values(x).some((e) => containsData(e, seen));
  // Like `jax.tree.leaves`, look inside other registered pytree nodes (e.g. a `struct.dataclass` stand-in).
  return registeredNodeParts(x)?.children.some((e) => containsData(e, seen)) ?? false;
}

/**
 * Splits `obj`'s attributes (sorted by name) into data and static ones per NNX 0.11: explicit marks first, then
 * "contains a data leaf". Names found to be data are recorded so they never revert to static.
 *
 * @example
 * ```ts
 * const { data, statics } = pytreeAttributes(linear); // data: ['bias', 'kernel']
 * ```
 */
export function pytreeAttributes(obj: Pytree): { data: string[]; statics: string[] } {
  const holder = obj as unknown as Record<symbol, Set<string> | undefined>;
  const marked = holder[DATA_NAMES];
  const stat = holder[STATIC_NAMES];
  const data: string[] = [];
  const statics: string[] = [];
  const names = Object.keys(obj).sort();
  for (const name of names) {
    if (stat?.has(name)) statics.push(name);
    else if (marked?.has(name)) data.push(name);
    else if (containsData((obj as unknown as Record<string, unknown>)[name], new Set())) {
      nameSet(obj, DATA_NAMES).add(name);
      data.push(name);
    } else statics.push(name);
  }
  return { data, statics };
}
