import { TransformError } from './errors.js';
import { NODE_OWNER, NODE_TRACE, currentTrace, type Trace } from './trace.js';

// Proxy → target, shared by every installed copy of the package (like the brands and the trace state).
const TARGETS_KEY = Symbol.for('nnx-ts.nodeTargets');
const targets: WeakMap<object, object> = ((globalThis as Record<symbol, unknown>)[TARGETS_KEY] ??= new WeakMap()) as WeakMap<
  object,
  object
>;

/**
 * Whether the graph node `target` may change at the current trace level: anywhere outside every transform; inside
 * one, when the transform received it (an in-place call's argument, {@link NODE_OWNER}) or it was created inside.
 */
function isWritableNode(target: object, trace: Trace): boolean {
  return (target as { [NODE_OWNER]?: Trace })[NODE_OWNER] === trace || trace.encloses(target);
}

function checkWritable(target: object, key: PropertyKey): void {
  const trace = currentTrace();
  if (trace === undefined || isWritableNode(target, trace)) return;
  const type = (target.constructor as { name?: string } | undefined)?.name ?? 'Pytree';
  throw new TransformError(
    `Cannot change attribute '${String(key)}' of a ${type} inside ${trace.name}: the ${type} was captured by closure, ` +
      `not passed to the transform. A transformed function may only change state it receives through its arguments; ` +
      `pass the ${type} as an argument (NNX raises TraceContextError here).`,
  );
}

// Only writes are intercepted (reads go straight to the target). A plain assignment `m.a = 1` reaches
// `defineProperty` through the target's ordinary [[Set]] with the proxy as receiver, so two traps see every change.
const GUARD: ProxyHandler<object> = {
  defineProperty(target, key, descriptor) {
    checkWritable(target, key);
    return Reflect.defineProperty(target, key, descriptor);
  },
  deleteProperty(target, key) {
    checkWritable(target, key);
    return Reflect.deleteProperty(target, key);
  },
};

/** A non-enumerable own property: a marker, not an attribute (not copied by spreads, not in `Object.keys`). */
function defineMarker(target: object, key: symbol, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: false, writable: true, configurable: true });
}

/**
 * Prepares a new graph node `target` and returns the guarded object users hold: a Proxy that refuses attribute
 * changes from a transform that captured the node by closure (NNX's trace-level check on Objects). The node
 * records the trace it was created in, if any (a non-enumerable marker, not an attribute).
 */
export function guardNode<T extends object>(target: T): T {
  // Markers are defined only when needed (defineProperty is the costly part of creating a node).
  const trace = currentTrace();
  if (trace !== undefined) defineMarker(target, NODE_TRACE, trace);
  const guarded = new Proxy(target, GUARD) as T;
  targets.set(guarded, target);
  return guarded;
}

/**
 * The unguarded object behind `x` if `x` is a guarded graph node, else undefined. A lookup that, unlike reading
 * the brand through the Proxy, costs the same for every object: hot walks test this first.
 */
export function guardedTarget(x: object): object | undefined {
  return targets.get(x);
}

/**
 * The unguarded object behind a graph node (the node itself if it is not guarded). The graph engine reads and
 * writes through it: its reads are faster, and its writes (merging, rolling back) are the protocol's own.
 */
export function rawNode<T extends object>(node: T): T {
  return (targets.get(node) as T | undefined) ?? node;
}

/** A new, guarded graph node of class `ctor`, built without running its constructor (for unflatten). */
export function createNode(ctor: abstract new (...args: any[]) => object): Record<PropertyKey, unknown> {
  return guardNode(Object.create(ctor.prototype) as Record<PropertyKey, unknown>);
}

/**
 * Gives the unguarded graph node `target` to `trace` (an in-place call's argument) when the trace's parent level may
 * change it, and returns the previous owner for {@link restoreNodeOwner}. A node the parent level may not change
 * (captured by closure there) stays read-only in the call.
 */
export function claimNode(target: object, trace: Trace): Trace | undefined {
  const marked = target as { [NODE_OWNER]?: Trace };
  const previous = marked[NODE_OWNER];
  const parent = trace.parent;
  if (parent === undefined || isWritableNode(target, parent)) {
    if (previous === undefined && !Object.hasOwn(target, NODE_OWNER)) defineMarker(target, NODE_OWNER, trace);
    else marked[NODE_OWNER] = trace;
  }
  return previous;
}

/** Gives the unguarded node `target` back to the owner {@link claimNode} returned. */
export function restoreNodeOwner(target: object, owner: Trace | undefined): void {
  // A node that was never claimed has no marker; assigning one here would make it an enumerable property.
  if (owner === undefined && !Object.hasOwn(target, NODE_OWNER)) return;
  (target as { [NODE_OWNER]?: Trace })[NODE_OWNER] = owner;
}
