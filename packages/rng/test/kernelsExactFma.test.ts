// The shader's integer FMA (EXACT_FMA_WGSL) on constructed hard cases — sums that land on or next to a float32
// rounding midpoint, with low bits shifted out below the 64-bit frame — checked against exact BigInt arithmetic.
// Random draws almost never hit these cases, so the function runs here on chosen mantissas m.
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXACT_FMA_WGSL, fmaParams } from '../src/kernels/exactFma.js';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

beforeAll(async () => {
  if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: create([]) }, configurable: true, writable: true });
  await import('@tensorflow/tfjs-backend-webgpu');
  expect(await tf.setBackend('webgpu'), `WebGPU must initialise (needs ${SWIFTSHADER_ICD} or a GPU)`).toBe(true);
}, 120_000);

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);
const bitsOf = (x: number) => ((F32[0] = x), U32[0]!);

/** Exact `m * 2^-23 * scale + lo` rounded once to float32 (nearest, ties to even); normal results only. */
function exactFma(m: number, scale: number, lo: number): number {
  // Every float32 here is an integer times 2^-200, so the sum is an exact BigInt times 2^-223.
  const q = -223;
  const toInt = (x: number, e: number) => BigInt(x * 2 ** -e);
  const n = BigInt(m) * toInt(scale, -200) + toInt(lo, -200) * 2n ** 23n;
  if (n === 0n) return 0;
  const negative = n < 0n;
  const mag = negative ? -n : n;
  const len = mag.toString(2).length;
  let e = q + len - 1;
  let sig: bigint;
  const shift = BigInt(len - 24);
  if (shift > 0n) {
    sig = mag >> shift;
    const rem = mag - (sig << shift);
    const half = 1n << (shift - 1n);
    if (rem > half || (rem === half && (sig & 1n) === 1n)) sig += 1n;
    if (sig === 1n << 24n) {
      sig >>= 1n;
      e += 1;
    }
  } else sig = mag << -shift;
  const value = Number(sig) * 2 ** (e - 23);
  return negative ? -value : value;
}

/** A WebGPU program that applies `fmaUniform` to given mantissas (an int32 input). */
class FmaProgram {
  variableNames = ['mantissas'];
  outputShape: number[];
  shaderKey = 'nnxTestExactFma';
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;
  uniforms = 'scaleSig : i32, prodExp : i32, loSig : i32, loExp : i32, loNeg : i32,';
  constructor(n: number) {
    this.outputShape = [n];
    this.dispatch = [Math.ceil(n / 64), 1, 1];
  }
  getUserCode(): string {
    return `${EXACT_FMA_WGSL}
      fn main(index : i32) {
        if (index < uniforms.size) { setOutputAtIndex(index, fmaUniform(u32(mantissas[index]))); }
      }`;
  }
}

async function shaderFma(ms: number[], scale: number, lo: number): Promise<Float32Array> {
  const p = fmaParams(lo, scale);
  if (p === undefined) throw new Error(`(${lo}, ${scale}) outside the shader's range`);
  const input = tf.tensor1d(Int32Array.from(ms), 'int32');
  const backend = tf.backend() as unknown as {
    runWebGPUProgram(p: FmaProgram, i: tf.TensorInfo[], d: string, u: { type: string; data: number[] }[]): tf.TensorInfo;
  };
  const uniforms = [p.scaleSig, p.prodExp, p.loSig, p.loExp, p.loNeg].map((v) => ({ type: 'int32', data: [v] }));
  const info = backend.runWebGPUProgram(new FmaProgram(ms.length), [input], 'float32', uniforms);
  const out = tf.engine().makeTensorFromTensorInfo(info);
  const values = (await out.data()) as Float32Array;
  tf.dispose([input, out]);
  return values;
}

/** Mantissas m whose product m * 2^-23 * scale lies on, or one or two steps off, midpoints between floats near lo. */
function hardMantissas(scale: number, lo: number): number[] {
  const c = scale * 2 ** -23;
  const halfUlp = 2 ** (Math.floor(Math.log2(Math.abs(lo))) - 24);
  const ms = new Set<number>([0, 1, 2 ** 23 - 1, 2 ** 22]);
  for (let h = 1; h < 40; h += 1) {
    const center = Math.round((h * halfUlp) / c);
    for (let d = -2; d <= 2; d++) if (center + d >= 0 && center + d < 2 ** 23) ms.add(center + d);
  }
  return [...ms];
}

describe('exact FMA in WGSL', () => {
  it('agrees with exact arithmetic around rounding midpoints', async () => {
    let cases = 0;
    let hostDoubleRoundingDiffers = 0;
    for (const lo of [1, -1, 1.5, -3.25, 1000, -1e6, 2 ** 20 + 1, Math.fround(-1 + 2 ** -23)]) {
      for (const gapBits of [20, 24, 28, 33, 40, 46]) {
        const scale = Math.fround(Math.abs(lo) * 2 ** -gapBits * (1 + 2 ** -23 * 12345));
        const ms = hardMantissas(scale, lo);
        const got = await shaderFma(ms, scale, lo);
        ms.forEach((m, i) => {
          const want = exactFma(m, scale, lo);
          expect(bitsOf(got[i]!), `m=${m} scale=${scale} lo=${lo}`).toBe(bitsOf(want));
          // The float64 route (one double rounding) is what a host fma32 does; count where it is not exact.
          if (bitsOf(Math.fround(m * 2 ** -23 * scale + lo)) !== bitsOf(want)) hostDoubleRoundingDiffers++;
          cases++;
        });
      }
    }
    expect(cases).toBeGreaterThan(1000);
    // Informational: float64-then-float32 double rounding disagrees with a true FMA on some of these cases.
    console.info(`exact FMA: ${cases} cases; float64 double rounding differs on ${hostDoubleRoundingDiffers}`);
  }, 120_000);

  it('rounds midpoints whose deciding bits lie below the 64-bit frame', async () => {
    // 97 * 11069504 = (2^24 + 1) * 2^6, so m = 97 and scale = 11069504 * 2^-7 give f * scale = 1 + 2^-24 exactly: the
    // midpoint between 1 and 1 + 2^-23. A tiny lo (all of its bits below the frame) decides the rounding.
    const [m, scale, tiny] = [97, 86480.5, 1.5 * 2 ** -90];
    const [up, down, tie] = await Promise.all([shaderFma([m], scale, tiny), shaderFma([m], scale, -tiny), shaderFma([m], scale, 0)]);
    expect([up[0], down[0], tie[0]]).toEqual([1 + 2 ** -23, 1, 1]);
    // m * S = 2^45 + r with 0 < r < 2^8: placed half an ulp above lo = 1 (or half an ulp below lo = -1 in magnitude),
    // r falls below the frame and only the sticky bit says the sum is past the midpoint.
    let found = 0;
    for (let mm = 2 ** 22 + 1; mm < 2 ** 23 && found < 8; mm++) {
      const sig = Math.ceil(2 ** 45 / mm);
      const r = mm * sig - 2 ** 45;
      if (sig >= 2 ** 24 || r === 0 || r >= 2 ** 8) continue;
      found++;
      const [above] = await shaderFma([mm], sig * 2 ** -46, 1);
      expect(above).toBe(1 + 2 ** -23);
      const [below] = await shaderFma([mm], sig * 2 ** -47, -1);
      expect(below).toBe(-(1 - 2 ** -24));
      expect([above, below]).toEqual([exactFma(mm, sig * 2 ** -46, 1), exactFma(mm, sig * 2 ** -47, -1)]);
    }
    expect(found).toBe(8);
  }, 60_000);

  it('declines ranges it cannot compute exactly', () => {
    expect(fmaParams(0, 0)).toBeUndefined();
    expect(fmaParams(0, Infinity)).toBeUndefined();
    expect(fmaParams(0, 1e-30)).toBeUndefined();
    expect(fmaParams(1e-35, 1)).toBeUndefined();
    expect(fmaParams(-1, 2)).toEqual({ scaleSig: 0x800000, prodExp: -45, loSig: 0x800000, loExp: -23, loNeg: 1 });
  });
});
