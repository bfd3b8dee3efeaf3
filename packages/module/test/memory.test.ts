import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { clone, disposeTree, merge, Module, Param, replaceByPureDict, split, state, toPureDict, update } from '../src/index.js';
import { Linear } from './helpers.js';

describe('memory rules', () => {
  it('a loop of split / merge / update / toPureDict holds tensor count and bytes flat', () => {
    const model = [new Linear(4, 4), new Linear(4, 2)];
    const step = () => {
      const [g, params, rest] = split(model, Param, '...');
      const m2 = merge<Linear[]>(g, params, rest);
      // a user-side update: new values owned by the caller, cloned into the Variables
      const next = tf.tidy(() => ({ 0: { kernel: tf.add(m2[0]!.kernel.value, 1) } }));
      update(model, next);
      disposeTree(next);
      m2[1]!.bias.value = tf.zeros([2]); // assignment disposes the previous tensor
      const snapshot = toPureDict(state(model));
      // restore-like round trip: merge from a pure dict and replaceByPureDict clone; every owner disposes its own
      const [g2, s2] = split(model);
      const restored = merge<Linear[]>(g2, snapshot);
      const copy = clone(model);
      const target = state(copy);
      replaceByPureDict(target, snapshot); // new Variables in target; copy keeps its own
      disposeTree(snapshot);
      disposeTree(state(restored));
      disposeTree(target);
      disposeTree(state(copy));
      expect(s2[0].kernel).toBe(model[0]!.kernel);
    };
    for (let i = 0; i < 3; i++) step();
    const { numTensors, numBytes } = tf.memory();
    for (let i = 0; i < 20; i++) step();
    expect(tf.memory().numTensors).toBe(numTensors);
    expect(tf.memory().numBytes).toBe(numBytes);
    expect(Array.from(model[0]!.kernel.value.dataSync())[0]).toBe(24);
  });
});

describe('disposeTree on a whole graph', () => {
  it('frees every Variable and raw array a Module reaches, shared ones once', () => {
    class Inner extends Module {
      w = new Param(tf.ones([2]));
      raw = tf.zeros([3]);
    }
    class Outer extends Module {
      a = new Inner();
      b = this.a; // shared
      layers = [new Inner()];
    }
    const before = tf.memory().numTensors;
    const model = new Outer();
    expect(tf.memory().numTensors).toBe(before + 4);
    disposeTree(model);
    expect(tf.memory().numTensors).toBe(before);
  });
});
