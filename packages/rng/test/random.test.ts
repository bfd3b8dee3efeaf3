import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  bernoulli,
  bits,
  foldIn,
  key,
  keyData,
  KeyArray,
  KeyError,
  normalValues,
  split,
  truncatedNormalValues,
  uniform,
  uniformValues,
  wrapKeyData,
  type RngMode,
} from '../src/index.js';
import { f32Bits, fixture, ulpDistance } from './fixtures.js';

const samplers = fixture('samplers');

function expectWithinUlp(actual: Float32Array, expected: number[], ulps: number): void {
  const got = f32Bits(actual);
  expect(got.length).toBe(expected.length);
  const worst = Math.max(0, ...got.map((g, i) => ulpDistance(g, expected[i]!)));
  expect(worst).toBeLessThanOrEqual(ulps);
}

describe('golden values (reference/golden.md)', () => {
  it('seeds, split and foldIn', () => {
    expect(Array.from(key(0).data)).toEqual([0, 0]);
    expect(Array.from(key(-1).data)).toEqual([0, 4294967295]);
    expect(Array.from(key(2147483747).data)).toEqual([0, 2147483747]);
    expect(Array.from(split(key(0)).data)).toEqual([1797259609, 2579123966, 928981903, 3453687069]);
    expect(Array.from(foldIn(key(0), 4).data)).toEqual([2285895361, 433833334]);
    expect(Array.from(foldIn(key(0), 2 ** 32 - 1).data)).toEqual([743310391, 3789761811]);
    expect(Array.from(split(key(0), 4, { mode: 'legacy' }).data)).toEqual([
      2285895361, 1501764800, 1518642379, 4090693311, 433833334, 4221794875, 839183663, 3740430601,
    ]);
  });

  it('uniform and normal of key(0)', async () => {
    expect(Array.from(uniformValues(key(0), [3]))).toEqual([0.947667, 0.9785799, 0.33229148].map(Math.fround));
    expect(Array.from(normalValues(key(0), [3]))).toEqual([1.6226422, 2.0252647, -0.43359444].map(Math.fround));
    expect(Array.from(normalValues(key(0), [1], { mode: 'legacy' }))).toEqual([Math.fround(-0.20584226)]);
    const t = uniform(key(0), [2, 2]);
    expect(t.shape).toEqual([2, 2]);
    expect(t.dtype).toBe('float32');
    t.dispose();
  });
});

for (const mode of ['partitionable', 'legacy'] as RngMode[]) {
  describe(`JAX fixtures, ${mode} mode`, () => {
    for (const c of samplers[mode]) {
      it(`seed ${c.seed}`, async () => {
        const k = key(c.seed);
        expect(Array.from(k.data)).toEqual(c.key);
        expect(Array.from(split(k, 2, { mode }).data)).toEqual(c.split2);
        expect(Array.from(split(k, 5, { mode }).data)).toEqual(c.split5);
        expect(Array.from(split(k, [2, 3], { mode }).data)).toEqual(c.split23);
        for (const [d, words] of Object.entries(c.foldIn)) expect(Array.from(foldIn(k, Number(d)).data)).toEqual(words);
        for (const s of c.shapes) {
          expect(Array.from(bits(k, s.shape, 32, { mode }))).toEqual(s.bits32);
          expect(Array.from(bits(k, s.shape, 16, { mode }))).toEqual(s.bits16);
          expect(Array.from(bits(k, s.shape, 8, { mode }))).toEqual(s.bits8);
          expect(f32Bits(uniformValues(k, s.shape, 0, 1, { mode }))).toEqual(s.uniform);
          expect(f32Bits(uniformValues(k, s.shape, -3.5, 2.25, { mode }))).toEqual(s.uniformRange);
          expectWithinUlp(normalValues(k, s.shape, { mode }), s.normal, 2);
          expectWithinUlp(truncatedNormalValues(k, -2, 2, s.shape, { mode }), s.truncatedNormal, 2);
          expectWithinUlp(truncatedNormalValues(k, -0.5, 3, s.shape, { mode }), s.truncatedNormalAsym, 2);
          const mask = bernoulli(k, 0.3, s.shape, { mode });
          expect(Array.from(await mask.data()).map(Boolean)).toEqual(s.bernoulli03);
          mask.dispose();
        }
      });
    }
  });
}

describe('key arrays', () => {
  it('round-trips key data and indexes stacked keys', () => {
    const ks = split(key(7), 3);
    expect(keyData(ks).shape).toEqual([3, 2]);
    const again = wrapKeyData(keyData(ks).data, [3, 2]);
    expect(Array.from(again.data)).toEqual(Array.from(ks.data));
    expect(Array.from(ks.index(1).data)).toEqual(Array.from(foldIn(key(7), 1).data));
    expect(Array.from(KeyArray.stack([ks.index(0), ks.index(1), ks.index(2)]).data)).toEqual(Array.from(ks.data));
  });

  it('folds stacked keys elementwise with per-key counts', () => {
    const ks = split(key(3), 2);
    const folded = foldIn(ks, 5);
    expect(Array.from(folded.index(1).data)).toEqual(Array.from(foldIn(ks.index(1), 5).data));
  });

  it('samplers leave no tensors behind', () => {
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) uniform(key(i), [16]).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('bad input', () => {
  it('rejects non-integer and out-of-range seeds', () => {
    expect(() => key(1.5)).toThrow(KeyError);
    expect(() => key(Number.NaN)).toThrow(/integer/);
    expect(() => key(2 ** 60)).toThrow(KeyError);
    expect(() => key(2n ** 63n)).toThrow(/int64/);
    expect(Array.from(key(-(2n ** 63n)).data)).toEqual([0, 0]);
  });

  it('rejects keys of the wrong shape', () => {
    expect(() => wrapKeyData(Uint32Array.of(1, 2, 3), [3])).toThrow(/trailing dimension of 2/);
    expect(() => split(split(key(0), 3))).toThrow(/single key.*shape \[3\]/);
    expect(() => uniformValues(split(key(0), 2), [2])).toThrow(KeyError);
    expect(() => new KeyArray([2], new Uint32Array(3))).toThrow(/needs 4 uint32 words/);
    expect(() => split({} as KeyArray)).toThrow(/expected a KeyArray/);
  });
});
