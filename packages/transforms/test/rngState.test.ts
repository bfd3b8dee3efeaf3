// vmap/scan with the real @nnx-ts/rng state (host KeyArray/HostUint32Array leaves), NNX 0.11 semantics (flax-nnx.md §2.5).
import '@tensorflow/tfjs-backend-cpu';
import { Module, graphdef } from '@nnx-ts/module';
import { foldIn, KeyArray, KeyError, normalValues, Rngs, RngStream, splitRngs } from '@nnx-ts/rng';
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

  it('0.10-style splitRngs around a scan over an already-stacked (vmapped) stack is a KeyError explaining the 0.11 change', () => {
    const stack = vmap((rngs: Rngs) => new Noisy(rngs), { inAxes: 0 })(new Rngs(2).fork({ split: 3 })) as Noisy;
    const [keyVar, countVar] = [stack.rngs.key, stack.rngs.count];
    const [keys, counts] = [stack.rngs.key.value, stack.rngs.count.value];
    const [keyWords, countWords] = [Array.from(keys.data), Array.from(counts.data)];
    const before = graphdef(stack);
    let calls = 0;
    const forward = splitRngs({ splits: 3 })(
      scan(
        (layer: Noisy, x: tf.Tensor) => {
          calls++;
          layer.scale = 2;
          return tf.add(x, tf.tensor(normalValues(layer.rngs.call(), [2]), [2]));
        },
        { inAxes: [0, Carry], outAxes: Carry },
      ),
    );
    const x = tf.zeros([2]);
    const numTensors = tf.memory().numTensors;
    const attempt = () => forward(stack, x);
    expect(attempt).toThrow(KeyError);
    expect(attempt).toThrow(
      "splitRngs: the stream at '0.rngs' is already stacked (key shape [3]). Since NNX 0.11 layers keep their forked RNG state " +
        'stacked after a vmapped construction, so scanning over them needs no second splitRngs',
    );
    expect(attempt).toThrow(/remove it \(0\.10 code split again before nnx\.scan\)/);
    // Nothing ran and nothing changed: same Variables, identical host arrays with the same words, same GraphDef.
    expect(calls).toBe(0);
    expect(stack.rngs.key).toBe(keyVar);
    expect(stack.rngs.count).toBe(countVar);
    expect(stack.rngs.key.value).toBe(keys);
    expect(stack.rngs.count.value).toBe(counts);
    expect(Array.from(keys.data)).toEqual(keyWords);
    expect(Array.from(counts.data)).toEqual(countWords);
    expect(stack.scale).toBe(1);
    expect(graphdef(stack).equals(before)).toBe(true);
    expect(tf.memory().numTensors).toBe(numTensors);
    // Without the second split (0.11 style) the same scan runs and advances each layer's stream once.
    const y = scan((layer: Noisy, h: tf.Tensor) => tf.add(h, tf.tensor(normalValues(layer.rngs.call(), [2]), [2])), {
      inAxes: [0, Carry],
      outAxes: Carry,
    })(stack, x);
    expect(Array.from(stack.rngs.count.value.data)).toEqual([1, 1, 1]);
    y.dispose();
  });
});
