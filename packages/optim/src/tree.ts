import * as tf from '@tensorflow/tfjs-core';
import { leaves, mapN } from '@nnx-ts/pytree';

/** A pytree of tensors: nested plain objects / arrays with `tf.Tensor` leaves (what optax calls `Params`/`Updates`). */
export type Tree = tf.Tensor | readonly Tree[] | { readonly [key: string]: Tree } | null;

const isTensor = (x: unknown): boolean => x instanceof tf.Tensor;

/** Maps `fn` over the tensor leaves of one or more trees of the same structure. */
export function treeMap<T>(fn: (...leaves: tf.Tensor[]) => tf.Tensor, first: T, ...rest: unknown[]): T {
  return mapN(fn, [first, ...rest], { isLeaf: isTensor });
}

/** The tensor leaves of a tree, in pytree order. */
export function treeLeaves(tree: unknown): tf.Tensor[] {
  return leaves(tree, { isLeaf: isTensor }) as tf.Tensor[];
}

/**
 * Disposes every tensor in a tree (params, updates or optimizer state), e.g. the state an update replaced.
 *
 * @example
 * ```ts
 * const [updates, next] = tx.update(grads, state, params);
 * disposeTree(state);
 * ```
 */
export function disposeTree(tree: unknown): void {
  tf.dispose(treeLeaves(tree));
}
