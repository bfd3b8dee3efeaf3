import type { RegisteredNode } from './registry.js';
import { isPlainObject } from './registry.js';

/**
 * The kind of one node of a {@link TreeDef}.
 *
 * @example
 * ```ts
 * structure([1]).kind; // 'array'
 * ```
 */
export type TreeDefKind = 'leaf' | 'null' | 'undefined' | 'array' | 'object' | 'custom';

/**
 * What a {@link TreeDef} node records; built only by this package's traversals.
 *
 * @example
 * ```ts
 * structure({ a: 1 }).node.keys; // ['a']
 * ```
 */
export interface TreeDefNode {
  readonly kind: TreeDefKind;
  readonly children: readonly TreeDef[];
  /** Sorted keys of a plain-object node. */
  readonly keys?: readonly string[];
  /** A plain-object node whose source had a null prototype; rebuilt the same way, ignored by equality. */
  readonly nullPrototype?: boolean;
  /** Registered type of a custom node. */
  readonly registered?: RegisteredNode;
  /** Aux data returned by the custom node's `flatten`. */
  readonly aux?: unknown;
}

const identityIds = new WeakMap<object, number>();
let nextIdentityId = 0;

function identityKey(x: object): string {
  let id = identityIds.get(x);
  if (id === undefined) {
    id = nextIdentityId++;
    identityIds.set(x, id);
  }
  return `#${id}`;
}

/** Value-based key for primitives, arrays and plain objects; identity for anything else (classes, functions). */
function defaultAuxKey(aux: unknown): string {
  switch (typeof aux) {
    case 'undefined':
      return 'undefined';
    case 'number':
    case 'boolean':
      return String(aux);
    case 'bigint':
      return `${aux}n`;
    case 'string':
      return JSON.stringify(aux);
    case 'symbol':
      return aux.toString();
    case 'function':
      return identityKey(aux);
    case 'object':
      if (aux === null) return 'null';
      if (Array.isArray(aux)) return `[${aux.map(defaultAuxKey).join(',')}]`;
      if (isPlainObject(aux)) {
        const keys = Object.keys(aux).sort();
        return `{${keys.map((k) => `${JSON.stringify(k)}:${defaultAuxKey(aux[k])}`).join(',')}}`;
      }
      return identityKey(aux);
  }
}

/**
 * The structure of a pytree with its leaves taken out, like JAX's `PyTreeDef`. Two treedefs are equal when their
 * {@link TreeDef.key | key} strings are equal; the key is stable within a process and usable as a cache key.
 *
 * @example
 * ```ts
 * const [, def] = flatten({ b: [1, 2], a: null });
 * def.numLeaves; // 2
 * def.toString(); // "TreeDef({a: null, b: [*, *]})"
 * def.equals(structure({ a: null, b: ['x', 'y'] })); // true
 * ```
 */
export class TreeDef {
  /** Number of leaves this structure holds. */
  readonly numLeaves: number;
  /** Number of nodes, leaves included. */
  readonly numNodes: number;
  /** @internal */
  readonly node: TreeDefNode;
  private cachedKey: string | undefined;

  /** @internal Treedefs are built by `flatten` / `structure`. */
  constructor(node: TreeDefNode) {
    this.node = node;
    let numLeaves = node.kind === 'leaf' ? 1 : 0;
    let numNodes = 1;
    for (const child of node.children) {
      numLeaves += child.numLeaves;
      numNodes += child.numNodes;
    }
    this.numLeaves = numLeaves;
    this.numNodes = numNodes;
  }

  /** The kind of the root node. */
  get kind(): TreeDefKind {
    return this.node.kind;
  }

  /** Treedefs of the root's direct children. */
  get children(): readonly TreeDef[] {
    return this.node.children;
  }

  /** Stable string describing the whole structure, including custom node names and aux data. */
  get key(): string {
    if (this.cachedKey === undefined) this.cachedKey = computeKey(this);
    return this.cachedKey;
  }

  /** True when `other` describes the same structure. */
  equals(other: TreeDef): boolean {
    return this === other || (this.numLeaves === other.numLeaves && this.key === other.key);
  }

  toString(): string {
    return `TreeDef(${this.key})`;
  }
}

function computeKey(def: TreeDef): string {
  const { node } = def;
  switch (node.kind) {
    case 'leaf':
      return '*';
    case 'null':
      return 'null';
    case 'undefined':
      return 'undefined';
    case 'array':
      return `[${node.children.map((c) => c.key).join(', ')}]`;
    case 'object': {
      const keys = node.keys ?? [];
      return `{${keys.map((k, i) => `${formatObjectKey(k)}: ${node.children[i]!.key}`).join(', ')}}`;
    }
    case 'custom': {
      const registered = node.registered!;
      const auxKey = registered.type.auxKey ? registered.type.auxKey(node.aux) : defaultAuxKey(node.aux);
      return `${registered.name}<${auxKey}>(${node.children.map((c) => c.key).join(', ')})`;
    }
  }
}

function formatObjectKey(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key);
}

/** The treedef of a single leaf; shared because leaves carry no data. */
export const LEAF = new TreeDef({ kind: 'leaf', children: [] });
export const NULL_NODE = new TreeDef({ kind: 'null', children: [] });
export const UNDEFINED_NODE = new TreeDef({ kind: 'undefined', children: [] });
