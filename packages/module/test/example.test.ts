import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { BatchStat, disposeTree, merge, Module, Param, split, state, toFlatState, toPureDict, update } from '../src/index.js';
import './helpers.js';

// The README example, with its printed values asserted.
it('README example', () => {
  class Affine extends Module {
    kernel = new Param(tf.ones([2, 3]));
    bias = new Param(tf.zeros([3]));
    calls = new BatchStat(tf.scalar(0));
    call(x: tf.Tensor): tf.Tensor {
      this.calls.value = tf.tidy(() => tf.add(this.calls.value, 1));
      return tf.add(tf.matMul(x, this.kernel.value), this.bias.value);
    }
  }
  const model = new Affine();
  const [graphdef, params, rest] = split(model, Param, '...');
  expect(toFlatState(params!).paths).toEqual([['bias'], ['kernel']]);
  expect(params!.kernel).toBe(model.kernel);
  const same = merge<Affine>(graphdef, params, rest);
  expect(same.kernel).toBe(model.kernel);
  update(model, { bias: tf.ones([3]) });
  const dict = toPureDict(state(model));
  expect(Object.keys(dict)).toEqual(['bias', 'calls', 'kernel']);
  disposeTree(dict);
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    model.call(tf.ones([1, 2]));
  });
  expect(tf.memory().numTensors).toBe(before); // the new count survives the tidy; the old one was disposed
  expect(model.calls.value.dataSync()[0]).toBe(1);
  expect(model.toString().split('\n')[0]).toBe('Affine  # Param: 9 (36 B), BatchStat: 1 (4 B), Total: 10 (40 B)');
});
