// A WebGPU program for TF.js' webgpu backend that draws threefry2x32 samples on the device. It is duck-typed to the
// backend's `WebGPUProgram` interface so that this package does not depend on @tensorflow/tfjs-backend-webgpu.
import { EXACT_FMA_WGSL } from './exactFma.js';

/** What the program writes per element: a float32 uniform sample or a 0/1 bernoulli mask (bool is int32 on WebGPU). */
export type ThreefrySampleKind = 'uniform' | 'bernoulli';

const WORKGROUP_SIZE = 64;

// threefry2x32, 20 rounds, on u32 words (WGSL's u32 arithmetic wraps mod 2^32 as JAX's uint32 does).
const THREEFRY_WGSL = `
  fn rotl32(v : u32, s : u32) -> u32 {
    return (v << s) | (v >> (32u - s));
  }

  fn threefry2x32(k0 : u32, k1 : u32, x0 : u32, x1 : u32) -> vec2<u32> {
    let ks = array<u32, 3>(k0, k1, k0 ^ k1 ^ 0x1bd11bdau);
    let rotA = array<u32, 4>(13u, 15u, 26u, 6u);
    let rotB = array<u32, 4>(17u, 29u, 16u, 24u);
    var a = x0 + k0;
    var b = x1 + k1;
    for (var g = 0u; g < 5u; g++) {
      for (var r = 0u; r < 4u; r++) {
        var s = rotB[r];
        if (g % 2u == 0u) { s = rotA[r]; }
        a = a + b;
        b = rotl32(b, s);
        b = b ^ a;
      }
      a = a + ks[(g + 1u) % 3u];
      b = b + ks[(g + 2u) % 3u] + g + 1u;
    }
    return vec2<u32>(a, b);
  }

  // JAX's partitionable bits for flat element i < 2^31: counter (hi, lo) = (0, i), bits = y0 ^ y1.
  fn randomBits(i : u32) -> u32 {
    let y = threefry2x32(uniforms.key.x, uniforms.key.y, 0u, i);
    return y.x ^ y.y;
  }

  // The top 23 bits of a word as an integer m < 2^23: the uniform float in [0, 1) is exactly m * 2^-23.
  fn unitMantissa(bits : u32) -> u32 {
    return bits >> 9u;
  }
`;

/**
 * Flat-dispatch program computing `uniform` (float32) or `bernoulli` (int32 0/1) samples for `size` elements.
 * Uniforms: the key words as one `vec2<u32>`, then `lo` (f32) and the `FmaParams` (i32, in declaration order) for
 * uniform, or `p` (f32) for bernoulli, one entry
 * each (TF.js aligns every uniform entry by its length, so a 2-word entry matches a `vec2` and single words match scalars).
 *
 * @example
 * ```ts
 * const program = new ThreefrySampleProgram('bernoulli', 1_000_000);
 * backend.runWebGPUProgram(program, [], 'int32', [{ type: 'uint32', data: [k0, k1] }, { type: 'float32', data: [p] }]);
 * ```
 */
export class ThreefrySampleProgram {
  readonly variableNames: string[] = [];
  readonly outputShape: number[];
  shaderKey: string;
  readonly dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [WORKGROUP_SIZE, 1, 1];
  readonly size = true;
  readonly uniforms: string;
  private readonly kind: ThreefrySampleKind;

  constructor(kind: ThreefrySampleKind, size: number) {
    this.kind = kind;
    this.outputShape = [size];
    this.dispatchLayout = { x: [0] };
    this.dispatch = [Math.ceil(size / WORKGROUP_SIZE), 1, 1];
    this.shaderKey = `nnxThreefry_${kind}`;
    this.uniforms = kind === 'uniform' ? 'key : vec2<u32>, lo : f32, scaleSig : i32, prodExp : i32, loSig : i32, loExp : i32, loNeg : i32,' : 'key : vec2<u32>, p : f32,';
  }

  getUserCode(): string {
    // Bernoulli compares the exact float m * 2^-23 with p; uniform needs the single-rounding FMA of JAX.
    const body =
      this.kind === 'uniform'
        ? 'setOutputAtIndex(index, max(uniforms.lo, fmaUniform(m)));'
        : 'setOutputAtIndexI32(index, select(0, 1, f32(m) * 1.1920928955078125e-7 < uniforms.p));';
    return `
      ${THREEFRY_WGSL}
      ${this.kind === 'uniform' ? EXACT_FMA_WGSL : ''}
      fn main(index : i32) {
        if (index < uniforms.size) {
          let m = unitMantissa(randomBits(u32(index)));
          ${body}
        }
      }
    `;
  }
}
