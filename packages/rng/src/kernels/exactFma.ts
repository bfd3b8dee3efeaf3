// JAX's uniform computes fma(f, scale, lo) with one rounding (XLA:CPU fuses it). WGSL's `fma` may be computed unfused
// (its accuracy is "inherited from x * y + z", and SwiftShader does round twice), so the shader computes the fused
// result exactly in integer arithmetic instead: f = m * 2^-23 with m < 2^23, so f * scale + lo is a sum of two
// integers times powers of two, added in a 64-bit (two-u32) frame and rounded to nearest-even once.

/** Integer decomposition of `(lo, scale)` for the shader, or `undefined` when outside the range it handles exactly. */
export interface FmaParams {
  /** 24-bit significand of `scale`. */
  scaleSig: number;
  /** Exponent of the least significant bit of `m * scaleSig` (i.e. of `scale`'s LSB minus 23). */
  prodExp: number;
  /** 24-bit significand of `|lo|` (0 when `lo` is zero). */
  loSig: number;
  /** Exponent of the least significant bit of `lo`. */
  loExp: number;
  /** 1 when `lo` is negative. */
  loNeg: number;
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

function parts(x: number): { sig: number; exp: number; neg: number; biased: number } {
  F32[0] = x;
  const bits = U32[0]!;
  const biased = (bits >>> 23) & 0xff;
  return { sig: (bits & 0x7fffff) | 0x800000, exp: biased - 150, neg: bits >>> 31, biased };
}

/**
 * Decomposes float32 `lo` and `scale` for the exact-FMA shader. Handles every `scale >= 2^-80` and `lo` zero or with
 * `|lo| >= 2^-103` (so all results are normal floats) and `|lo| + scale < 2^127`; otherwise returns `undefined`
 * and the caller computes on the host.
 */
export function fmaParams(lo: number, scale: number): FmaParams | undefined {
  if (!Number.isFinite(lo) || !Number.isFinite(scale) || !(scale > 0) || Math.abs(lo) + scale >= 2 ** 127) return undefined;
  const s = parts(scale);
  const prodExp = s.exp - 23;
  if (prodExp < -126) return undefined;
  if (lo === 0) return { scaleSig: s.sig, prodExp, loSig: 0, loExp: 0, loNeg: 0 };
  const l = parts(lo);
  if (l.exp < -126) return undefined;
  return { scaleSig: s.sig, prodExp, loSig: l.sig, loExp: l.exp, loNeg: l.neg };
}

/**
 * WGSL for `fmaUniform(m)`: the correctly rounded float32 `m * 2^-23 * scale + lo` from the `FmaParams` uniforms
 * (`uniforms.scaleSig`, `prodExp`, `loSig`, `loExp`, `loNeg`). 64-bit integers are `vec2<u32>(low, high)`.
 */
export const EXACT_FMA_WGSL = `
  fn add64(a : vec2<u32>, b : vec2<u32>) -> vec2<u32> {
    let low = a.x + b.x;
    return vec2<u32>(low, a.y + b.y + select(0u, 1u, low < a.x));
  }

  fn sub64(a : vec2<u32>, b : vec2<u32>) -> vec2<u32> {
    return vec2<u32>(a.x - b.x, a.y - b.y - select(0u, 1u, a.x < b.x));
  }

  fn less64(a : vec2<u32>, b : vec2<u32>) -> bool {
    return a.y < b.y || (a.y == b.y && a.x < b.x);
  }

  fn isZero64(a : vec2<u32>) -> bool {
    return a.x == 0u && a.y == 0u;
  }

  // Position of the highest set bit, -1 for zero.
  fn msb64(a : vec2<u32>) -> i32 {
    if (a.y != 0u) { return 63 - i32(countLeadingZeros(a.y)); }
    return 31 - i32(countLeadingZeros(a.x));
  }

  fn shl64(a : vec2<u32>, s : u32) -> vec2<u32> {
    if (s == 0u) { return a; }
    if (s >= 64u) { return vec2<u32>(0u, 0u); }
    if (s >= 32u) { return vec2<u32>(0u, a.x << (s - 32u)); }
    return vec2<u32>(a.x << s, (a.y << s) | (a.x >> (32u - s)));
  }

  fn shr64(a : vec2<u32>, s : u32) -> vec2<u32> {
    if (s == 0u) { return a; }
    if (s >= 64u) { return vec2<u32>(0u, 0u); }
    if (s >= 32u) { return vec2<u32>(a.y >> (s - 32u), 0u); }
    return vec2<u32>((a.x >> s) | (a.y << (32u - s)), a.y >> s);
  }

  // m * scaleSig exactly: m < 2^23, scaleSig < 2^24, product < 2^47 (16-bit limbs keep every partial product < 2^32).
  fn mulSig(m : u32, sig : u32) -> vec2<u32> {
    let a0 = m & 0xffffu;
    let a1 = m >> 16u;
    let b0 = sig & 0xffffu;
    let b1 = sig >> 16u;
    let mid = a1 * b0 + a0 * b1;
    return add64(vec2<u32>(a0 * b0, a1 * b1), vec2<u32>(mid << 16u, mid >> 16u));
  }

  // Term with its lowest bit worth 2^exp, placed in a frame whose lowest bit is worth 2^frame. Bits shifted out
  // below the frame are reported in .z (sticky).
  fn toFrame(mag : vec2<u32>, exp : i32, frame : i32) -> vec3<u32> {
    let s = exp - frame;
    if (s >= 0) { return vec3<u32>(shl64(mag, u32(s)), 0u); }
    let r = u32(-s);
    let kept = shr64(mag, r);
    let lost = !isZero64(sub64(mag, shl64(kept, r)));
    return vec3<u32>(kept, select(0u, 1u, lost));
  }

  fn fmaUniform(m : u32) -> f32 {
    let prod = mulSig(m, u32(uniforms.scaleSig));
    let loMag = vec2<u32>(u32(uniforms.loSig), 0u);
    let prodTop = uniforms.prodExp + msb64(prod);
    var loTop = uniforms.loExp + 23;
    if (uniforms.loSig == 0) { loTop = -100000; }
    // The larger term's top bit lands on bit 61: it shifts left exactly, the smaller one may lose bits (sticky).
    let frame = max(prodTop, loTop) - 61;
    let p = toFrame(prod, uniforms.prodExp, frame);
    let l = toFrame(loMag, uniforms.loExp, frame);
    var mag : vec2<u32>;
    var sticky = (p.z | l.z) != 0u;
    var negative = false;
    if (uniforms.loNeg == 0) {
      mag = add64(p.xy, l.xy);
    } else if (less64(l.xy, p.xy) || (!less64(p.xy, l.xy) && l.z == 0u)) {
      // prod >= |lo|; a lost fraction of lo makes the exact difference one unit smaller plus a fraction.
      mag = sub64(p.xy, l.xy);
      if (l.z != 0u) { mag = sub64(mag, vec2<u32>(1u, 0u)); }
    } else {
      negative = true;
      mag = sub64(l.xy, p.xy);
      if (p.z != 0u) { mag = sub64(mag, vec2<u32>(1u, 0u)); }
    }
    if (isZero64(mag) && !sticky) { return 0.0; }
    let top = msb64(mag);
    var sig : u32;
    if (top <= 23) {
      sig = shl64(mag, u32(23 - top)).x;
    } else {
      let shift = u32(top - 23);
      let kept = shr64(mag, shift);
      let rem = sub64(mag, shl64(kept, shift));
      let half = shl64(vec2<u32>(1u, 0u), shift - 1u);
      sig = kept.x;
      if (less64(half, rem) || (!less64(rem, half) && (sticky || (sig & 1u) == 1u))) { sig = sig + 1u; }
    }
    var biased = u32(frame + top + 127);
    if (sig == 0x1000000u) {
      sig = 0x800000u;
      biased = biased + 1u;
    }
    return bitcast<f32>(select(0u, 0x80000000u, negative) | (biased << 23u) | (sig & 0x7fffffu));
  }
`;
