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
        // Gumbel's outer log amplifies the 1-ulp differences of XLA's float32 log near u = 1/e (result near 0), so it is
        // compared within 2 ulp of max(1, |x|) rather than 2 ulp of x.
        const g = gumbelValues(k, [7], o);
        const expectedG = new Float32Array(new Uint32Array(c.gumbel).buffer);
        g.forEach((v, i) => expect(Math.abs(v - expectedG[i]!)).toBeLessThanOrEqual(2 * 2 ** -23 * Math.max(1, Math.abs(expectedG[i]!))));
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
    expect(() => categorical(key(0), tf.scalar(1))).toThrow(/at least one axis/);
  });

  it('choice from values picks values; maxval <= minval returns minval', () => {
    const picked = choice(key(4), [10, 20, 30], [8]);
    expect(Array.from(picked).every((v) => [10, 20, 30].includes(v))).toBe(true);
    expect(Array.from(randint(key(0), [4], 5, 5))).toEqual([5, 5, 5, 5]);
  });
});
