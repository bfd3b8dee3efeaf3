import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { BatchStat, FilterError, Module, OptState, Param, fromFlatState, split, state, toFlatState } from '@nnx-ts/module';
import { Optimizer, adam, sgd } from '../src/index.js';
import { fixture } from './fixtures.js';

type Flat = Record<string, number[]>;
const fx = fixture<{ params: Flat; shapes: Record<string, number[]>; grads: Flat[]; cases: Record<string, Flat[]> }>('steps');

class Affine extends Module {
  declare w: Param<tf.Tensor>;
  declare b: Param<tf.Tensor>;
  declare count: BatchStat<tf.Tensor>;
  constructor() {
    super();
    this.w = new Param(tf.tensor(fx.params.w!, fx.shapes.w));
    this.b = new Param(tf.tensor(fx.params.b!, fx.shapes.b));
    this.count = new BatchStat(tf.scalar(0));
  }
}

const gradsAt = (s: number) =>
  fromFlatState([
    [['w'], tf.tensor(fx.grads[s]!.w!, fx.shapes.w)],
    [['b'], tf.tensor(fx.grads[s]!.b!, fx.shapes.b)],
  ]);

describe('Optimizer', () => {
  it('matches optax adam for 5 steps, updates only wrt, counts steps', async () => {
    const model = new Affine();
    const optimizer = new Optimizer(model, adam(0.01), { wrt: Param });
    for (let s = 0; s < 5; s++) {
      const grads = gradsAt(s);
      optimizer.update(model, grads);
      tf.dispose(toFlatState(grads).leaves as tf.Tensor[]);
      const want = fx.cases.adam![s]!;
      const w = await model.w.value.data();
      const b = await model.b.value.data();
      want.w!.forEach((v, i) => expect(Math.abs(w[i]! - v)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(v))));
      want.b!.forEach((v, i) => expect(Math.abs(b[i]! - v)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(v))));
    }
    expect(await optimizer.step.value.data()).toEqual(new Int32Array([5]));
    expect(await model.count.value.data()).toEqual(new Float32Array([0]));
  });

  it('stores its state as OptState Variables (splittable)', () => {
    const model = new Affine();
    const optimizer = new Optimizer(model, sgd(0.1, { momentum: 0.9 }), { wrt: Param });
    const [, optState] = split(optimizer, OptState);
    const leaves = toFlatState(optState).leaves;
    expect(leaves.length).toBe(3); // step + momentum traces of w and b
    const all = state(optimizer);
    expect(toFlatState(all).leaves.length).toBe(3); // the optimizer holds no reference to the model
  });

  it('throws FilterError when wrt selects nothing or is missing', () => {
    const model = new Affine();
    expect(() => new Optimizer(model, sgd(0.1), { wrt: OptState })).toThrow(FilterError);
    expect(() => new Optimizer(model, sgd(0.1), {} as never)).toThrow(FilterError);
  });

  it('keeps tf.memory() flat over 50 steps after warm-up', () => {
    const model = new Affine();
    const optimizer = new Optimizer(model, adam(0.01), { wrt: Param });
    const grads = gradsAt(0);
    for (let s = 0; s < 3; s++) optimizer.update(model, grads);
    const before = tf.memory();
    for (let s = 0; s < 50; s++) optimizer.update(model, grads);
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
  });
});
