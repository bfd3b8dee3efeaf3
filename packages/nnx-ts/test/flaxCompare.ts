// Shared by the tests that compare nnx-ts against fixtures written by real Flax (tooling/reference/*.py).
import { f32Bits, ulpDistance } from '@nnx-ts/tooling/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { nnx } from '../src/index.js';

/** A fixture array: shape, dtype and values in row-major order. */
export interface Leaf {
  shape: number[];
  dtype: string;
  values: number[];
}

/** A fixture State entry: path and Variable type name plus the value. */
export interface StateLeaf extends Leaf {
  path: (string | number)[];
  type: string;
}

/** A State (model state or gradients) as fixture records: Variable type, shape, dtype and values (key words for keys). */
export async function stateLeaves(s: nnx.State): Promise<StateLeaf[]> {
  const flat = nnx.toFlatState(s);
  const out: StateLeaf[] = [];
  for (let i = 0; i < flat.paths.length; i++) {
    const variable = flat.leaves[i] as nnx.Variable;
    // A tensor, or a host KeyArray / HostUint32Array (RNG keys and counts).
    type HostLeaf = { shape: readonly number[]; dtype: string; data: Uint32Array };
    const value = variable.value as tf.Tensor | HostLeaf;
    const values = value instanceof tf.Tensor ? Array.from(await value.data()) : Array.from(value.data);
    out.push({ path: flat.paths[i]!, type: variable.constructor.name, shape: [...value.shape], dtype: value.dtype, values });
  }
  return out;
}

interface Worst {
  ulp: number;
  ulpAt: string;
  abs: number;
  at: string;
  rel: number;
  relAt: string;
}

/**
 * Float comparisons against Flax that also record the worst differences per category, reported at the end of a run.
 * `rel` is taken over expected values with |e| >= 1e-2 only: below that the absolute term of the tolerance
 * dominates (sums that cancel, analytically zero gradients holding rounding noise of either sign).
 */
export class FlaxComparison {
  readonly worst: Record<string, Worst> = {};

  record(category: string, actual: number, expected: number, at: string): void {
    const w = (this.worst[category] ??= { ulp: 0, ulpAt: '', abs: 0, at: '', rel: 0, relAt: '' });
    const [a, e] = [Math.fround(actual), Math.fround(expected)];
    const ulp = ulpDistance(f32Bits(new Float32Array([a]))[0]!, f32Bits(new Float32Array([e]))[0]!);
    const abs = Math.abs(a - e);
    if (ulp > w.ulp) [w.ulp, w.ulpAt] = [ulp, `${at}: ${a} vs ${e}`];
    if (abs > w.abs) [w.abs, w.at] = [abs, `${at}: ${a} vs ${e}`];
    if (Math.abs(e) >= 1e-2 && abs / Math.abs(e) > w.rel) [w.rel, w.relAt] = [abs / Math.abs(e), `${at}: ${a} vs ${e}`];
  }

  /** Float32 tolerance for computed values: |a - e| <= 1e-6 + 1e-5 |e|. */
  expectClose(actual: number[], expected: number[], where: string, category: string): void {
    expect(actual.length, where).toBe(expected.length);
    for (let i = 0; i < expected.length; i++) {
      this.record(category, actual[i]!, expected[i]!, `${where}[${i}]`);
      const tol = 1e-6 + 1e-5 * Math.abs(expected[i]!);
      if (!(Math.abs(actual[i]! - expected[i]!) <= tol)) {
        expect.fail(`${where}[${i}]: ${actual[i]} vs Flax ${expected[i]} (tolerance ${tol})`);
      }
    }
  }

  /** Within `maxUlp` units in the last place (initialised parameters). */
  expectUlp(actual: number[], expected: number[], maxUlp: number, where: string, category: string): void {
    expect(actual.length, where).toBe(expected.length);
    const a = f32Bits(Float32Array.from(actual));
    const e = f32Bits(Float32Array.from(expected));
    for (let i = 0; i < e.length; i++) {
      this.record(category, actual[i]!, expected[i]!, `${where}[${i}]`);
      expect(ulpDistance(a[i]!, e[i]!), `${where}[${i}]: ${actual[i]} vs Flax ${expected[i]}`).toBeLessThanOrEqual(maxUlp);
    }
  }

  /**
   * Paths, Variable types, shapes and dtypes equal Flax's; integers and key words exact; floats within `maxUlp` ulp
   * (when given) or the float32 tolerance.
   */
  expectState(actual: StateLeaf[], expected: StateLeaf[], where: string, category: string, maxUlp?: number): void {
    expect(actual.map((l) => l.path), where).toEqual(expected.map((l) => l.path));
    for (let i = 0; i < expected.length; i++) {
      const [a, e] = [actual[i]!, expected[i]!];
      const at = `${where} ${e.path.join('/')}`;
      expect(a.type, at).toBe(e.type);
      expect(a.shape, at).toEqual(e.shape);
      expect(a.dtype, at).toBe(e.dtype);
      if (e.dtype === 'float32') {
        if (maxUlp !== undefined) this.expectUlp(a.values, e.values, maxUlp, at, category);
        else this.expectClose(a.values, e.values, at, category);
      } else {
        expect(a.values, at).toEqual(e.values);
      }
    }
  }
}
