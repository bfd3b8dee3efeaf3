import * as tf from '@tensorflow/tfjs-core';
import { isVariable } from '@nnx-ts/module';

/**
 * Every tensor reachable from `roots`: through arrays, Maps, plain and class objects (modules, States,
 * optimizers), and Variables (their current value). Each object is visited once, so shared references and
 * cycles are fine. A transform returns this list from its `tf.tidy` scope so that the state it leaves in the
 * caller's objects (and its outputs) survive while every other intermediate is freed.
 */
export function collectTensors(roots: readonly unknown[]): tf.Tensor[] {
  const found: tf.Tensor[] = [];
  const seen = new Set<object>();
  const stack: unknown[] = [...roots];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object' || seen.has(node)) continue;
    seen.add(node);
    if (node instanceof tf.Tensor) {
      found.push(node);
    } else if (isVariable(node)) {
      stack.push(node.raw);
    } else if (Array.isArray(node)) {
      for (const item of node) stack.push(item);
    } else if (node instanceof Map) {
      for (const item of node.values()) stack.push(item);
    } else if (!ArrayBuffer.isView(node)) {
      for (const key of Object.keys(node)) stack.push((node as Record<string, unknown>)[key]);
    }
  }
  return found;
}

/**
 * Variables keep (`tf.keep`) the tensors they own, so `tf.tidy` never frees them. A transform that builds
 * temporary objects (vmap replicas, scan's inner objects) therefore frees, explicitly, every kept tensor those
 * objects ended up holding that the caller cannot reach (`survivors`).
 */
export function disposeKeptExcept(candidates: Iterable<unknown>, survivors: ReadonlySet<tf.Tensor>): void {
  for (const t of candidates) {
    if (t instanceof tf.Tensor && t.kept && !t.isDisposed && !survivors.has(t)) t.dispose();
  }
}
