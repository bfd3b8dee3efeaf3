// threefry2x32 with 20 rounds (Salmon et al., Random123), exactly as JAX computes it: uint32 arithmetic mod 2^32.

const KS_PARITY = 0x1bd11bda;

/**
 * Hashes counter pairs `(x0[i], x1[i])` under key `(k0, k1)` into `out0[i]`, `out1[i]` (all uint32 words).
 * The arrays may alias (`out0 === x0` is fine). This is the hot loop of every sampler, so its 20 rounds
 * (rotations 13, 15, 26, 6 / 17, 29, 16, 24, key injection every 4 rounds) are written out flat.
 *
 * @example
 * ```ts
 * const o0 = new Uint32Array(1), o1 = new Uint32Array(1);
 * threefry2x32(0, 0, new Uint32Array([0]), new Uint32Array([0]), o0, o1); // o0[0] = 0x6B200159, o1[0] = 0x99BA4EFE
 * ```
 */
export function threefry2x32(
  k0: number,
  k1: number,
  x0: Uint32Array,
  x1: Uint32Array,
  out0: Uint32Array,
  out1: Uint32Array,
): void {
  const ks0 = k0 | 0;
  const ks1 = k1 | 0;
  const ks2 = ks0 ^ ks1 ^ KS_PARITY;
  const n = x0.length;
  for (let i = 0; i < n; i++) {
    let a = (x0[i]! + ks0) | 0;
    let b = (x1[i]! + ks1) | 0;
    a = (a + b) | 0; b = ((b << 13) | (b >>> 19)) ^ a;
    a = (a + b) | 0; b = ((b << 15) | (b >>> 17)) ^ a;
    a = (a + b) | 0; b = ((b << 26) | (b >>> 6)) ^ a;
    a = (a + b) | 0; b = ((b << 6) | (b >>> 26)) ^ a;
    a = (a + ks1) | 0; b = (b + ks2 + 1) | 0;
    a = (a + b) | 0; b = ((b << 17) | (b >>> 15)) ^ a;
    a = (a + b) | 0; b = ((b << 29) | (b >>> 3)) ^ a;
    a = (a + b) | 0; b = ((b << 16) | (b >>> 16)) ^ a;
    a = (a + b) | 0; b = ((b << 24) | (b >>> 8)) ^ a;
    a = (a + ks2) | 0; b = (b + ks0 + 2) | 0;
    a = (a + b) | 0; b = ((b << 13) | (b >>> 19)) ^ a;
    a = (a + b) | 0; b = ((b << 15) | (b >>> 17)) ^ a;
    a = (a + b) | 0; b = ((b << 26) | (b >>> 6)) ^ a;
    a = (a + b) | 0; b = ((b << 6) | (b >>> 26)) ^ a;
    a = (a + ks0) | 0; b = (b + ks1 + 3) | 0;
    a = (a + b) | 0; b = ((b << 17) | (b >>> 15)) ^ a;
    a = (a + b) | 0; b = ((b << 29) | (b >>> 3)) ^ a;
    a = (a + b) | 0; b = ((b << 16) | (b >>> 16)) ^ a;
    a = (a + b) | 0; b = ((b << 24) | (b >>> 8)) ^ a;
    a = (a + ks1) | 0; b = (b + ks2 + 4) | 0;
    a = (a + b) | 0; b = ((b << 13) | (b >>> 19)) ^ a;
    a = (a + b) | 0; b = ((b << 15) | (b >>> 17)) ^ a;
    a = (a + b) | 0; b = ((b << 26) | (b >>> 6)) ^ a;
    a = (a + b) | 0; b = ((b << 6) | (b >>> 26)) ^ a;
    a = (a + ks2) | 0; b = (b + ks0 + 5) | 0;
    out0[i] = a;
    out1[i] = b;
  }
}

/**
 * Hashes one counter pair; returns `[y0, y1]`.
 *
 * @example
 * ```ts
 * threefryPair(0x13198a2e, 0x03707344, 0x243f6a88, 0x85a308d3); // [0xC4923A9C, 0x483DF7A0]
 * ```
 */
export function threefryPair(k0: number, k1: number, x0: number, x1: number): [number, number] {
  const a = new Uint32Array([x0]);
  const b = new Uint32Array([x1]);
  threefry2x32(k0, k1, a, b, a, b);
  return [a[0]!, b[0]!];
}

/**
 * JAX's array form `threefry_2x32(key, count)` used by the legacy (non-partitionable) mode: pads odd lengths with one
 * zero, pairs word j with word j + n/2, and returns the concatenated outputs truncated to the input length.
 *
 * @example
 * ```ts
 * threefryWords(0, 0, Uint32Array.of(0, 4)); // fold_in(key(0), 4)
 * ```
 */
export function threefryWords(k0: number, k1: number, count: Uint32Array): Uint32Array {
  const n = count.length;
  const half = Math.ceil(n / 2);
  const x0 = count.slice(0, half);
  const x1 = new Uint32Array(half);
  x1.set(count.subarray(half));
  threefry2x32(k0, k1, x0, x1, x0, x1);
  const out = new Uint32Array(2 * half);
  out.set(x0, 0);
  out.set(x1, half);
  return out.subarray(0, n);
}
