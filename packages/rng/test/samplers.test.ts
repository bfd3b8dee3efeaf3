import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  categorical,
  choice,
  exponentialValues,
  gumbelValues,
  key,
  KeyError,
  laplaceValues,
  permutation,
  randint,
  type RngMode,
} from '../src/index.js';
import { f32Bits, fixture, ulpDistance } from './fixtures.js';

const more = fixture('more_samplers');

function maxUlp(actual: Float32Array, expected: number[]): number {
  return Math.max(0, ...f32Bits(actual).map((g, i) => ulpDistance(g, expected[i]!)));
}

for (const mode of ['partitionable', 'legacy'] as RngMode[]) {
  describe(`samplers vs JAX, ${mode} mode`, () => {
    for (const c of more[mode]) {
      it(`seed ${c.seed}`, async () => {
        const k = key(c.seed);
        const o = { mode };
        expect(Array.from(randint(k, [3, 3], 0, 8, o))).toEqual(c.randint_0_8_33);
        expect(Array.from(randint(k, [7], -100, 12345, o))).toEqual(c.randint_neg_7);
        expect(Array.from(randint(k, [5], -(2 ** 31), 2 ** 31 - 1, o))).toEqual(c.randint_full);
        expect(Array.from(permutation(k, 10, o))).toEqual(c.permutation_10);
        expect(Array.from(permutation(k, 1000, o))).toEqual(c.permutation_1000);
        expect(Array.from(choice(k, 10, [6], o))).toEqual(c.choice_replace);
        expect(Array.from(choice(k, 10, [6], { ...o, replace: false }))).toEqual(c.choice_noreplace);
        const p = [0.1, 0.25, 0.05, 0.4, 0.2];
        expect(Array.from(choice(k, 5, [9], { ...o, p }))).toEqual(c.choice_p_replace);
        expect(Array.from(choice(k, 5, [3], { ...o, p, replace: false }))).toEqual(c.choice_p_noreplace);
        expect(maxUlp(gumbelValues(k, [7], o), c.gumbel)).toBeLessThanOrEqual(2);
        expect(maxUlp(exponentialValues(k, [7], o), c.exponential)).toBeLessThanOrEqual(2);
        expect(maxUlp(laplaceValues(k, [7], o), c.laplace)).toBeLessThanOrEqual(2);
        const logits = tf.tensor2d(c.categorical_logits);
        const cat = categorical(k, logits, o);
        expect(cat.dtype).toBe('int32');
        expect(Array.from(await cat.data())).toEqual(c.categorical);
        tf.dispose([logits, cat]);
      });
    }
  });
}

describe('sampler bad input', () => {
  it('rejects invalid arguments with typed errors', () => {
    expect(() => randint(key(0), [2], 0.5, 3)).toThrow(KeyError);
    expect(() => permutation(key(0), -1)).toThrow(/non-negative integer/);
    expect(() => choice(key(0), 3, [5], { replace: false })).toThrow(/larger sample \(size 5\).*population \(size 3\)/);
    expect(() => choice(key(0), 0, [1])).toThrow(KeyError);
    expect(() => choice(key(0), 3, [1], { p: [0.5, 0.5] })).toThrow(/p must have 3 entries/);
    expect(() => categorical(key(0), tf.scalar(1))).toThrow(/at least one axis/);
  });

  it('choice from values picks values; maxval <= minval returns minval', () => {
    const picked = choice(key(4), [10, 20, 30], [8]);
    expect(Array.from(picked).every((v) => [10, 20, 30].includes(v))).toBe(true);
    expect(Array.from(randint(key(0), [4], 5, 5))).toEqual([5, 5, 5, 5]);
  });
});
