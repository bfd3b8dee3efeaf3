import { ARRAY_ATTR, flatten, metadataEqual, NODE_ATTR, STATIC_ATTR, type Flattened, type GraphDef } from './graph.js';
import { isArrayLeaf } from './hostArray.js';
import type { Key } from './paths.js';
import { isShapeDtype } from './shapeDtype.js';
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

/**
 * Replays a cached flatten of `cached` over the live objects reachable from `roots`: every node must still have
 * exactly the attributes the GraphDef records (same keys, the same child objects and Variables, the same static
 * values, Variable metadata equal to the recorded one); raw array leaves may be new arrays. Returns the leaves a
 * full flatten would return now, or undefined at the first difference.
 */
function replay(cached: Flattened, roots: readonly unknown[]): unknown[] | undefined {
  const { nodes, attributes } = cached.graphdef;
  const refs = cached.refs!;
  const containers = cached.containers!;
  const leaves: unknown[] = [];
  let ni = 0;
  let ai = 0;
  let ci = 0;

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
      if (value !== refs[def.index] || (value as object).constructor !== def.type) return false;
      obj = value as Record<Key, unknown>;
    } else {
      const expected = ci === 0 ? roots : containers[ci];
      ci++;
      if (value !== expected) return false;
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
  return node(roots) ? leaves : undefined;
}

/**
 * Memoises `flatten(roots, { withRefs: true, withPaths: false })` across calls on the same argument graphs (NNX's
 * GraphDef-keyed jit cache, without a compiler behind it). A call first replays its cached flattens, most recent
 * first, against the live objects — identity and key checks only, no GraphDef, sorting or maps built — and returns
 * a result equal to a full flatten: the same GraphDef object, the same refs and containers, the leaves read now
 * (new input arrays are fine). Anything that would change the GraphDef (a static attribute, an added, deleted or
 * swapped child or Variable, Variable metadata, the arguments themselves) fails the replay and takes the full
 * flatten, which then becomes the most recent entry. Holds strong references to the last `capacity` argument
 * graphs (not to their array leaves).
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
    return latest === undefined ? undefined : replay(latest, roots);
  }

  /** `flatten(roots, { withRefs: true, withPaths: false })`, from the cache when the graph is unchanged. */
  flatten(roots: readonly unknown[]): Flattened {
    for (let i = 0; i < this.entries.length; i++) {
      const entry = this.entries[i]!;
      const leaves = replay(entry, roots);
      if (leaves === undefined) continue;
      this.hitCount++;
      if (i > 0) this.entries.unshift(...this.entries.splice(i, 1));
      const containers = entry.containers!.slice();
      containers[0] = roots;
      return { graphdef: entry.graphdef, leaves, paths: [], refs: entry.refs!, containers };
    }
    this.missCount++;
    const flat = flatten(roots, { withRefs: true, withPaths: false });
    if (isCacheable(flat.graphdef)) {
      // Array leaves are not kept: a replay reads them from the live objects.
      this.entries.unshift({ ...flat, leaves: [] });
      if (this.entries.length > this.capacity) this.entries.pop();
    }
    return flat;
  }
}
