import { describe, expect, it } from 'vitest';
import { fma32, log1p32, log32 } from '../src/float32.js';
import { f32Bits, fixture, fromBits, ulpDistance } from './fixtures.js';

// Products chosen so that the float64 sum lands exactly halfway between two float32s although the exact value does
// not: 2^36 + 1 = 4097 · 16773121 and 2^36 − 1 = 262143 · 262145 (all factors fit in float32's 24-bit significand).
describe('fma32', () => {
  it('rounds up when float64 rounding hides a positive remainder (1 + 2^-24 + 2^-60)', () => {
    expect(fma32(4097 * 2 ** -12, 16773121 * 2 ** -48, 1)).toBe(1 + 2 ** -23);
    expect(fma32(-4097 * 2 ** -12, 16773121 * 2 ** -48, -1)).toBe(-(1 + 2 ** -23));
  });

  it('rounds down when float64 rounding hides a negative remainder (1 + 2^-23 + 2^-24 − 2^-60)', () => {
    expect(fma32(262143 * 2 ** -18, 262145 * 2 ** -42, 1 + 2 ** -23)).toBe(1 + 2 ** -23);
  });

  it('keeps exact results and ties-to-even on exact midpoints', () => {
    expect(fma32(0.5, 0.25, 1)).toBe(1.125);
    expect(fma32(2 ** -12, 2 ** -12, 1)).toBe(1);
    expect(fma32(3 * 2 ** -12, 2 ** -12, 1)).toBe(1 + 2 ** -22);
  });
});

describe('XLA:CPU float32 log and log1p (tooling/reference/rng.py xla_log)', () => {
  const ref = fixture('xla_log');
  const xs = fromBits(ref.x);

  it('log32 equals jax.jit(jnp.log) bit for bit', () => {
    expect(f32Bits(Float32Array.from(xs, (v) => log32(v)))).toEqual(ref.log);
  });

  it('log1p32 is within 1 ulp of jax.jit(jnp.log1p)', () => {
    const shifted = Float32Array.from(xs, (v) => Math.fround(v - 0.5));
    const got = f32Bits(Float32Array.from(shifted, (v) => log1p32(v)));
    expect(Math.max(...got.map((g, i) => ulpDistance(g, ref.log1p[i]!)))).toBeLessThanOrEqual(1);
  });

  it('handles the edges of the domain', () => {
    expect(log32(0)).toBe(-Infinity);
    expect(log32(-1)).toBeNaN();
    expect(log32(Infinity)).toBe(Infinity);
    expect(log32(1)).toBe(0);
  });
});
