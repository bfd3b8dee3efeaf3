import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { key } from '@nnx-ts/rng';
import {
  computeFans,
  constant,
  glorotNormal,
  glorotUniform,
  heNormal,
  heUniform,
  lecunNormal,
  lecunUniform,
  normal,
  ones,
  truncatedNormal,
  uniform,
  varianceScaling,
  zeros,
} from '../src/index.js';
import type { Initializer } from '../src/index.js';
import { f32Bits, fixture, fromBits, ulpDistance } from './fixtures.js';

interface InitCase { name: string; shape: number[]; seed: number; bits: number[] }
const cases = fixture<{ cases: InitCase[] }>('initializers').cases;

const initializers: Record<string, Initializer> = {
  lecunNormal: lecunNormal(),
  lecunUniform: lecunUniform(),
  heNormal: heNormal(),
  heUniform: heUniform(),
  glorotNormal: glorotNormal(),
  glorotUniform: glorotUniform(),
  varianceScalingConv: varianceScaling(2, 'fan_avg', 'normal'),
  normal: normal(0.02),
  uniform: uniform(0.5),
  truncatedNormal: truncatedNormal(0.02),
};

describe('initializers (jax.nn.initializers parity)', () => {
  // golden.md §3.6: normal-family samples match XLA within 2 ulp or 1e-6 relative (XLA's log/log1p differ).
  it.each(cases)('$name matches JAX within 2 ulp or 1e-6 relative', async (c) => {
    const t = initializers[c.name]!(key(c.seed), c.shape);
    expect(t.shape).toEqual(c.shape);
    const values = (await t.data()) as Float32Array;
    const want = fromBits(c.bits);
    f32Bits(values).forEach((b, i) => {
      const close = ulpDistance(b, c.bits[i]!) <= 2 || Math.abs(values[i]! - want[i]!) <= 1e-6 * Math.abs(want[i]!);
      expect(close, `${c.name}[${i}]: ${values[i]} vs ${want[i]}`).toBe(true);
    });
    t.dispose();
  });

  it('computes fans like JAX, including receptive fields', () => {
    expect(computeFans([3, 4])).toEqual([3, 4]);
    expect(computeFans([3, 3, 8, 16])).toEqual([72, 144]);
    expect(() => computeFans([5])).toThrow(RangeError);
  });

  it('zeros, ones and constant ignore the key', async () => {
    const k = key(0);
    const ts = [zeros(k, [2]), ones(k, [2], 'int32'), constant(0.5)(k, [2])];
    expect(ts[1]!.dtype).toBe('int32');
    expect(await Promise.all(ts.map(async (t) => Array.from(await t.data())))).toEqual([[0, 0], [1, 1], [0.5, 0.5]]);
    tf.dispose(ts);
  });
});
