import * as tf from '@tensorflow/tfjs-core';
import { graphdef } from '@nnx-ts/module';
import { expect } from 'vitest';
import { flatState } from './flatState.js';

export type ErrorClass = new (...args: never[]) => Error;

/**
 * `attempt` throws `errorClass` with a message matching `message` (checked on two calls), and the caller's objects
 * are exactly as before: the same Variables holding the identical (undisposed) tensors, the same GraphDef (static
 * attributes included), and no tensor left allocated.
 */
export function expectThrowsAndUnchanged(roots: object[], attempt: () => unknown, errorClass: ErrorClass, message: RegExp | string): void {
  const before = roots.map((root) => {
    const variables = flatState(root);
    return {
      graph: graphdef(root),
      variables,
      values: Object.fromEntries(Object.entries(variables).map(([path, v]) => [path, v.raw])),
    };
  });
  const numTensors = tf.memory().numTensors;
  expect(attempt).toThrow(errorClass);
  expect(attempt).toThrow(message);
  roots.forEach((root, i) => {
    const { graph, variables, values } = before[i]!;
    expect(graphdef(root).equals(graph)).toBe(true);
    const now = flatState(root);
    expect(Object.keys(now)).toEqual(Object.keys(variables));
    for (const [path, v] of Object.entries(variables)) {
      expect(now[path]).toBe(v);
      expect(v.raw).toBe(values[path]);
      if (v.raw instanceof tf.Tensor) expect(v.raw.isDisposed).toBe(false);
    }
  });
  expect(tf.memory().numTensors).toBe(numTensors);
}
