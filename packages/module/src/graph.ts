import { brand, brandedHasInstance } from './brand.js';
import { callProxy, type CallProxy } from './call.js';
import { GraphError } from './errors.js';
import { isArrayLeaf } from './hostArray.js';
import { createNode, guardedTarget, rawNode } from './nodeGuard.js';
import { pathToString, sortedKeysOf, type Key } from './paths.js';
import { isPytree, type Pytree } from './pytree.js';
import {
  isContainerNode,
  rebuildRegisteredNode,
  registeredNodeParts,
  type RegisteredNodeMetadata,
  type RegisteredNodeParts,
} from './pytreeNode.js';
import { isShapeDtype } from './shapeDtype.js';
import { isState, State } from './state.js';
import { staticKey, stringHash } from './staticKey.js';
import { isVariable, own, shareValue, Variable, type VariableMetadata, type VariableType } from './variable.js';

/**
 * Attribute kinds in a GraphDef: a child node/Variable, a raw array leaf, or a static value.
 *
 * @example
 * ```ts
 * graphdef(model).attributes.filter((a) => a.kind === NODE_ATTR);
 * ```
 */
export const NODE_ATTR = 0;
/**
 * See {@link NODE_ATTR}.
 *
 * @example
 * ```ts
 * graphdef(model).attributes.filter((a) => a.kind === ARRAY_ATTR);
 * ```
 */
export const ARRAY_ATTR = 1;
/**
 * See {@link NODE_ATTR}.
 *
 * @example
 * ```ts
 * graphdef(model).attributes.filter((a) => a.kind === STATIC_ATTR);
 * ```
 */
export const STATIC_ATTR = 2;

/**
 * What a container node is: `'list'`, `'dict'` (plain object), `'state'`, `'registered'` (a type registered with
 * `@nnx-ts/pytree`'s `registerNode`, described by {@link NodeDef.metadata}), or a Pytree class.
 *
 * @example
 * ```ts
 * const t: NodeType = 'list';
 * ```
 */
export type NodeType = 'list' | 'dict' | 'state' | 'registered' | (abstract new (...args: any[]) => Pytree);

/**
 * A graph node (Pytree, index ≥ 0) or pytree container (list/dict/State/registered node, index -1) and its
 * attribute count.
 *
 * @example
 * ```ts
 * const roots = graphdef(model).nodes.filter((n): n is NodeDef => n.kind === 'node');
 * ```
 */
export interface NodeDef {
  readonly kind: 'node';
  readonly type: NodeType;
  readonly index: number;
  readonly numAttributes: number;
  /** For `'registered'` nodes: the registered type, its aux data and the children's original order. */
  readonly metadata?: RegisteredNodeMetadata;
}

/**
 * A Variable: its type, pre-order index and metadata.
 *
 * @example
 * ```ts
 * const vars = graphdef(model).nodes.filter((n): n is VariableDef => n.kind === 'variable');
 * ```
 */
export interface VariableDef {
  readonly kind: 'variable';
  readonly type: VariableType;
  readonly index: number;
  readonly metadata: VariableMetadata;
}

/**
 * A repeated occurrence of an already-visited graph node or Variable (shared reference or cycle).
 *
 * @example
 * ```ts
 * const shared = graphdef(model).nodes.filter((n): n is NodeRef => n.kind === 'ref').length;
 * ```
 */
export interface NodeRef {
  readonly kind: 'ref';
  readonly index: number;
}

/**
 * One attribute of a node, in sorted key order.
 *
 * @example
 * ```ts
 * const statics = graphdef(model).attributes.filter((a: Attribute) => a.kind === STATIC_ATTR);
 * ```
 */
export interface Attribute {
  readonly key: Key;
  readonly kind: typeof NODE_ATTR | typeof ARRAY_ATTR | typeof STATIC_ATTR;
  readonly value?: unknown;
}

const GRAPHDEF_BRAND: unique symbol = Symbol.for('nnx-ts.GraphDef') as any;
const EMPTY_METADATA: VariableMetadata = Object.freeze({});

/**
 * The static structure of a graph: node types, topology (including shared references), static attribute values
 * and Variable metadata. Two GraphDefs are `equals` when structurally identical; `key`/`hash` are stable and
 * usable as cache keys (e.g. by `jit`).
 *
 * @example
 * ```ts
 * const [g1] = split(model);
 * const [g2] = split(model);
 * g1.equals(g2); // true
 * cache.get(g1.key);
 * ```
 */
export class GraphDef {
  declare readonly [GRAPHDEF_BRAND]: true;
  private cachedKey: string | undefined;

  constructor(
    /** Pre-order node entries. */
    readonly nodes: ReadonlyArray<NodeDef | VariableDef | NodeRef>,
    /** Attributes of the nodes, concatenated in traversal order. */
    readonly attributes: readonly Attribute[],
    /** Number of state leaves. */
    readonly numLeaves: number,
  ) {}

  /** A stable string identifying the structure (static values of objects/functions by identity). */
  get key(): string {
    if (this.cachedKey === undefined) this.cachedKey = this.computeKey();
    return this.cachedKey;
  }

  /** A 32-bit hash of {@link GraphDef.key}. */
  get hash(): number {
    return stringHash(this.key);
  }

  /** Structural equality. */
  equals(other: GraphDef): boolean {
    return this === other || (this.numLeaves === other.numLeaves && this.key === other.key);
  }

  /**
   * Calls a method of the node described by this GraphDef and `state` (plus further states, merged like
   * `merge`) without touching them, like Flax's `GraphDef.apply`: `g.apply(s)(x)` calls the node's `call`
   * method, `g.apply(s).b.increment()` a nested method; each returns `[out, [graphdef, state]]`. Same as `call`
   * on `[g, s]`: the node is rebuilt with copied Variables and the returned state owns new tensors.
   *
   * @example
   * ```ts
   * const [g, params, rest] = split(model, Param, '...');
   * const [y, [g2, s2]] = g.apply(params, rest)(x);
   * ```
   */
  apply(state: unknown, ...states: unknown[]): CallProxy {
    return callProxy(this, [state, ...states]);
  }

  private computeKey(): string {
    const parts: string[] = [];
    for (const n of this.nodes) {
      if (n.kind === 'ref') parts.push(`R${n.index}`);
      else if (n.kind === 'variable') parts.push(`V${staticKey(n.type)}:${n.index}:${staticKey(n.metadata)}`);
      else if (n.type === 'registered') {
        parts.push(`N${n.metadata!.treedef.key}<${n.metadata!.order.join(',')}>:${n.numAttributes}`);
      }
      else parts.push(`N${typeof n.type === 'string' ? n.type : staticKey(n.type)}:${n.index}:${n.numAttributes}`);
    }
    parts.push('|');
    for (const a of this.attributes) {
      parts.push(a.kind === STATIC_ATTR ? `${staticKey(a.key)}=${staticKey(a.value)}` : `${staticKey(a.key)}:${a.kind}`);
    }
    return parts.join(';');
  }

  toString(): string {
    return `GraphDef(nodes=${this.nodes.length}, attributes=${this.attributes.length}, numLeaves=${this.numLeaves})`;
  }

  static [Symbol.hasInstance](x: unknown): boolean {
    return brandedHasInstance(this, x);
  }
}
brand(GraphDef, 'GraphDef');

/**
 * Result of {@link flatten}: the GraphDef, the leaves and (when requested) their paths.
 *
 * @example
 * ```ts
 * const { graphdef, leaves, paths }: Flattened = flatten(model);
 * ```
 */
export interface Flattened {
  graphdef: GraphDef;
  leaves: unknown[];
  paths: Key[][];
  /** With `withRefs`: the graph nodes and Variables by their GraphDef index (what `unflatten`'s `existing` takes). */
  refs?: object[];
  /** With `withRefs`: the containers (lists, dicts, States) in visit order (what `existingContainers` takes). */
  containers?: object[];
}

/**
 * Depth-first flatten with sorted keys. A graph node or Variable reached again emits a {@link NodeRef}: the first
 * path owns the state. Leaves are the live Variables and raw array attributes; `withPaths: false` skips the paths
 * (faster).
 *
 * @example
 * ```ts
 * const { graphdef, paths, leaves } = flatten(model);
 * ```
 */
export function flatten(root: unknown, options: { withPaths?: boolean; withRefs?: boolean } = {}): Flattened {
  const withPaths = options.withPaths ?? true;
  const refs: object[] | undefined = options.withRefs === true ? [] : undefined;
  const visited: object[] | undefined = options.withRefs === true ? [] : undefined;
  const nodes: Array<NodeDef | VariableDef | NodeRef> = [];
  const attributes: Attribute[] = [];
  const leaves: unknown[] = [];
  const paths: Key[][] = [];
  const refIndex = new Map<object, number>();
  const containers = new Set<object>();
  const path: Key[] = [];

  // `target` is the unguarded object behind a guarded graph node (callers look it up once): the node is read through
  // it, with the same attributes and without the Proxy's cost.
  const visit = (node: object, target: object | undefined, registered?: RegisteredNodeParts): void => {
    if (target === undefined && isVariable(node)) {
      const seen = refIndex.get(node);
      if (seen !== undefined) {
        nodes.push({ kind: 'ref', index: seen });
        return;
      }
      const index = refIndex.size;
      refIndex.set(node, index);
      refs?.push(node);
      nodes.push({ kind: 'variable', type: node.constructor as VariableType, index, metadata: snapshot(node) });
      leaves.push(node);
      if (withPaths) paths.push(path.slice());
      return;
    }
    let type: NodeType;
    let index = -1;
    let keys: Key[];
    let values: unknown[] | undefined;
    let metadata: RegisteredNodeMetadata | undefined;
    if (target !== undefined || isPytree(node)) {
      const seen = refIndex.get(node);
      if (seen !== undefined) {
        nodes.push({ kind: 'ref', index: seen });
        return;
      }
      index = refIndex.size;
      refIndex.set(node, index);
      refs?.push(node);
      node = target ?? node;
      type = node.constructor as NodeType;
      keys = sortedKeysOf(node);
    } else {
      if (containers.has(node)) {
        throw new GraphError(`Cycle through a non-graph container at ${pathToString(path)}; only Pytree/Module objects may form cycles`);
      }
      if (registered !== undefined) {
        type = 'registered';
        keys = registered.keys;
        values = registered.children;
        metadata = registered.metadata;
      } else if (Array.isArray(node)) {
        type = 'list';
        keys = new Array(node.length);
        for (let i = 0; i < node.length; i++) keys[i] = i;
      } else {
        type = isState(node) ? 'state' : 'dict';
        keys = sortedKeysOf(node);
      }
    }
    const def: NodeDef = { kind: 'node', type, index, numAttributes: keys.length };
    nodes.push(metadata === undefined ? def : { ...def, metadata });
    if (index < 0) {
      containers.add(node);
      if (registered === undefined) visited?.push(node);
    }
    const record = node as Record<Key, unknown>;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const child = values === undefined ? record[key] : values[i];
      const isObject = typeof child === 'object' && child !== null;
      const childTarget = isObject ? guardedTarget(child) : undefined;
      if (isObject && (childTarget !== undefined || isVariable(child) || isContainerNode(child))) {
        attributes.push({ key, kind: NODE_ATTR });
        path.push(key);
        visit(child, childTarget);
        path.pop();
      } else if (isArrayLeaf(child) || isShapeDtype(child)) {
        attributes.push({ key, kind: ARRAY_ATTR });
        leaves.push(child);
        if (withPaths) {
          const p = path.slice();
          p.push(key);
          paths.push(p);
        }
      } else {
        const parts = isObject ? registeredNodeParts(child) : undefined;
        if (parts !== undefined) {
          attributes.push({ key, kind: NODE_ATTR });
          path.push(key);
          visit(child as object, undefined, parts);
          path.pop();
        } else {
          attributes.push({ key, kind: STATIC_ATTR, value: child });
        }
      }
    }
    if (index < 0) containers.delete(node);
  };

  const isObject = typeof root === 'object' && root !== null;
  const rootParts = isObject && !isVariable(root) && !isContainerNode(root) ? registeredNodeParts(root) : undefined;
  if (isObject && (isVariable(root) || isContainerNode(root) || rootParts !== undefined)) {
    visit(root, guardedTarget(root), rootParts);
  } else {
    leaves.push(root);
    paths.push([]);
  }
  const result: Flattened = { graphdef: new GraphDef(nodes, attributes, leaves.length), leaves, paths };
  if (refs !== undefined) {
    result.refs = refs;
    result.containers = visited;
  }
  return result;
}

function snapshot(v: Variable): VariableMetadata {
  const md = v.metadata;
  for (const _ in md) return { ...md };
  return EMPTY_METADATA;
}

/**
 * Options of {@link unflatten}.
 *
 * @example
 * ```ts
 * const copy = unflatten(g, leaves, { copyVariables: true });
 * ```
 */
export interface UnflattenOptions {
  /** Copy Variable leaves (`Variable.copy()`) instead of reusing them. Default false. */
  copyVariables?: boolean;
  /** A Variable built from a raw leaf gets a `tf.clone` of it (the caller keeps its tensor). Default false. */
  cloneRawValues?: boolean;
  /**
   * Existing objects by GraphDef index (NNX's outer merge): a graph node found here is cleared and re-initialised
   * from the GraphDef (changed static attributes, added and deleted attributes, swapped children all show), and a
   * Variable found here takes the leaf's value (through its `value` setter) and the recorded metadata. Indices
   * without an entry are built fresh.
   */
  existing?: ReadonlyArray<object | undefined>;
  /**
   * Containers (lists, dicts, States) to refill instead of building new ones, in visit order — the `containers`
   * of the {@link flatten} that produced this GraphDef. Used to restore a graph to an earlier flatten.
   */
  existingContainers?: readonly object[];
  /**
   * With `existing`: set Variables' values and metadata directly, without the `value` setter (no disposal of the
   * current value, no transform check). Used to roll a graph back to an earlier flatten.
   */
  restore?: boolean;
}

/** Re-initialises an existing graph node with new attributes: what the new GraphDef does not name is deleted. */
function reinitialize(obj: Record<Key, unknown>, keys: readonly Key[], values: readonly unknown[]): void {
  const kept = new Set<string>();
  for (let i = 0; i < keys.length; i++) {
    kept.add(String(keys[i]));
    obj[keys[i]!] = values[i];
  }
  for (const name of Object.keys(obj)) if (!kept.has(name)) delete obj[name];
}

function refill(container: Record<Key, unknown>, type: NodeType, keys: readonly Key[], values: readonly unknown[]): void {
  if (type === 'list') (container as unknown as unknown[]).length = keys.length;
  reinitialize(container, keys, values);
}

function updateExisting(v: Variable, leaf: unknown, metadata: VariableMetadata, restore: boolean): void {
  const raw = isVariable(leaf) ? leaf.raw : leaf;
  if (restore) {
    v.raw = raw;
    v.metadata = { ...metadata };
    return;
  }
  if (v.raw !== raw) v.value = raw;
  if (!metadataEqual(v.metadata, metadata)) v.metadata = { ...metadata };
}

/** Whether two metadata records have the same entries (values compared by identity). Internal. */
export function metadataEqual(a: VariableMetadata, b: VariableMetadata): boolean {
  let n = 0;
  for (const k in a) {
    if (a[k] !== b[k]) return false;
    n++;
  }
  for (const _ in b) n--;
  return n === 0;
}

/**
 * Rebuilds a graph from a GraphDef and its leaves in flatten order. Graph nodes are created without running
 * their constructors and registered before their children (cycles work); `NodeRef`s restore sharing. A leaf that is
 * a Variable is reused (or copied, raw tensors cloned, with `copyVariables`); a raw value becomes a Variable of the recorded type and metadata.
 * With `existing`, the graph is merged into existing objects instead (see {@link UnflattenOptions}).
 *
 * @example
 * ```ts
 * const { graphdef, leaves } = flatten(model);
 * const same = unflatten(graphdef, leaves);
 * ```
 */
export function unflatten(graphdef: GraphDef, leaves: readonly unknown[], options: UnflattenOptions = {}): any {
  if (leaves.length !== graphdef.numLeaves) {
    throw new GraphError(`Incorrect number of leaves: expected ${graphdef.numLeaves}, got ${leaves.length}`);
  }
  const { nodes, attributes } = graphdef;
  if (nodes.length === 0) return leaves[0];
  const copy = options.copyVariables ?? false;
  const cloneRaw = options.cloneRawValues ?? false;
  const existing = options.existing;
  const existingContainers = options.existingContainers;
  const restore = options.restore ?? false;
  const indexRef: unknown[] = [];
  let ni = 0;
  let ai = 0;
  let li = 0;
  let ci = 0;

  const build = (): unknown => {
    const def = nodes[ni++]!;
    if (def.kind === 'ref') return indexRef[def.index];
    if (def.kind === 'variable') {
      const leaf = leaves[li++];
      const target = existing?.[def.index];
      let v: unknown;
      if (target !== undefined) {
        updateExisting(target as Variable, leaf, def.metadata, restore);
        v = target;
      } else if (isVariable(leaf)) v = copy ? leaf.copy() : leaf;
      else v = Variable.fromMetadata.call(def.type, cloneRaw ? own(shareValue(leaf)) : leaf, def.metadata);
      indexRef[def.index] = v;
      return v;
    }
    if (def.type === 'registered') {
      // Pytree nodes are not identity-tracked: children first, then a new object.
      const children = new Array<unknown>(def.numAttributes);
      for (let i = 0; i < def.numAttributes; i++) children[i] = buildAttribute();
      return rebuildRegisteredNode(def.metadata!, children);
    }
    const target = def.index >= 0 ? existing?.[def.index] : existingContainers?.[ci++];
    if (target !== undefined) {
      if (def.index >= 0) indexRef[def.index] = target;
      const keys = new Array<Key>(def.numAttributes);
      const values = new Array<unknown>(def.numAttributes);
      for (let i = 0; i < def.numAttributes; i++) {
        keys[i] = attributes[ai]!.key;
        values[i] = buildAttribute();
      }
      // Merging and rolling back are the protocol's own writes: through the unguarded object.
      refill(rawNode(target) as Record<Key, unknown>, def.type, keys, values);
      return target;
    }
    let result: Record<Key, unknown>;
    if (def.type === 'list') result = new Array(def.numAttributes) as unknown as Record<Key, unknown>;
    else if (def.type === 'dict') result = {};
    else if (def.type === 'state') result = new State();
    else {
      result = createNode(def.type);
      indexRef[def.index] = result;
    }
    const obj = rawNode(result);
    for (let i = 0; i < def.numAttributes; i++) {
      const key = attributes[ai]!.key;
      obj[key] = buildAttribute();
    }
    return result;
  };
  const buildAttribute = (): unknown => {
    const attr = attributes[ai++]!;
    return attr.kind === NODE_ATTR ? build() : attr.kind === ARRAY_ATTR ? (copy ? shareValue(leaves[li++]) : leaves[li++]) : attr.value;
  };
  return build();
}
