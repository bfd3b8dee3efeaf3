import { flatten, unflatten, type GraphDef } from './graph.js';
import { GraphError } from './errors.js';
import { FlatState, fromFlatState, sortedPairs } from './flatState.js';
import { pathToString, type Key } from './paths.js';
import type { State } from './state.js';

/** What a method called through {@link call} returns: its output and the new `(graphdef, state)` pair. */
export type CallResult = [out: any, graphState: [GraphDef, State]];

/** The proxy returned by {@link call}: call it (the node's `call` method), or reach a method by property access. */
export type CallProxy = ((...args: any[]) => CallResult) & { readonly [key: string]: CallProxy };

/** The leaves of one or more states in flatten order (several states are merged by sorting their paths). */
function leavesOf(graphdef: GraphDef, states: readonly unknown[]): unknown[] {
  let leaves: unknown[];
  if (states.length === 1) leaves = flatten(states[0]).leaves;
  else {
    const pairs: Array<[Key[], unknown]> = [];
    for (const st of states) {
      const flat = flatten(st);
      flat.paths.forEach((path, i) => pairs.push([path, flat.leaves[i]]));
    }
    leaves = sortedPairs(pairs).map((pair) => pair[1]);
  }
  if (leaves.length !== graphdef.numLeaves) {
    throw new GraphError(`Incorrect number of leaves: expected ${graphdef.numLeaves}, got ${leaves.length}`);
  }
  return leaves;
}

/**
 * Calls a method of the node described by a `(graphdef, state)` pair without touching that state: the node is
 * rebuilt with copied Variables (merge → method → split), and the call returns the method's output and the new
 * pair. `call(gs)(x)` calls the node's `call` method; `call(gs).b.increment()` reaches nested nodes and methods.
 * The returned state owns new tensors (dispose the old pair with `disposeTree` when it is no longer needed).
 *
 * @example
 * ```ts
 * let gs = split(counter) as [GraphDef, State];
 * const [out, next] = call(gs).inc();
 * gs = next;
 * ```
 */
export function call(graphState: readonly [GraphDef, State]): CallProxy {
  return callProxy(graphState[0], [graphState[1]]);
}

/**
 * The proxy behind {@link call} and `GraphDef.apply`, for a GraphDef and one or more states (States or pure dicts;
 * several are merged like `merge` does).
 */
export function callProxy(graphdef: GraphDef, states: readonly unknown[]): CallProxy {
  if (states.length === 0) throw new GraphError('apply needs at least one state');
  const at = (path: Key[]): CallProxy =>
    new Proxy(function target() {} as unknown as CallProxy, {
      get: (_t, prop) => (typeof prop === 'string' ? at([...path, prop]) : undefined),
      apply: (_t, _this, args: unknown[]): CallResult => {
        const root = unflatten(graphdef, leavesOf(graphdef, states), { copyVariables: true, cloneRawValues: true });
        const methodPath = path.length === 0 ? ['call'] : path;
        let owner: any = root;
        for (const key of methodPath.slice(0, -1)) owner = owner?.[key];
        const name = methodPath[methodPath.length - 1]!;
        const method = owner?.[name];
        if (typeof method !== 'function') throw new GraphError(`${pathToString(methodPath)} is not a method`);
        const out = method.apply(owner, args);
        const flat = flatten(root);
        return [out, [flat.graphdef, fromFlatState(new FlatState(flat.paths, flat.leaves))]];
      },
    });
  return at([]);
}
