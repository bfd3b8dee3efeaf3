/** Symbol under which a branded class stores its own brand (a static own property). */
export const CLASS_BRAND: unique symbol = Symbol.for('nnx-ts.classBrand') as any;

/**
 * Brands `cls` with `Symbol.for('nnx-ts.<name>')`: instances (and instances of subclasses) carry the brand on
 * their prototype, and `static [Symbol.hasInstance]` (see {@link brandedHasInstance}) checks it, so
 * `x instanceof cls` holds for objects made by another installed copy of the package.
 */
export function brand(cls: abstract new (...args: any[]) => unknown, name: string): symbol {
  const sym = Symbol.for(`nnx-ts.${name}`);
  Object.defineProperty(cls, CLASS_BRAND, { value: sym });
  Object.defineProperty(cls.prototype, sym, { value: true });
  return sym;
}

/** Shared `Symbol.hasInstance` body: the brand when the class has one, else the prototype chain. */
export function brandedHasInstance(cls: object, x: unknown): boolean {
  const sym = Object.hasOwn(cls, CLASS_BRAND) ? (cls as Record<symbol, symbol>)[CLASS_BRAND] : undefined;
  if (sym === undefined) return Function.prototype[Symbol.hasInstance].call(cls, x);
  return (typeof x === 'object' || typeof x === 'function') && x !== null && (x as Record<symbol, unknown>)[sym] === true;
}
