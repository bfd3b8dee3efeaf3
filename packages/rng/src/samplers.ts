import * as tf from '@tensorflow/tfjs-core';
import { KeyError } from './errors.js';
import { sizeOf, type KeyArray } from './hostArrays.js';
import { log1p32, log32 } from './float32.js';

const fr = Math.fround;
import { bits32, split, uniformValues, type SampleOptions, type Shape } from './random.js';

// Samplers built on random bits and uniform, following jax/_src/random/core.py. Integer results are exact and live on
// the host (Int32Array); float results are tensors (their `*Values` twins return the host Float32Array).

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const FLOAT32_TINY = 1.1754943508222875e-38;
const FLOAT32_EPSNEG = 5.960464477539063e-8;

function clipInt32(x: number): number {
  return Math.min(INT32_MAX, Math.max(INT32_MIN, Math.trunc(x)));
}

/**
 * Random int32 integers in `[minval, maxval)`, exact (JAX's `randint`: two 32-bit draws combined modulo the span).
 * On the host: returns an `Int32Array` of `prod(shape)` elements.
 *
 * @example
 * ```ts
 * randint(key(0), [3, 3], 0, 8);
 * ```
 */
export function randint(k: KeyArray, shape: Shape, minval: number, maxval: number, options: SampleOptions = {}): Int32Array {
  if (!Number.isInteger(minval) || !Number.isInteger(maxval)) {
    throw new KeyError(`randint: minval and maxval must be integers, got ${minval} and ${maxval}`);
  }
  const n = sizeOf(shape);
  const keys = split(k, 2, options);
  const higher = bits32(keys.index(0), n, options.mode, 'randint');
  const lower = bits32(keys.index(1), n, options.mode, 'randint');
  const lo = clipInt32(minval);
  const hi = clipInt32(maxval);
  const maxOutOfRange = maxval > INT32_MAX;
  let span = (hi - lo) >>> 0;
  if (hi <= lo) span = 1;
  if (maxOutOfRange && hi > lo) span = (span + 1) >>> 0;
  const out = new Int32Array(n);
  if (span === 0) {
    // The full 2^32 range: the remainders are no-ops.
    for (let i = 0; i < n; i++) out[i] = (lo + lower[i]!) | 0;
    return out;
  }
  let multiplier = 65536 % span;
  multiplier = (Math.imul(multiplier, multiplier) >>> 0) % span;
  for (let i = 0; i < n; i++) {
    const offset = ((Math.imul(higher[i]! % span, multiplier) >>> 0) + (lower[i]! % span)) >>> 0;
    out[i] = (lo + (offset % span)) | 0;
  }
  return out;
}

/**
 * A random permutation of `0..n-1` (or of the given values), exact and identical to `jax.random.permutation`
 * (rounds of stable sorts by random 32-bit keys). On the host.
 *
 * @example
 * ```ts
 * permutation(key(0), 5); // Int32Array of 0..4 shuffled
 * ```
 */
export function permutation(k: KeyArray, x: number | ArrayLike<number>, options: SampleOptions = {}): Int32Array {
  let values: Int32Array;
  if (typeof x === 'number') {
    if (!Number.isInteger(x) || x < 0) throw new KeyError(`permutation: n must be a non-negative integer, got ${x}`);
    values = new Int32Array(x);
    for (let i = 0; i < x; i++) values[i] = i;
  } else {
    values = Int32Array.from(x);
  }
  const n = values.length;
  const rounds = Math.ceil((3 * Math.log(Math.max(1, n))) / Math.log(4294967295));
  let current = k;
  const order = new Int32Array(n);
  for (let r = 0; r < rounds; r++) {
    const keys = split(current, 2, options);
    current = keys.index(0);
    const sortKeys = bits32(keys.index(1), n, options.mode, 'permutation');
    for (let i = 0; i < n; i++) order[i] = i;
    // Array.prototype.sort is stable, as lax.sort_key_val.
    const sorted = Array.from(order).sort((a, b) => sortKeys[a]! - sortKeys[b]!);
    values = Int32Array.from(sorted, (i) => values[i]!);
  }
  return values;
}

/**
 * Options of {@link choice}.
 *
 * @example
 * ```ts
 * choice(key(0), 3, [5], { p: [0.2, 0.5, 0.3] });
 * ```
 */
export interface ChoiceOptions extends SampleOptions {
  /** Sample with replacement (default true). */
  replace?: boolean;
  /** Probabilities of the `n` inputs (default uniform). */
  p?: ArrayLike<number>;
}

/**
 * Draws `prod(shape)` samples from `0..n-1` (or from `values`), as `jax.random.choice`: without `p` via `randint`
 * (with replacement) or `permutation` (without); with `p` via inverse-CDF search on the float32 cumulative sum (with
 * replacement) or the Gumbel top-k trick (without). On the host.
 *
 * @example
 * ```ts
 * choice(key(1), 10, [3], { replace: false });
 * ```
 */
export function choice(k: KeyArray, a: number | ArrayLike<number>, shape: Shape = [], options: ChoiceOptions = {}): Int32Array {
  const nInputs = typeof a === 'number' ? a : a.length;
  const draws = sizeOf(shape);
  if (draws === 0) return new Int32Array(0);
  if (!Number.isInteger(nInputs) || nInputs <= 0) throw new KeyError('choice: a must be greater than 0 unless no samples are taken');
  const replace = options.replace ?? true;
  if (!replace && draws > nInputs) {
    throw new KeyError(`choice: cannot take a larger sample (size ${draws}) than population (size ${nInputs}) when replace is false`);
  }
  const pick = (idx: Int32Array) => (typeof a === 'number' ? idx : Int32Array.from(idx, (i) => a[i]!));
  const { p } = options;
  if (p === undefined) {
    return pick(replace ? randint(k, shape, 0, nInputs, options) : permutation(k, nInputs, options).slice(0, draws));
  }
  if (p.length !== nInputs) throw new KeyError(`choice: p must have ${nInputs} entries (one per input), got ${p.length}`);
  if (replace) {
    const cumulative = new Float32Array(nInputs);
    let total = 0;
    for (let i = 0; i < nInputs; i++) cumulative[i] = total = fr(total + fr(p[i]!));
    const u = uniformValues(k, shape, 0, 1, options);
    const out = new Int32Array(draws);
    for (let d = 0; d < draws; d++) {
      const r = fr(total * fr(1 - u[d]!));
      let lo = 0;
      let hi = nInputs;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cumulative[mid]! < r) lo = mid + 1;
        else hi = mid;
      }
      out[d] = lo;
    }
    return pick(out);
  }
  const g = gumbelValues(k, [nInputs], options);
  const scores = Float32Array.from(g, (v, i) => fr(v + log32(fr(p[i]!))));
  const order = Array.from({ length: nInputs }, (_, i) => i).sort((x, y) => scores[y]! - scores[x]! || x - y);
  return pick(Int32Array.from(order.slice(0, draws)));
}

/** Float32 Gumbel samples on the host: `-log(-log(uniform(tiny, 1)))`. */
export function gumbelValues(k: KeyArray, shape: Shape, options: SampleOptions = {}): Float32Array {
  const u = uniformValues(k, shape, FLOAT32_TINY, 1, options);
  for (let i = 0; i < u.length; i++) u[i] = -log32(-log32(u[i]!));
  return u;
}

/**
 * Standard Gumbel samples, as `jax.random.gumbel` (mode 'low').
 *
 * @example
 * ```ts
 * gumbel(key(0), [4]);
 * ```
 */
export function gumbel(k: KeyArray, shape: Shape = [], options: SampleOptions = {}): tf.Tensor {
  return tf.tensor(gumbelValues(k, shape, options), [...shape], 'float32');
}

/** Float32 exponential samples on the host: `-log1p(-u)`. */
export function exponentialValues(k: KeyArray, shape: Shape, options: SampleOptions = {}): Float32Array {
  const u = uniformValues(k, shape, 0, 1, options);
  for (let i = 0; i < u.length; i++) u[i] = -log1p32(-u[i]!);
  return u;
}

/**
 * Standard exponential samples, as `jax.random.exponential`.
 *
 * @example
 * ```ts
 * exponential(key(0), [4]);
 * ```
 */
export function exponential(k: KeyArray, shape: Shape = [], options: SampleOptions = {}): tf.Tensor {
  return tf.tensor(exponentialValues(k, shape, options), [...shape], 'float32');
}

/** Float32 Laplace samples on the host: `sign(u) * log1p(-|u|)` with `u ~ uniform(-1 + epsneg, 1)`. */
export function laplaceValues(k: KeyArray, shape: Shape, options: SampleOptions = {}): Float32Array {
  const u = uniformValues(k, shape, -1 + FLOAT32_EPSNEG, 1, options);
  for (let i = 0; i < u.length; i++) {
    const v = u[i]!;
    u[i] = v === 0 ? 0 : Math.sign(v) * log1p32(-Math.abs(v));
  }
  return u;
}

/**
 * Standard Laplace samples, as `jax.random.laplace`.
 *
 * @example
 * ```ts
 * laplace(key(0), [4]);
 * ```
 */
export function laplace(k: KeyArray, shape: Shape = [], options: SampleOptions = {}): tf.Tensor {
  return tf.tensor(laplaceValues(k, shape, options), [...shape], 'float32');
}

/**
 * Samples category indices from unnormalised log-probabilities along the last axis, as `jax.random.categorical`:
 * `argmax(logits + gumbel)`. The Gumbel noise is drawn on the host; the sum and argmax run on the logits' device, so
 * nothing is read back. Returns an int32 tensor of shape `logits.shape[:-1]`.
 *
 * @example
 * ```ts
 * categorical(key(0), tf.tensor2d([[0, 1, 2], [2, 1, 0]]));
 * ```
 */
export function categorical(k: KeyArray, logits: tf.Tensor, options: SampleOptions = {}): tf.Tensor {
  if (logits.rank < 1) throw new KeyError('categorical: logits must have at least one axis');
  return tf.tidy(() => {
    const noise = tf.tensor(gumbelValues(k, logits.shape, options), logits.shape, 'float32');
    return tf.argMax(tf.add(logits, noise), -1);
  });
}
