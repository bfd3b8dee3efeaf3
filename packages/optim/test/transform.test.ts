import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { adam, adamw, addDecayedWeights, applyUpdates, chain, clipByGlobalNorm, disposeTree, sgd } from '../src/index.js';
import type { GradientTransformation, Tree } from '../src/index.js';
import { fixture } from './fixtures.js';

type Flat = Record<string, number[]>;
const fx = fixture<{ params: Flat; shapes: Record<string, number[]>; grads: Flat[]; cases: Record<string, Flat[]> }>('steps');
const toTree = (flat: Flat): Record<string, tf.Tensor> =>
  Object.fromEntries(Object.entries(flat).map(([k, v]) => [k, tf.tensor(v, fx.shapes[k])]));

const transforms: Record<string, () => GradientTransformation> = {
  sgd: () => sgd(0.1),
  momentum: () => sgd(0.1, { momentum: 0.9 }),
  nesterov: () => sgd(0.1, { momentum: 0.9, nesterov: true }),
  adam: () => adam(0.01),
  adamw: () => adamw(0.01, { weightDecay: 0.1 }),
  clip_adam: () => chain(clipByGlobalNorm(1), adam(0.01)),
  // optax.sgd(lambda count: 0.1 * 0.5 ** count): the schedule keeps its own count, starting at 0.
  sgd_schedule: () => sgd((count) => tf.mul(0.1, tf.pow(0.5, tf.cast(count, 'float32'))) as tf.Scalar),
};

/** One step that disposes everything it replaces. */
function step(tx: GradientTransformation, params: Tree, state: ReturnType<GradientTransformation['init']>, grads: Tree) {
  const [updates, next] = tx.update(grads, state, params);
  const nextParams = applyUpdates(params, updates);
  disposeTree(updates);
  disposeTree(state);
  disposeTree(params);
  return [nextParams, next] as const;
}

describe('optax parity', () => {
  it.each(Object.keys(transforms))('%s matches optax for 5 steps', async (name) => {
    const tx = transforms[name]!();
    let params: Tree = toTree(fx.params);
    let state = tx.init(params);
    for (let s = 0; s < 5; s++) {
      const grads = toTree(fx.grads[s]!);
      [params, state] = step(tx, params, state, grads);
      disposeTree(grads);
      const want = fx.cases[name]![s]!;
      for (const [k, v] of Object.entries(want)) {
        const got = await (params as Record<string, tf.Tensor>)[k]!.data();
        v.forEach((w, i) => expect(Math.abs(got[i]! - w)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(w))));
      }
    }
    disposeTree(params);
    disposeTree(state);
  });

  it.each(Object.keys(transforms))('%s keeps tf.memory() flat over 50 steps', (name) => {
    const tx = transforms[name]!();
    let params: Tree = toTree(fx.params);
    let state = tx.init(params);
    const grads = toTree(fx.grads[0]!);
    for (let s = 0; s < 3; s++) [params, state] = step(tx, params, state, grads);
    const before = tf.memory();
    for (let s = 0; s < 50; s++) [params, state] = step(tx, params, state, grads);
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    disposeTree([params, state as Tree, grads]);
  });
});

describe('known answers', () => {
  it('adam reproduces the optax doctest (minimise sum x² from [1, 2, 3], lr 0.003)', async () => {
    const want = [
      [0.99700004, 1.997, 2.997],
      [0.9940003, 1.9940001, 2.9940002],
      [0.99100095, 1.9910004, 2.9910004],
      [0.9880022, 1.988001, 2.9880009],
      [0.9850041, 1.9850019, 2.9850016],
    ];
    const tx = adam(0.003);
    let params: Tree = { x: tf.tensor1d([1, 2, 3]) };
    let state = tx.init(params);
    for (const row of want) {
      const grads = { x: tf.mul(2, (params as Record<string, tf.Tensor>).x!) };
      [params, state] = step(tx, params, state, grads);
      disposeTree(grads);
      const got = await (params as Record<string, tf.Tensor>).x!.data();
      row.forEach((w, i) => expect(Math.abs(got[i]! - w)).toBeLessThanOrEqual(2 * 2 ** -23 * Math.abs(w)));
    }
    disposeTree([params, state as Tree]);
  });
});

describe('clipByGlobalNorm and addDecayedWeights', () => {
  it('leaves updates below maxNorm unchanged and rescales larger ones to norm maxNorm', async () => {
    const small = { a: tf.tensor1d([0.3, 0.4]) }; // norm 0.5
    const large = { a: tf.tensor1d([3, 4]) }; // norm 5
    const [u1] = clipByGlobalNorm(1).update(small, {});
    const [u2] = clipByGlobalNorm(1).update(large, {});
    expect(Array.from(await (u1 as Record<string, tf.Tensor>).a!.data())).toEqual(Array.from(new Float32Array([0.3, 0.4])));
    expect(Array.from(await (u2 as Record<string, tf.Tensor>).a!.data())).toEqual(Array.from(new Float32Array([0.6, 0.8])));
    disposeTree([small, large, u1, u2]);
  });

  it('addDecayedWeights needs params', () => {
    const g = { a: tf.ones([2]) };
    expect(() => addDecayedWeights(0.1).update(g, {})).toThrow(TypeError);
    disposeTree(g);
  });
});
