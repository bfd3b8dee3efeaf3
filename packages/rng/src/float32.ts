// Float32 arithmetic as XLA:CPU evaluates JAX's samplers: FMA fusion, Giles' erf_inv, XLA's log1p, Eigen's erf.
// Each helper rounds to float32 exactly where XLA does, so results match JAX bit for bit (or within 1 ulp where
// XLA's own log differs from a correctly rounded one).

const fr = Math.fround;

/**
 * Single-rounding float32 fused multiply-add. The float64 product of two float32 values is exact; the float64 sum is
 * rounded once more, which can land exactly halfway between two float32s (double rounding). Then the sum's exact
 * error (TwoSum) says which way the true value lies.
 */
export function fma32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const r = fr(s);
  if (r === s) return r;
  const t = s - p;
  const error = p - (s - t) + (c - t);
  if (error === 0) return r;
  const mirror = 2 * s - r;
  if (fr(mirror) !== mirror) return r;
  return error > 0 ? Math.max(r, mirror) : Math.min(r, mirror);
}

/**
 * XLA's float32 log1p: near 0 a rational approximation (which agrees with a correctly rounded log1p on every value
 * checked), elsewhere `log(1 + x)` with `1 + x` rounded to float32 first.
 */
export function log1p32(x: number): number {
  if (Math.abs(x) < 0.41421356237309503) return fr(Math.log1p(x));
  return log32(fr(1 + x));
}

const LOG_P = [
  7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
  2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
].map(fr);
const LOG_Q1 = fr(-2.1219444e-4);
const LOG_Q2 = fr(0.693359375);
const SQRT_HALF = fr(Math.SQRT1_2);
const LOG_F32 = new Float32Array(1);
const LOG_U32 = new Uint32Array(LOG_F32.buffer);

/**
 * XLA:CPU's float32 `log` (not correctly rounded: it differs from it by 1 ulp on ~14 % of inputs): Cephes' polynomial
 * for log(1 + x) on the mantissa in [sqrt(1/2), sqrt(2)), evaluated in Estrin form with fused multiply-adds, the
 * exponent's low part fused into the last multiply. Matches `jax.jit(jnp.log)` on every float32 tested (1.2M values
 * from 1e-35 to 1e35).
 */
export function log32(value: number): number {
  const v = fr(value);
  if (!(v > 0) || v === Infinity) return Math.log(v);
  LOG_F32[0] = v;
  const biased = (LOG_U32[0]! >>> 23) & 0xff;
  if (biased === 0) return fr(Math.log(v)); // subnormal: no sampler produces one
  let e = biased - 126;
  LOG_U32[0] = (LOG_U32[0]! & 0x007fffff) | 0x3f000000;
  const m = LOG_F32[0]!; // mantissa in [0.5, 1)
  let x = fr(m - 1);
  if (m < SQRT_HALF) {
    x = fr(x + m);
    e -= 1;
  }
  const x2 = fr(x * x);
  const x3 = fr(x2 * x);
  const [p0, p1, p2, p3, p4, p5, p6, p7, p8] = LOG_P as [number, number, number, number, number, number, number, number, number];
  let y = fma32(p0, x, p1);
  let y1 = fma32(p3, x, p4);
  let y2 = fma32(p6, x, p7);
  y = fma32(y, x, p2);
  y1 = fma32(y1, x, p5);
  y2 = fma32(y2, x, p8);
  y = fma32(y, x3, y1);
  y = fma32(y, x3, y2);
  y = fma32(y, x3, fr(e * LOG_Q1));
  x = fma32(x2, -0.5, x);
  x = fr(x + y);
  return fma32(e, LOG_Q2, x);
}

const ERFINV_SMALL = [
  2.81022636e-8, 3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164,
  0.246640727, 1.50140941,
].map(fr);
const ERFINV_LARGE = [
  -0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047,
  1.00167406, 2.83297682,
].map(fr);

/** Float32 inverse error function (Giles' polynomials, Horner steps fused as on XLA:CPU). */
export function erfInv32(x: number): number {
  if (Math.abs(x) === 1) return x * Infinity;
  let w = fr(-log1p32(fr(x * -x)));
  let c: number[];
  if (w < 5) {
    w = fr(w - 2.5);
    c = ERFINV_SMALL;
  } else {
    w = fr(fr(Math.sqrt(w)) - 3);
    c = ERFINV_LARGE;
  }
  let p = c[0]!;
  for (let i = 1; i < c.length; i++) p = fma32(p, w, c[i]!);
  return fr(p * x);
}

const ERF_ALPHA = [
  -2.72614225801306e-10, 2.77068142495902e-8, -2.10102402082508e-6, -5.69250639462346e-5, -7.34990630326855e-4,
  -2.95459980854025e-3, -1.60960333262415e-2,
].map(fr);
const ERF_BETA = [-1.45660718464996e-5, -2.13374055278905e-4, -1.68282697438203e-3, -7.37332916720468e-3, -1.42647390514189e-2].map(fr);

/** Float32 erf (Eigen's rational approximation, as StableHLO decomposes `chlo.erf`). */
export function erf32(x: number): number {
  const xc = Math.min(4, Math.max(-4, fr(x)));
  const x2 = fr(xc * xc);
  let a = ERF_ALPHA[0]!;
  for (let i = 1; i < ERF_ALPHA.length; i++) a = fma32(a, x2, ERF_ALPHA[i]!);
  let b = ERF_BETA[0]!;
  for (let i = 1; i < ERF_BETA.length; i++) b = fma32(b, x2, ERF_BETA[i]!);
  return Math.min(1, Math.max(-1, fr(fr(xc * a) / b)));
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** The next float32 after `x` in the direction of `toward`. */
export function nextAfter32(x: number, toward: number): number {
  const v = fr(x);
  if (Number.isNaN(v) || Number.isNaN(toward)) return NaN;
  if (v === toward) return v;
  if (v === 0) return toward > 0 ? 1.401298464324817e-45 : -1.401298464324817e-45;
  F32[0] = v;
  if (v < toward === v > 0) U32[0] = U32[0]! + 1;
  else U32[0] = U32[0]! - 1;
  return F32[0]!;
}
