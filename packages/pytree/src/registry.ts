import type { KeyEntry } from './keyPath.js';

/**
 * How to take a custom container apart one level and put it back together, like JAX's
 * `register_pytree_with_keys`. `aux` is the static part kept in the {@link TreeDef}.
 *
 * @example
 * ```ts
 * const pointType: NodeType<Point, null> = {
 *   flatten: (p) => ({ children: [p.x, p.y], keys: [{ kind: 'attr', name: 'x' }, { kind: 'attr', name: 'y' }], aux: null }),
 *   unflatten: (_aux, [x, y]) => new Point(x, y),
 * };
 * ```
 */
export interface NodeType<T = any, Aux = unknown> {
  /** Splits `node` into its direct children, one key per child, and static aux data. */
  flatten(node: T): { children: unknown[]; keys: KeyEntry[]; aux: Aux };
  /** Rebuilds a node from the aux data and (possibly transformed) children. */
  unflatten(aux: Aux, children: unknown[]): T;
  /**
   * Optional stable string for `aux`, used by {@link TreeDef} equality and cache keys. Without it, aux made of
   * primitives, arrays and plain objects is compared by value and anything else by identity.
   */
  auxKey?(aux: Aux): string;
}

/**
 * A registered node type, as kept in the registry.
 *
 * @example
 * ```ts
 * structure(new Point(1, 2)).node.registered?.name; // 'example.Point'
 * ```
 */
export interface RegisteredNode {
  readonly name: string;
  readonly match: (x: unknown) => boolean;
  readonly type: NodeType;
}

interface Registry {
  entries: RegisteredNode[];
}

const REGISTRY_SYMBOL = Symbol.for('nnx-ts.pytree.registry');

/** Shared through globalThis so two installed copies of this package see the same registrations. */
function registry(): Registry {
  const holder = globalThis as Record<symbol, unknown>;
  let reg = holder[REGISTRY_SYMBOL] as Registry | undefined;
  if (reg === undefined) {
    reg = { entries: [] };
    holder[REGISTRY_SYMBOL] = reg;
  }
  return reg;
}

/**
 * Registers a custom pytree node type, recognised by a predicate (typically a brand check, so instances made by
 * another copy of a package match too). Registering again under the same `name` replaces the earlier entry, so a
 * package loaded twice registers idempotently. Plain arrays and plain objects are built in and cannot be overridden.
 *
 * @example
 * ```ts
 * class Point { constructor(readonly x: number, readonly y: number) {} }
 * registerNode((x): x is Point => x instanceof Point, {
 *   flatten: (p) => ({ children: [p.x, p.y], keys: [{ kind: 'attr', name: 'x' }, { kind: 'attr', name: 'y' }], aux: null }),
 *   unflatten: (_aux, [x, y]) => new Point(x as number, y as number),
 * }, 'example.Point');
 * leaves([new Point(1, 2)]); // [1, 2]
 * ```
 */
export function registerNode<T>(match: (x: unknown) => x is T, type: NodeType<T>, name: string): void {
  const reg = registry();
  const entry: RegisteredNode = { name, match, type: type as NodeType };
  const at = reg.entries.findIndex((e) => e.name === name);
  if (at >= 0) reg.entries[at] = entry;
  else reg.entries.push(entry);
}

/**
 * The registered node type matching `x`, if any (built-in arrays and plain objects are not registry entries).
 *
 * @example
 * ```ts
 * lookupNode(new Point(1, 2))?.name; // 'example.Point'
 * ```
 */
export function lookupNode(x: unknown): RegisteredNode | undefined {
  for (const entry of registry().entries) {
    if (entry.match(x)) return entry;
  }
  return undefined;
}

/**
 * Names of the registered custom node types, in registration order.
 *
 * @example
 * ```ts
 * registeredNodeNames().includes('example.Point');
 * ```
 */
export function registeredNodeNames(): string[] {
  return registry().entries.map((e) => e.name);
}

/**
 * True for objects whose prototype is `Object.prototype` or `null` (dict-like pytree nodes).
 *
 * @example
 * ```ts
 * isPlainObject({}); // true
 * isPlainObject(new Map()); // false
 * ```
 */
export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null) return false;
  const proto: unknown = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}
