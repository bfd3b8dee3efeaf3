import { ARRAY_ATTR, flatten, metadataEqual, NODE_ATTR, STATIC_ATTR, type Flattened, type GraphDef, type NodeType } from './graph.js';
import { isArrayLeaf } from './hostArray.js';
import { rawNode } from './nodeGuard.js';
import type { Key } from './paths.js';
import { isShapeDtype } from './shapeDtype.js';
import { isPlainObject, isState } from './state.js';
import type { Variable } from './variable.js';

const isEnumerableOwn = Object.prototype.propertyIsEnumerable;

/**
 * Whether a later call can be checked against this flatten by identity alone. A static attribute holding an object
 * could become a graph node if its class were registered with `registerNode` meanwhile, and a registered node's
 * children come from user code; graphs with either always take the full flatten.
 */
function isCacheable(g: GraphDef): boolean {
  for (const n of g.nodes) if (n.kind === 'node' && n.type === 'registered') return false;
  for (const a of g.attributes) if (a.kind === STATIC_ATTR && typeof a.value === 'object' && a.value !== null) return false;
  return true;
}

/** Whether `x` is the kind of container `flatten` records as `type` (lists, dicts and States are not identity-tracked). */
function isContainerOf(type: NodeType, x: object): boolean {
  if (type === 'list') return Array.isArray(x);
  if (type === 'state') return isState(x);
  return type === 'dict' && !isState(x) && isPlainObject(x);
}

/**
 * Replays a cached flatten of `cached` over the live objects reachable from `roots`: every graph node and Variable
 * must be the same object, and every node and container must still have exactly the attributes the GraphDef records
 * (same keys, the same static values, Variable metadata equal to the recorded one). Containers (lists, dicts,
 * States) and raw array leaves may be new objects, as for a full flatten. Returns the leaves and containers a full
 * flatten would return now, or undefined at the first difference. It walks the cached GraphDef's finite tree, so a
 * live cycle through containers cannot loop: it differs from the acyclic cached graph somewhere along the cycle.
 */
function replay(cached: Flattened, roots: readonly unknown[]): { leaves: unknown[]; containers: object[] } | undefined {
  const { nodes, attributes } = cached.graphdef;
  const refs = cached.refs!;
  const leaves: unknown[] = [];
  const containers: object[] = [];
  let ni = 0;
  let ai = 0;

  // Checks the node entry at `ni` against `value`, then (for a node) its attributes; false at the first difference.
  const node = (value: unknown): boolean => {
    const def = nodes[ni++]!;
    if (def.kind === 'ref') return value === refs[def.index];
    if (def.kind === 'variable') {
      if (value !== refs[def.index] || !metadataEqual((value as Variable).metadata, def.metadata)) return false;
      leaves.push(value);
      return true;
    }
    let obj: Record<Key, unknown>;
    if (def.index >= 0) {
      if (value !== refs[def.index]) return false;
      obj = rawNode(value as Record<Key, unknown>);
      if (obj.constructor !== def.type) return false;
    } else {
      if (!isContainerOf(def.type, value as object)) return false;
      containers.push(value as object);
      obj = value as Record<Key, unknown>;
    }
    const count = def.type === 'list' ? (obj as unknown as unknown[]).length : Object.keys(obj).length;
    if (count !== def.numAttributes) return false;
    for (let i = 0; i < def.numAttributes; i++) {
      const attr = attributes[ai++]!;
      if (def.type !== 'list' && !isEnumerableOwn.call(obj, attr.key)) return false;
      const child = obj[attr.key];
      if (attr.kind === NODE_ATTR) {
        if (typeof child !== 'object' || child === null || !node(child)) return false;
      } else if (attr.kind === ARRAY_ATTR) {
        if (!isArrayLeaf(child) && !isShapeDtype(child)) return false;
        leaves.push(child);
      } else if (!Object.is(child, attr.value)) {
        return false;
      }
    }
    return true;
  };
  return node(roots) ? { leaves, containers } : undefined;
}

/**
 * Memoises `flatten(roots, { withRefs: true, withPaths: false })` across calls on the same argument graphs (NNX's
 * GraphDef-keyed jit cache, without a compiler behind it). A call first replays its cached flattens, most recent
 * first, against the live objects — identity and key checks only, no GraphDef, sorting or maps built — and returns
 * a result equal to a full flatten: the same GraphDef object and refs, the containers and leaves read now (new
 * input arrays and new wrapping lists/dicts are fine). Anything that would change the GraphDef (a static attribute,
 * an added, deleted or swapped child or Variable, Variable metadata) or the refs (another module or Variable in the
 * same place, even of the same structure) fails the replay and takes the full flatten, which then becomes the most
 * recent entry. Holds strong references to the graph nodes and Variables of the last `capacity` argument graphs
 * (not to their containers or array leaves).
 *
 * @example
 * ```ts
 * const cache = new FlattenCache();
 * cache.flatten([model, x1]); // miss: full flatten
 * cache.flatten([model, x2]); // hit: same graphdef, leaves [...model Variables, x2]
 * cache.hits; // 1
 * ```
 */
export class FlattenCache {
  private readonly entries: Flattened[] = [];
  private hitCount = 0;
  private missCount = 0;

  /** @param capacity - how many argument graphs to remember (e.g. one per model a decorated method is called on). */
  constructor(readonly capacity = 4) {}

  /** Calls answered by replaying a cached flatten. */
  get hits(): number {
    return this.hitCount;
  }

  /** Calls that took the full flatten. */
  get misses(): number {
    return this.missCount;
  }

  /** Number of argument graphs remembered. */
  get size(): number {
    return this.entries.length;
  }

  /**
   * The leaves of `roots` (Variables and raw arrays, as `flatten` returns them) when their graph still matches the
   * most recently used entry — e.g. after a call that changed only Variable values — else undefined.
   *
   * @example
   * ```ts
   * const leaves = cache.unchangedLeaves([model, x]) ?? flatten([model, x]).leaves;
   * ```
   */
  unchangedLeaves(roots: readonly unknown[]): unknown[] | undefined {
    const latest = this.entries[0];
    return latest === undefined ? undefined : replay(latest, roots)?.leaves;
  }

  /** `flatten(roots, { withRefs: true, withPaths: false })`, from the cache when the graph is unchanged. */
  flatten(roots: readonly unknown[]): Flattened {
    for (let i = 0; i < this.entries.length; i++) {
      const entry = this.entries[i]!;
      const live = replay(entry, roots);
      if (live === undefined) continue;
      this.hitCount++;
      if (i > 0) this.entries.unshift(...this.entries.splice(i, 1));
      return { graphdef: entry.graphdef, leaves: live.leaves, paths: [], refs: entry.refs!, containers: live.containers };
    }
    this.missCount++;
    const flat = flatten(roots, { withRefs: true, withPaths: false });
    if (isCacheable(flat.graphdef)) {
      // Array leaves and containers are not kept: a replay reads them from the live objects.
      this.entries.unshift({ graphdef: flat.graphdef, leaves: [], paths: [], refs: flat.refs! });
      if (this.entries.length > this.capacity) this.entries.pop();
    }
    return flat;
  }
}
