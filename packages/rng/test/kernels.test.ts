// Device-side sampling kernels on cpu, wasm and webgpu (WebGPU through Dawn on SwiftShader in Node). WebGPU is
// required: this suite fails, never skips, when no adapter can be created.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { foldIn, key, split, uniformValues } from '../src/random.js';
import type { KeyArray } from '../src/hostArrays.js';
import {
  bernoulliOnDevice,
  registerRandomKernels,
  THREEFRY_BERNOULLI,
  THREEFRY_UNIFORM,
  uniformOnDevice,
} from '../src/kernels/randomKernels.js';
import { fixture, f32Bits } from './fixtures.js';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const BACKENDS = ['cpu', 'wasm', 'webgpu'] as const;

beforeAll(async () => {
  if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: create([]) }, configurable: true, writable: true });
  await import('@tensorflow/tfjs-backend-cpu');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const require = createRequire(import.meta.url);
  wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`);
  await import('@tensorflow/tfjs-backend-webgpu');
  registerRandomKernels();
  for (const b of BACKENDS) {
    // setBackend resolves false (it does not throw) when a backend cannot start, e.g. no WebGPU adapter.
    expect(await tf.setBackend(b), `backend ${b} must initialise (WebGPU needs ${SWIFTSHADER_ICD})`).toBe(true);
  }
}, 120_000);

/** Bit patterns of a float32 result, read with `await data()` (webgpu cannot dataSync). */
async function floatBits(t: tf.Tensor): Promise<Uint32Array> {
  const values = (await t.data()) as Float32Array;
  return new Uint32Array(values.buffer, values.byteOffset, values.length).slice();
}

function hostBits(k: KeyArray, shape: number[], minval: number, maxval: number): Uint32Array {
  const f = uniformValues(k, shape, minval, maxval);
  return new Uint32Array(f.buffer);
}

function hostMask(k: KeyArray, p: number, shape: number[]): Uint8Array {
  const u = uniformValues(k, shape, 0, 1);
  return Uint8Array.from(u, (x) => (x < Math.fround(p) ? 1 : 0));
}

/** Index of the first difference, or -1: keeps failure messages short for 100k-element arrays. */
function firstMismatch(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

const LARGE_SHAPES = [
  [317, 331], // 104,927 elements: not a multiple of the workgroup size
  [1 << 17],
  [2, 3, 50, 401],
];
const KEYS: [string, () => KeyArray][] = [
  ['key(0)', () => key(0)],
  ['key(42)', () => key(42)],
  ['foldIn(key(7), 2^31)', () => foldIn(key(7), 2147483648)],
  ['split(key(1), 3)[2]', () => split(key(1), 3).index(2)],
];
const RANGES: [number, number][] = [
  [0, 1],
  [-3.5, 2.25],
  [-1e-3, 7],
];

describe.each(BACKENDS)('sampling kernels on %s', (backendName) => {
  beforeAll(async () => {
    await tf.setBackend(backendName);
  });

  it('registers the kernels for the backend', () => {
    expect(tf.getBackend()).toBe(backendName);
    expect(tf.getKernel(THREEFRY_UNIFORM, backendName)).toBeDefined();
    expect(tf.getKernel(THREEFRY_BERNOULLI, backendName)).toBeDefined();
  });

  it('uniform: bit-identical to the host for large tensors, several keys and ranges', async () => {
    for (const shape of LARGE_SHAPES) {
      for (const [name, makeKey] of KEYS) {
        for (const [lo, hi] of RANGES) {
          const k = makeKey();
          const t = uniformOnDevice(k, shape, lo, hi);
          expect(t.shape).toEqual(shape);
          expect(t.dtype).toBe('float32');
          const got = await floatBits(t);
          t.dispose();
          expect(firstMismatch(got, hostBits(k, shape, lo, hi)), `${name} [${shape}] in [${lo}, ${hi})`).toBe(-1);
        }
      }
    }
  }, 120_000);

  it('uniform: exact single-rounding FMA over edge-case ranges', async () => {
    // Cancellation around zero, lo far larger than the scale (lost low bits), all-negative results, huge and tiny
    // ranges, the range normal() uses, and ranges computed on the host (empty, subnormal, infinite width).
    const ranges: [number, number][] = [
      [-1, 1], [-0.75, 0.5], [1000, 1000.001], [-1000.001, -1000], [1e7, 1e7 + 3], [-5, -2], [0, 3], [0, 1e-20],
      [-1e30, 1e30], [-3e38, 3e38], [0.1, 0.2], [-0.1, 1e-6], [Math.fround(-1 + 2 ** -24), 1], [2 ** -100, 2 ** -99],
      [1, 1], [0, 1e-40], [-1e-39, 1e-39], [2, 1], [-0, 1], [-0, 0.5],
    ];
    // A deterministic spread of magnitudes and signs.
    for (let i = 0; i < 24; i++) {
      const a = (((i * 7919) % 97) / 97 - 0.5) * 10 ** ((i % 9) - 4);
      ranges.push([a, a + 10 ** ((i % 7) - 3) * (1 + i / 10)]);
    }
    for (const [lo, hi] of ranges) {
      const k = foldIn(key(11), Math.round(Math.abs(lo * 1000)) + 3);
      const t = uniformOnDevice(k, [40_000], lo, hi);
      const got = await floatBits(t);
      t.dispose();
      expect(firstMismatch(got, hostBits(k, [40_000], lo, hi)), `[${lo}, ${hi})`).toBe(-1);
    }
  }, 120_000);

  it('bernoulli: identical masks to the host for large tensors', async () => {
    for (const shape of LARGE_SHAPES) {
      for (const [name, makeKey] of KEYS) {
        for (const p of [0.3, 0.5, 0.9]) {
          const k = makeKey();
          const t = bernoulliOnDevice(k, p, shape);
          expect(t.shape).toEqual(shape);
          expect(t.dtype).toBe('bool');
          const got = Uint8Array.from(await t.data());
          t.dispose();
          expect(firstMismatch(got, hostMask(k, p, shape)), `${name} [${shape}] p=${p}`).toBe(-1);
        }
      }
    }
  }, 120_000);

  it('matches real JAX on a 104,927-element draw (known answers from jax 0.10.2)', async () => {
    const jax: Record<number, { uniformRange: [number, number][]; ones: number; lastOnes: number[] }> = {
      42: { uniformRange: [[0, 3207634584], [99999, 3219277984], [104926, 3223772680]], ones: 31493, lastOnes: [104916, 104925, 104926] },
      7: { uniformRange: [[0, 1052804428], [99999, 1058200773], [104926, 3212830250]], ones: 31688, lastOnes: [104919, 104923, 104925] },
    };
    for (const [seed, expected] of Object.entries(jax)) {
      const u = uniformOnDevice(key(Number(seed)), [317, 331], -3.5, 2.25);
      const bits = await floatBits(u);
      u.dispose();
      for (const [i, b] of expected.uniformRange) expect(bits[i]).toBe(b);
      const mask = bernoulliOnDevice(key(Number(seed)), 0.3, [317, 331]);
      const m = await mask.data();
      mask.dispose();
      const ones: number[] = [];
      m.forEach((v, i) => v && ones.push(i));
      expect(ones.length).toBe(expected.ones);
      expect(ones.slice(-3)).toEqual(expected.lastOnes);
    }
  }, 60_000);

  it('matches the JAX fixtures for small shapes (partitionable)', async () => {
    const fx = fixture('samplers');
    for (const c of fx.partitionable) {
      const k = key(c.seed);
      for (const s of c.shapes) {
        const u = uniformOnDevice(k, s.shape);
        expect(f32Bits((await u.data()) as Float32Array)).toEqual(s.uniform);
        const r = uniformOnDevice(k, s.shape, -3.5, 2.25);
        expect(f32Bits((await r.data()) as Float32Array)).toEqual(s.uniformRange);
        const b = bernoulliOnDevice(k, 0.3, s.shape);
        expect(Array.from(await b.data()).map(Boolean)).toEqual(s.bernoulli03);
        tf.dispose([u, r, b]);
      }
    }
  }, 60_000);

  it('handles empty shapes and scalars', async () => {
    const empty = uniformOnDevice(key(3), [0, 5]);
    expect(empty.shape).toEqual([0, 5]);
    expect((await empty.data()).length).toBe(0);
    const scalar = bernoulliOnDevice(key(0), 0.5, []);
    expect(scalar.shape).toEqual([]);
    expect(Array.from(await scalar.data())).toEqual([Number(hostMask(key(0), 0.5, [1])[0])]);
    tf.dispose([empty, scalar]);
  });

  it('keeps tf.memory() flat across a loop of kernel calls', async () => {
    const step = async (i: number) => {
      const mask = bernoulliOnDevice(foldIn(key(5), i), 0.9, [256, 512]);
      const u = uniformOnDevice(foldIn(key(6), i), [256, 512], -1, 1);
      const kept = tf.tidy(() => tf.where(mask, u, tf.zerosLike(u)));
      await kept.data();
      tf.dispose([mask, u, kept]);
    };
    await step(0);
    const before = tf.memory();
    for (let i = 1; i <= 10; i++) await step(i);
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
  }, 60_000);
});

describe('webgpu residency', () => {
  it('leaves the kernel output on the GPU with no host copy (reads tfjs-backend-webgpu 4.22 internals)', async () => {
    await tf.setBackend('webgpu');
    const mask = bernoulliOnDevice(key(9), 0.5, [512, 512]);
    const u = uniformOnDevice(key(9), [512, 512], -2, 2);
    // The webgpu backend keeps { values, resource } per dataId: values stays unset until a read, resource is a GPUBuffer.
    const tensorMap = (tf.backend() as unknown as { tensorMap: Map<object, { values?: unknown; resource?: unknown }> }).tensorMap;
    for (const t of [mask, u]) {
      const entry = tensorMap.get(t.dataId);
      expect(entry?.values).toBeUndefined();
      expect(entry?.resource).toBeInstanceOf(globalThis.GPUBuffer);
    }
    tf.dispose([mask, u]);
  });
});

describe('registerRandomKernels', () => {
  it('is idempotent (no duplicate-registration warning)', () => {
    const warnings: unknown[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => warnings.push(args);
    try {
      registerRandomKernels();
      registerRandomKernels();
    } finally {
      console.warn = warn;
    }
    expect(warnings).toEqual([]);
  });

  it('rejects stacked keys and bad shapes with KeyError', () => {
    expect(() => uniformOnDevice(split(key(0), 2), [4])).toThrow(/expected a single key/);
    expect(() => bernoulliOnDevice(key(0), 0.5, [2.5])).toThrow(/non-negative integers/);
    expect(() => bernoulliOnDevice(key(0), 0.5, [2.5])).toThrow(expect.objectContaining({ name: 'KeyError' }));
  });
});
