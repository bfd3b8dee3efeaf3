// vmap/scan with the real @nnx-ts/rng state (host KeyArray/HostUint32Array leaves), NNX 0.11 semantics (flax-nnx.md §2.5).
import '@tensorflow/tfjs-backend-cpu';
import { Module } from '@nnx-ts/module';
import { foldIn, KeyArray, normalValues, Rngs, RngStream, splitRngs } from '@nnx-ts/rng';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Carry, scan, vmap } from '../src/index.js';

class Noisy extends Module {
  rngs: RngStream;
  scale: number;
  constructor(rngs: Rngs) {
    super();
    this.rngs = rngs.default.fork();
    this.scale = 1;
  }
}

describe('RNG state under vmap and scan', () => {
  it('builds stacked layers whose forked streams stay stacked (rngs.fork({ split }) into a vmapped constructor)', () => {
    const parent = new Rngs(0);
    const stack = vmap((rngs: Rngs) => new Noisy(rngs), { inAxes: 0 })(parent.fork({ split: 3 })) as Noisy;
    expect(stack.rngs.key.value).toBeInstanceOf(KeyArray);
    expect(stack.rngs.key.value.shape).toEqual([3]);
    expect(Array.from(stack.rngs.count.value.data)).toEqual([0, 0, 0]);
    // Replica i forked from key i of split(foldIn(key(0), 0), 3).
    const splitKeys = new Rngs(0).fork({ split: 3 }).default.key.value;
    for (let i = 0; i < 3; i++) {
      expect(Array.from(stack.rngs.key.value.index(i).data)).toEqual(Array.from(foldIn(splitKeys.index(i), 0).data));
    }
    expect(parent.default.count.value.data[0]).toBe(1);
  });

  it('splitRngs around a vmapped constructor restores the parent with count 1 (test_split_rngs_decorator)', () => {
    const parent = new Rngs(0);
    const make = splitRngs({ splits: 4 })(vmap((rngs: Rngs) => new Noisy(rngs), { inAxes: 0 }));
    const stack = make(parent) as Noisy;
    expect(stack.rngs.key.value.shape).toEqual([4]);
    expect(parent.default.key.value.shape).toEqual([]);
    expect(parent.default.count.value.data[0]).toBe(1);
  });

  it('scan over stacked layers draws from each layer stream, and counts come back stacked', async () => {
    const stack = vmap((rngs: Rngs) => new Noisy(rngs), { inAxes: 0 })(new Rngs(1).fork({ split: 3 })) as Noisy;
    const keysBefore = stack.rngs.key.value.clone();
    const forward = scan(
      (layer: Noisy, x: tf.Tensor) => tf.add(x, tf.tensor(normalValues(layer.rngs.call(), [2]), [2])),
      { inAxes: [0, Carry], outAxes: Carry },
    );
    const y = forward(stack, tf.zeros([2])) as tf.Tensor;
    let expected = new Float32Array(2);
    for (let i = 0; i < 3; i++) {
      const noise = normalValues(foldIn(keysBefore.index(i), 0), [2]);
      expected = expected.map((v, j) => Math.fround(v + noise[j]!));
    }
    expect(Array.from(await y.data())).toEqual(Array.from(expected));
    expect(Array.from(stack.rngs.count.value.data)).toEqual([1, 1, 1]);
    expect(Array.from(stack.rngs.key.value.data)).toEqual(Array.from(keysBefore.data));
    y.dispose();
  });
});
