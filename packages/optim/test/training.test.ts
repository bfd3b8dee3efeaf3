import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { Module, Param, fromFlatState, state, toFlatState } from '@nnx-ts/module';
import type { State } from '@nnx-ts/module';
import { valueAndGrad } from '@nnx-ts/transforms';
import { Optimizer, adam, softmaxCrossEntropyWithIntegerLabels } from '../src/index.js';

class Classifier extends Module {
  declare linear: { kernel: Param<tf.Tensor>; bias: Param<tf.Tensor> };
  constructor() {
    super();
    const kernel = tf.tensor([0.1, -0.2, 0.3, 0.05, -0.1, 0.2, 0.15, 0.1, -0.3, 0.2, 0.0, -0.1], [4, 3]);
    this.linear = { kernel: new Param(kernel), bias: new Param(tf.zeros([3])) };
  }
  call(x: tf.Tensor): tf.Tensor {
    return tf.add(tf.matMul(x, this.linear.kernel.value), this.linear.bias.value);
  }
}

describe('Optimizer with valueAndGrad', () => {
  it('reduces the loss, keeps opt state paths mirroring params, and does not leak', async () => {
    const model = new Classifier();
    const optimizer = new Optimizer(model, adam(0.05), { wrt: Param });
    const paths = toFlatState(state(optimizer)).paths.map((p) => p.join('/'));
    expect(paths).toEqual(
      expect.arrayContaining(['optState/0/count', 'optState/0/mu/linear/kernel', 'optState/0/nu/linear/bias', 'step']),
    );
    const x = tf.tensor([1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 0, 0, 0, 0, 1, 1], [4, 4]);
    const y = tf.tensor1d([0, 1, 2, 1], 'int32');
    const lossFn = (m: Classifier) => tf.mean(softmaxCrossEntropyWithIntegerLabels(m.call(x), y));
    const trainStep = (): number[] => {
      const [loss, grads] = valueAndGrad(lossFn)(model) as [tf.Scalar, State];
      optimizer.update(model, grads);
      const out = loss.arraySync() as number;
      tf.dispose([loss, ...(toFlatState(grads).leaves.map((v) => (v as Param<tf.Tensor>).value))]);
      return [out];
    };
    const first = trainStep()[0]!;
    for (let i = 0; i < 3; i++) trainStep();
    const before = tf.memory();
    let last = first;
    for (let i = 0; i < 50; i++) last = trainStep()[0]!;
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    expect(last).toBeLessThan(first * 0.5);
    expect(await optimizer.step.value.data()).toEqual(new Int32Array([54]));
    tf.dispose([x, y]);
  });
});

describe('Optimizer.update errors', () => {
  it('rejects grads whose structure differs from state(model, wrt), leaving the model unchanged', async () => {
    const model = new Classifier();
    const optimizer = new Optimizer(model, adam(0.05), { wrt: Param });
    const grads = fromFlatState([[['linear', 'kernel'], tf.ones([4, 3])]]);
    expect(() => optimizer.update(model, grads)).toThrow();
    expect(Array.from(await model.linear.bias.value.data())).toEqual([0, 0, 0]);
    expect(await optimizer.step.value.data()).toEqual(new Int32Array([0]));
    tf.dispose(toFlatState(grads).leaves as tf.Tensor[]);
  });
});
