import * as tf from '@tensorflow/tfjs-core';
import { flatten } from './graph.js';
import { isGraphOrPytreeNode } from './pytreeNode.js';
import { isHostArray } from './hostArray.js';
import { ShapeDtype, isShapeDtype } from './shapeDtype.js';
import { isVariable } from './variable.js';
import { iterGraph } from './api.js';

function abstractOf(x: unknown): unknown {
  if (x instanceof tf.Tensor) {
    const abstract = new ShapeDtype([...x.shape], x.dtype);
    if (!x.isDisposed) x.dispose();
    return abstract;
  }
  if (isHostArray(x) || isShapeDtype(x)) return new ShapeDtype([...x.shape], x.dtype);
  return x;
}

/**
 * Runs `fn` (typically a model constructor) and returns its result with every Variable (and raw array attribute)
 * made abstract: a {@link ShapeDtype} holding only shape and dtype. Tensors created by `fn` are released and lazy
 * initializers never run, so building the abstract model costs no tensor memory. Use the result as a restore
 * target or to read the state structure.
 *
 * @example
 * ```ts
 * const abstractModel = evalShape(() => new Model({ rngs: new Rngs(0) }));
 * state(abstractModel).linear.kernel.raw; // ShapeDtype([2, 3], 'float32')
 * ```
 */
export function evalShape<T>(fn: () => T): T {
  let out!: T;
  tf.tidy(() => {
    out = fn();
  });
  flatten(out); // validates the structure (cycles through containers raise) before it is rewritten
  for (const [path, value] of iterGraph(out)) {
    if (isVariable(value)) value.raw = abstractOf(value.raw);
    else if (path.length > 0 && (value instanceof tf.Tensor || isHostArray(value))) setAt(out, path, abstractOf(value));
  }
  return out;
}

function setAt(root: unknown, path: readonly (string | number)[], value: unknown): void {
  let node = root as Record<string | number, unknown>;
  for (let i = 0; i < path.length - 1; i++) node = node[path[i]!] as Record<string | number, unknown>;
  if (isGraphOrPytreeNode(node)) node[path[path.length - 1]!] = value;
}

