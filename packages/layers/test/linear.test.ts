import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { ShapeError, Param } from '@nnx-ts/module';
import { Rngs } from '@nnx-ts/rng';
import { Linear } from '../src/index.js';
import { f32Bits, fixture, fromBits, ulpDistance } from './fixtures.js';

interface LinearCase { seed: number; in: number; out: number; kernel: number[]; bias: number[]; x: number[]; y: number[] }
const cases = fixture<{ linear: LinearCase[] }>('linear').linear;

describe('Linear', () => {
  it.each(cases)('matches Flax nnx.Linear($in, $out, rngs=Rngs($seed))', async (c) => {
    const layer = new Linear(c.in, c.out, { rngs: new Rngs(c.seed) });
    expect(layer.kernel).toBeInstanceOf(Param);
    expect(layer.kernel.value.shape).toEqual([c.in, c.out]);
    const kernel = f32Bits((await layer.kernel.value.data()) as Float32Array);
    kernel.forEach((b, i) => expect(ulpDistance(b, c.kernel[i]!)).toBeLessThanOrEqual(1));
    expect(f32Bits((await layer.bias!.value.data()) as Float32Array)).toEqual(c.bias);
    const y = layer.call(tf.tensor(c.x, [2, c.in]));
    expect(y.shape).toEqual([2, c.out]);
    const got = (await y.data()) as Float32Array;
    const want = fromBits(c.y);
    got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want[i]!))));
    y.dispose();
  });

  it('throws a ShapeError naming the attribute and both shapes', () => {
    const layer = new Linear(3, 4, { rngs: new Rngs(0) });
    const x = tf.ones([2, 5]);
    expect(() => layer.call(x)).toThrow(ShapeError);
    expect(() => layer.call(x)).toThrow(/Linear\.kernel.*3.*\[2, 5\]/);
    x.dispose();
  });

  it('omits the bias when useBias is false and does not leak in a loop', () => {
    const layer = new Linear(3, 2, { rngs: new Rngs(1), useBias: false });
    expect(layer.bias).toBeNull();
    const x = tf.ones([4, 3]);
    layer.call(x).dispose();
    const before = tf.memory();
    for (let i = 0; i < 20; i++) layer.call(x).dispose();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    x.dispose();
  });
});
