import { flatten, unflatten, type GraphDef } from './graph.js';
import { GraphError } from './errors.js';
import { FlatState, fromFlatState } from './flatState.js';
import { pathToString, type Key } from './paths.js';
import type { State } from './state.js';

/** What a method called through {@link call} returns: its output and the new `(graphdef, state)` pair. */
export type CallResult = [out: any, graphState: [GraphDef, State]];

/** The proxy returned by {@link call}: call it (the node's `call` method), or reach a method by property access. */
export type CallProxy = ((...args: any[]) => CallResult) & { readonly [key: string]: CallProxy };

function leavesOf(graphdef: GraphDef, st: State): unknown[] {
  const { leaves } = flatten(st);
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
  const [graphdef, st] = graphState;
  const at = (path: Key[]): CallProxy =>
    new Proxy(function target() {} as unknown as CallProxy, {
      get: (_t, prop) => (typeof prop === 'string' ? at([...path, prop]) : undefined),
      apply: (_t, _this, args: unknown[]): CallResult => {
        const root = unflatten(graphdef, leavesOf(graphdef, st), { copyVariables: true });
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
