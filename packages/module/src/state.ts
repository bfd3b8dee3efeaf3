import { brand, brandedHasInstance } from './brand.js';
import { isHostArray } from './hostArray.js';

/**
 * Brand of State: `Symbol.for('nnx-ts.State')`.
 *
 * @example
 * ```ts
 * (state(model) as any)[STATE_BRAND]; // true
 * ```
 */
export const STATE_BRAND: unique symbol = Symbol.for('nnx-ts.State') as any;

/**
 * A nested mapping from keys to sub-States and leaves (live Variables, or raw arrays). Its own enumerable
 * properties are its entries, so `state.linear.kernel` and `state.layers[0]` read naturally; integer keys are
 * list indices (paths report them as numbers).
 *
 * @example
 * ```ts
 * const s = state(model);
 * s.linear.kernel.value; // the live Param's tensor
 * ```
 */
export class State {
  declare readonly [STATE_BRAND]: true;
  [key: string]: any;

  /** Copies the top-level entries of `mapping` (nested mappings are shared). */
  constructor(mapping?: object) {
    if (mapping !== undefined) Object.assign(this, mapping);
  }

  static [Symbol.hasInstance](x: unknown): boolean {
    return brandedHasInstance(this, x);
  }
}
brand(State, 'State');

/**
 * Whether `x` is a State (any installed copy).
 *
 * @example
 * ```ts
 * isState(state(model)); // true
 * ```
 */
export function isState(x: unknown): x is State {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[STATE_BRAND] === true;
}

/**
 * Whether `x` is a plain object (prototype `Object.prototype` or `null`).
 *
 * @example
 * ```ts
 * isPlainObject({ a: 1 }); // true
 * ```
 */
export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null) return false;
  const proto = Object.getPrototypeOf(x);
  return (proto === Object.prototype || proto === null) && !isHostArray(x);
}

/**
 * Whether `x` is a mapping in the State sense: a State or a plain object.
 *
 * @example
 * ```ts
 * isMapping(new State()); // true
 * ```
 */
export function isMapping(x: unknown): x is Record<string, unknown> {
  return isState(x) || isPlainObject(x);
}
