import { State, Variable, isPytree, isState, isVariable, keyOf, state, toPredicate, type Filter, type Path } from '@nnx-ts/module';
import type * as tf from '@tensorflow/tfjs-core';

/** One differentiated Variable: where `state(node, filter)` puts it, and the live Variable. */
export interface DiffEntry {
  readonly path: Path;
  readonly variable: Variable<tf.Tensor>;
}

/** Graph-node arguments: Modules/Pytrees, Variables, States, and arrays or plain objects holding them. */
export function isGraphArgument(x: unknown): boolean {
  if (isPytree(x) || isVariable(x) || isState(x)) return true;
  if (x === null || typeof x !== 'object') return false;
  const proto = Object.getPrototypeOf(x);
  return Array.isArray(x) || proto === Object.prototype || proto === null;
}

/** The Variables of `node` selected by `filter`, in `state(node, filter)` order (shared Variables once). */
export function diffVariables(node: unknown, filter: Filter): DiffEntry[] {
  // A bare Variable is its own state (at the empty path), as NNX's split gives.
  if (isVariable(node)) return toPredicate(filter)([], node) ? [{ path: [], variable: node as Variable<tf.Tensor> }] : [];
  const entries: DiffEntry[] = [];
  const visit = (sub: unknown, path: Path): void => {
    if (isVariable(sub)) {
      entries.push({ path, variable: sub as Variable<tf.Tensor> });
    } else if (sub !== null && typeof sub === 'object') {
      for (const key of Object.keys(sub)) visit((sub as Record<string, unknown>)[key], [...path, keyOf(key)]);
    }
  };
  visit(state(node as object, filter), []);
  return entries;
}

/**
 * A Variable of `like`'s type and metadata holding `grad`. Unlike `replace`, the tensor is not `tf.keep`-ed:
 * gradients are results of a transform, owned by the caller's scope (an enclosing `jit` frees them unless returned).
 */
function gradientVariable(like: Variable<tf.Tensor>, grad: tf.Tensor): Variable<tf.Tensor> {
  const ctor = like.constructor as typeof Variable;
  return ctor.fromMetadata.call(ctor as any, grad, like.metadata) as Variable<tf.Tensor>;
}

/**
 * A nested State holding, at each entry's path, a Variable of the entry's type with the gradient as value; for a
 * bare Variable argument (one entry at the empty path) the gradient Variable itself, as `state(variable)` gives.
 */
export function gradientState(entries: readonly DiffEntry[], grads: readonly tf.Tensor[]): State | Variable<tf.Tensor> {
  if (entries.length === 1 && entries[0]!.path.length === 0) return gradientVariable(entries[0]!.variable, grads[0]!);
  const root = new State();
  entries.forEach(({ path, variable }, i) => {
    let node: State = root;
    for (const key of path.slice(0, -1)) {
      const name = String(key);
      node = (node[name] as State | undefined) ?? (node[name] = new State());
    }
    node[String(path[path.length - 1])] = gradientVariable(variable, grads[i]!);
  });
  return root;
}
