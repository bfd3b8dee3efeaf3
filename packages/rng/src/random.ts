import * as tf from '@tensorflow/tfjs-core';
import { KeyError } from './errors.js';
import { erf32, erfInv32, fma32, nextAfter32 } from './float32.js';
import { HostUint32Array, KeyArray, sizeOf } from './hostArrays.js';
import { bernoulliOnDevice, uniformOnDevice } from './kernels/randomKernels.js';
import { threefry2x32, threefryWords } from './threefry.js';

const fr = Math.fround;

/**
 * How keys are split and bits drawn. `'partitionable'` is JAX's default since 0.5 (`jax_threefry_partitionable=True`);
 * `'legacy'` reproduces the older scheme. `foldIn` is the same in both.
 */
export type RngMode = 'partitionable' | 'legacy';

/**
 * Options shared by the samplers.
 *
 * @example
 * ```ts
 * uniform(key(0), [3], { mode: 'legacy' });
 * ```
 */
export interface SampleOptions {
  /** Split/bits scheme (default `'partitionable'`, as JAX). */
  mode?: RngMode;
}

/** A shape argument: a list of dimensions (`[]` is a scalar). */
export type Shape = readonly number[];


function singleKey(k: KeyArray, fn: string): [number, number] {
  if (!(k instanceof KeyArray)) throw new KeyError(`${fn}: expected a KeyArray, got ${String(k)}`);
  if (k.shape.length !== 0) {
    throw new KeyError(`${fn}: expected a single key (shape []), got a KeyArray of shape [${k.shape.join(', ')}]; index it or map over it`);
  }
  return [k.data[0]!, k.data[1]!];
}

/**
 * A PRNG key from an integer seed, like `jax.random.key(seed)` with 64-bit types off (JAX's default): the key words
 * are `[0, seed mod 2^32]`. Accepts any integer in the int64 range (numbers must be safe integers; use a bigint for more).
 *
 * @example
 * ```ts
 * key(42).data; // Uint32Array [0, 42]
 * ```
 */
export function key(seed: number | bigint): KeyArray {
  let lo: number;
  if (typeof seed === 'bigint') {
    if (seed < -(2n ** 63n) || seed >= 2n ** 63n) throw new KeyError(`seed ${seed} is outside the int64 range`);
    lo = Number(BigInt.asUintN(32, seed));
  } else {
    if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
      throw new KeyError(`seed must be an integer (a safe-integer number or a bigint), got ${String(seed)}`);
    }
    lo = Number(BigInt.asUintN(32, BigInt(seed)));
  }
  return new KeyArray([], Uint32Array.of(0, lo));
}

/**
 * The raw uint32 words of a key array: shape `[...key.shape, 2]`, as `jax.random.key_data`.
 *
 * @example
 * ```ts
 * keyData(key(1)); // { shape: [2], data: Uint32Array [0, 1] }
 * ```
 */
export function keyData(k: KeyArray): { shape: number[]; data: Uint32Array } {
  return { shape: [...k.shape, 2], data: k.data.slice() };
}

/**
 * Wraps raw uint32 words (trailing dimension 2) as a key array, as `jax.random.wrap_key_data`.
 *
 * @example
 * ```ts
 * wrapKeyData(Uint32Array.of(0, 42)); // same key as key(42)
 * ```
 */
export function wrapKeyData(data: Uint32Array | readonly number[], shape?: Shape): KeyArray {
  const words = data instanceof Uint32Array ? data.slice() : Uint32Array.from(data);
  const full = shape ?? [words.length];
  if (full.length === 0 || full[full.length - 1] !== 2) {
    throw new KeyError(`key data must have a trailing dimension of 2, got shape [${full.join(', ')}]`);
  }
  return new KeyArray(full.slice(0, -1), words);
}

/**
 * Splits a key into new keys: `split(k)` gives 2, `split(k, 5)` gives shape `[5]`, `split(k, [2, 3])` shape `[2, 3]`.
 * Partitionable mode: key `i` is `threefry(k, (i >>> 32, i))`, the same as `foldIn(k, i)`.
 *
 * @example
 * ```ts
 * const [a, b] = [split(key(0)).index(0), split(key(0)).index(1)];
 * ```
 */
export function split(k: KeyArray, num: number | Shape = 2, options: SampleOptions = {}): KeyArray {
  const [k0, k1] = singleKey(k, 'split');
  const shape = typeof num === 'number' ? [num] : [...num];
  const n = sizeOf(shape);
  if (options.mode === 'legacy') {
    const iota = new Uint32Array(2 * n);
    for (let i = 0; i < 2 * n; i++) iota[i] = i;
    return new KeyArray(shape, threefryWords(k0, k1, iota).slice());
  }
  const [hi, lo] = hashIndices(k0, k1, n);
  const out = new Uint32Array(2 * n);
  for (let i = 0; i < n; i++) {
    out[2 * i] = hi[i]!;
    out[2 * i + 1] = lo[i]!;
  }
  return new KeyArray(shape, out);
}

/**
 * Folds an integer into a key: `threefry(k, (0, data))`. Works elementwise on a key array, with `data` a number
 * (broadcast) or a host uint32 array of the key array's shape (how RNG streams fold in their counts).
 *
 * @example
 * ```ts
 * foldIn(key(0), 4).data; // Uint32Array [2285895361, 433833334]
 * ```
 */
export function foldIn(k: KeyArray, data: number | HostUint32Array): KeyArray {
  if (!(k instanceof KeyArray)) throw new KeyError(`foldIn: expected a KeyArray, got ${String(k)}`);
  const n = k.size;
  let counts: Uint32Array;
  if (typeof data === 'number') {
    if (!Number.isInteger(data)) throw new KeyError(`foldIn: data must be an integer, got ${data}`);
    counts = new Uint32Array(n).fill(data >>> 0);
  } else {
    if (data.shape.join() !== k.shape.join()) {
      throw new KeyError(`foldIn: data of shape [${data.shape.join(', ')}] does not match keys of shape [${k.shape.join(', ')}]`);
    }
    counts = data.data;
  }
  const out = new Uint32Array(2 * n);
  const x0 = new Uint32Array(1);
  const x1 = new Uint32Array(1);
  for (let i = 0; i < n; i++) {
    x0[0] = 0;
    x1[0] = counts[i]!;
    threefry2x32(k.data[2 * i]!, k.data[2 * i + 1]!, x0, x1, x0, x1);
    out[2 * i] = x0[0]!;
    out[2 * i + 1] = x1[0]!;
  }
  return new KeyArray(k.shape, out);
}

/** Partitionable mode's core: element i hashes the counter (i >>> 32, i) under the key; returns both output words. */
function hashIndices(k0: number, k1: number, n: number): [Uint32Array, Uint32Array] {
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    hi[i] = Math.floor(i / 4294967296);
    lo[i] = i;
  }
  threefry2x32(k0, k1, hi, lo, hi, lo);
  return [hi, lo];
}

/** 32-bit random words for `n` elements (JAX's `random_bits(key, 32, shape)`, flattened). Internal. */
export function bits32(k: KeyArray, n: number, mode: RngMode | undefined, fn: string): Uint32Array {
  const [k0, k1] = singleKey(k, fn);
  if (mode === 'legacy') {
    const iota = new Uint32Array(n);
    for (let i = 0; i < n; i++) iota[i] = i;
    return threefryWords(k0, k1, iota).slice();
  }
  const [hi, lo] = hashIndices(k0, k1, n);
  for (let i = 0; i < n; i++) hi[i] = hi[i]! ^ lo[i]!;
  return hi;
}

/**
 * Random unsigned integers of `width` bits (8, 16 or 32), exact, on the host (TF.js has no unsigned dtypes):
 * a row-major typed array of `prod(shape)` elements.
 *
 * @example
 * ```ts
 * bits(key(0), [5]); // Uint32Array [4070199207, 4202968722, 1427181096, 2012915765, 2447653815]
 * ```
 */
export function bits(k: KeyArray, shape: Shape = [], width: 8 | 16 | 32 = 32, options: SampleOptions = {}): Uint32Array | Uint16Array | Uint8Array {
  const n = sizeOf(shape);
  if (width !== 8 && width !== 16 && width !== 32) throw new KeyError(`bits: width must be 8, 16 or 32, got ${String(width)}`);
  if (options.mode === 'legacy' && width !== 32) {
    const words = bits32(k, Math.ceil((width * n) / 32), 'legacy', 'bits');
    const view = width === 8 ? new Uint8Array(words.buffer) : new Uint16Array(words.buffer);
    return view.slice(0, n);
  }
  const words = bits32(k, n, options.mode, 'bits');
  if (width === 32) return words;
  return width === 8 ? Uint8Array.from(words, (w) => w & 0xff) : Uint16Array.from(words, (w) => w & 0xffff);
}

/** Uniform float32 values in [0, 1) from 32-bit words: the top 23 bits as a mantissa of a number in [1, 2), minus 1. */
function unitFloats(words: Uint32Array): Float32Array {
  // In place: callers pass freshly drawn words they do not keep.
  for (let i = 0; i < words.length; i++) words[i] = (words[i]! >>> 9) | 0x3f800000;
  const f = new Float32Array(words.buffer, words.byteOffset, words.length);
  for (let i = 0; i < f.length; i++) f[i] = f[i]! - 1;
  return f;
}

/** Float32 samples of `uniform(key, shape, minval, maxval)` on the host, bit-exact with JAX (FMA included). */
export function uniformValues(k: KeyArray, shape: Shape, minval = 0, maxval = 1, options: SampleOptions = {}): Float32Array {
  const lo = fr(minval);
  const scale = fr(fr(maxval) - lo);
  const f = unitFloats(bits32(k, sizeOf(shape), options.mode, 'uniform'));
  // fma(f, 1, 0) = f ≥ 0: the default range needs no second pass.
  if (lo === 0 && scale === 1) return f;
  for (let i = 0; i < f.length; i++) f[i] = Math.max(lo, fma32(f[i]!, scale, lo));
  return f;
}

/**
 * Uniform float32 samples in `[minval, maxval)`, as `jax.random.uniform`.
 *
 * @example
 * ```ts
 * uniform(key(0), [3]); // [0.947667, 0.9785799, 0.33229148]
 * ```
 */
export function uniform(k: KeyArray, shape: Shape = [], minval = 0, maxval = 1, options: SampleOptions = {}): tf.Tensor {
  // Partitionable mode runs as a TF.js kernel on the active backend (a WGSL shader on webgpu): nothing is uploaded.
  if (options.mode !== 'legacy') return uniformOnDevice(k, shape, minval, maxval);
  return tf.tensor(uniformValues(k, shape, minval, maxval, options), [...shape], 'float32');
}

const SQRT2 = fr(Math.SQRT2);
const NORMAL_LOW = nextAfter32(-1, 0);

/** Float32 samples of `normal(key, shape)` on the host (JAX's erf_inv recipe). */
export function normalValues(k: KeyArray, shape: Shape, options: SampleOptions = {}): Float32Array {
  const u = uniformValues(k, shape, NORMAL_LOW, 1, options);
  for (let i = 0; i < u.length; i++) u[i] = fr(SQRT2 * erfInv32(u[i]!));
  return u;
}

/**
 * Standard normal float32 samples, as `jax.random.normal`.
 *
 * @example
 * ```ts
 * normal(key(0), [3]); // [1.6226422, 2.0252647, -0.43359444]
 * ```
 */
export function normal(k: KeyArray, shape: Shape = [], options: SampleOptions = {}): tf.Tensor {
  return tf.tensor(normalValues(k, shape, options), [...shape], 'float32');
}

/** Float32 samples of `truncated_normal(key, lower, upper, shape)` on the host. */
export function truncatedNormalValues(k: KeyArray, lower: number, upper: number, shape: Shape, options: SampleOptions = {}): Float32Array {
  const a = erf32(fr(fr(lower) / SQRT2));
  const b = erf32(fr(fr(upper) / SQRT2));
  const u = uniformValues(k, shape, a, b, options);
  const lo = nextAfter32(lower, Infinity);
  const hi = nextAfter32(upper, -Infinity);
  for (let i = 0; i < u.length; i++) u[i] = Math.min(hi, Math.max(lo, fr(SQRT2 * erfInv32(u[i]!))));
  return u;
}

/**
 * Standard normal samples truncated to `(lower, upper)`, as `jax.random.truncated_normal`.
 *
 * @example
 * ```ts
 * truncatedNormal(key(0), -2, 2, [2]); // [1.4559592, 1.7147487]
 * ```
 */
export function truncatedNormal(k: KeyArray, lower: number, upper: number, shape: Shape = [], options: SampleOptions = {}): tf.Tensor {
  return tf.tensor(truncatedNormalValues(k, lower, upper, shape, options), [...shape], 'float32');
}

/**
 * Boolean samples that are true with probability `p` (`uniform < p`), as `jax.random.bernoulli`.
 *
 * @example
 * ```ts
 * bernoulli(key(0), 0.5, [4]); // [false, false, true, true]
 * ```
 */
export function bernoulli(k: KeyArray, p = 0.5, shape: Shape = [], options: SampleOptions = {}): tf.Tensor {
  if (options.mode !== 'legacy') return bernoulliOnDevice(k, p, shape);
  const pf = fr(p);
  const u = uniformValues(k, shape, 0, 1, options);
  const mask = new Uint8Array(u.length);
  for (let i = 0; i < u.length; i++) mask[i] = u[i]! < pf ? 1 : 0;
  return tf.tensor(mask, [...shape], 'bool');
}
