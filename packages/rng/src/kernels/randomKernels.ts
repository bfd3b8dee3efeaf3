import * as tf from '@tensorflow/tfjs-core';
import { KeyError } from '../errors.js';
import { KeyArray, sizeOf } from '../hostArrays.js';
import { uniformValues, type Shape } from '../random.js';
import { fmaParams } from './exactFma.js';
import { ThreefrySampleProgram } from './threefryProgram.js';

/** Kernel name of device-side `uniform` sampling (attrs `k0`, `k1`, `shape`, `minval`, `maxval`; no inputs). */
export const THREEFRY_UNIFORM = 'NnxThreefryUniform';
/** Kernel name of device-side `bernoulli` sampling (attrs `k0`, `k1`, `shape`, `p`; no inputs). */
export const THREEFRY_BERNOULLI = 'NnxThreefryBernoulli';

/** The backends that get the sampling kernels. */
const KERNEL_BACKENDS = ['cpu', 'wasm', 'webgpu'] as const;
type KernelBackend = (typeof KERNEL_BACKENDS)[number];

interface UniformAttrs {
  k0: number;
  k1: number;
  shape: number[];
  minval: number;
  maxval: number;
}

interface BernoulliAttrs {
  k0: number;
  k1: number;
  shape: number[];
  p: number;
}

type Values = Float32Array | Uint8Array;

// The parts of the backends' classes the kernels use (duck-typed: the backends are not dependencies of this package).
interface CpuBackendLike {
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Values): tf.TensorInfo;
}
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: Values): tf.TensorInfo;
}
interface WebGPUBackendLike {
  runWebGPUProgram(
    program: ThreefrySampleProgram,
    inputs: tf.TensorInfo[],
    outputDtype: tf.DataType,
      uniforms: UniformEntry[],
  ): tf.TensorInfo;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Values): tf.TensorInfo;
}
interface UniformEntry {
  type: 'uint32' | 'int32' | 'float32';
  data: number[];
}

const fr = Math.fround;

function hostUniform(a: UniformAttrs): Float32Array {
  return uniformValues(new KeyArray([], Uint32Array.of(a.k0, a.k1)), a.shape, a.minval, a.maxval);
}

function hostBernoulli(a: BernoulliAttrs): Uint8Array {
  const u = uniformValues(new KeyArray([], Uint32Array.of(a.k0, a.k1)), a.shape, 0, 1);
  const p = fr(a.p);
  const mask = new Uint8Array(u.length);
  for (let i = 0; i < u.length; i++) mask[i] = u[i]! < p ? 1 : 0;
  return mask;
}

/** Writes host-computed values into the backend's own storage (cpu: JS arrays, wasm: the module's heap). */
function hostOutput(backendName: KernelBackend, backend: unknown, shape: number[], dtype: tf.DataType, values: Values): tf.TensorInfo {
  if (backendName === 'wasm') return (backend as WasmBackendLike).makeOutput(shape, dtype, undefined, values);
  return (backend as CpuBackendLike).makeTensorInfo(shape, dtype, values);
}

/** Runs the WGSL program over the flat element count, then gives the result the requested shape. */
function webgpuOutput(backend: WebGPUBackendLike, kind: 'uniform' | 'bernoulli', a: { k0: number; k1: number; shape: number[] }, params: UniformEntry[]): tf.TensorInfo {
  const program = new ThreefrySampleProgram(kind, sizeOf(a.shape));
  const dtype = kind === 'uniform' ? 'float32' : 'bool';
  const flat = backend.runWebGPUProgram(program, [], dtype, [{ type: 'uint32', data: [a.k0, a.k1] }, ...params]);
  return { dataId: flat.dataId, shape: a.shape, dtype };
}

function uniformKernel(backendName: KernelBackend): tf.KernelFunc {
  return ({ backend, attrs }) => {
    const a = attrs as unknown as UniformAttrs;
    if (backendName !== 'webgpu') return hostOutput(backendName, backend, a.shape, 'float32', hostUniform(a));
    const gpu = backend as WebGPUBackendLike;
    const lo = fr(a.minval);
    const p = fmaParams(lo, fr(fr(a.maxval) - lo));
    // Ranges the exact-FMA shader does not cover (empty, non-finite, subnormal results) are computed on the host.
    if (p === undefined) return gpu.makeTensorInfo(a.shape, 'float32', hostUniform(a));
    const ints = [p.scaleSig, p.prodExp, p.loSig, p.loExp, p.loNeg].map((v): UniformEntry => ({ type: 'int32', data: [v] }));
    // `lo + 0` turns -0 into +0: the host's Math.max(-0, +0) is +0, WGSL's max of signed zeros may be either.
    return webgpuOutput(gpu, 'uniform', a, [{ type: 'float32', data: [lo + 0] }, ...ints]);
  };
}

function bernoulliKernel(backendName: KernelBackend): tf.KernelFunc {
  return ({ backend, attrs }) => {
    const a = attrs as unknown as BernoulliAttrs;
    if (backendName !== 'webgpu') return hostOutput(backendName, backend, a.shape, 'bool', hostBernoulli(a));
    return webgpuOutput(backend as WebGPUBackendLike, 'bernoulli', a, [{ type: 'float32', data: [fr(a.p)] }]);
  };
}

/**
 * Registers the `NnxThreefryUniform` and `NnxThreefryBernoulli` kernels for the `cpu`, `wasm` and `webgpu` backends
 * (idempotent). The backends themselves need not be loaded yet: TF.js keeps kernels by backend name.
 *
 * @example
 * ```ts
 * registerRandomKernels();
 * const mask = bernoulliOnDevice(key(0), 0.9, [1024, 1024]); // on webgpu, drawn by a WGSL shader
 * ```
 */
export function registerRandomKernels(): void {
  for (const backendName of KERNEL_BACKENDS) {
    for (const [kernelName, make] of [
      [THREEFRY_UNIFORM, uniformKernel],
      [THREEFRY_BERNOULLI, bernoulliKernel],
    ] as const) {
      if (tf.getKernel(kernelName, backendName) === undefined) {
        tf.registerKernel({ kernelName, backendName, kernelFunc: make(backendName) });
      }
    }
  }
}

function keyWords(k: KeyArray, fn: string): [number, number] {
  if (!(k instanceof KeyArray)) throw new KeyError(`${fn}: expected a KeyArray, got ${String(k)}`);
  return k.words();
}

function hasKernel(kernelName: string): boolean {
  registerRandomKernels();
  return tf.getKernel(kernelName, tf.getBackend()) !== undefined;
}

/**
 * `uniform(key, shape, minval, maxval)` generated by the active backend's kernel: bit-identical to the host
 * `uniformValues` on cpu and wasm, and on webgpu wherever WGSL's `fma` is fused (JAX fuses it; with the default
 * range `[0, 1)` the result is exact either way). Partitionable mode only. Backends without the kernel (e.g. webgl)
 * get the host values uploaded.
 *
 * @example
 * ```ts
 * registerRandomKernels();
 * uniformOnDevice(key(0), [3]); // [0.947667, 0.9785799, 0.33229148], as uniform(key(0), [3])
 * ```
 */
export function uniformOnDevice(k: KeyArray, shape: Shape = [], minval = 0, maxval = 1): tf.Tensor {
  const [k0, k1] = keyWords(k, 'uniformOnDevice');
  sizeOf(shape);
  if (!hasKernel(THREEFRY_UNIFORM)) return tf.tensor(uniformValues(k, shape, minval, maxval), [...shape], 'float32');
  const attrs = { k0, k1, shape: [...shape], minval, maxval };
  return tf.engine().runKernel(THREEFRY_UNIFORM, {}, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/**
 * `bernoulli(key, p, shape)` (`uniform < p`) generated by the active backend's kernel, so a dropout mask on webgpu
 * never leaves the device. Identical masks on every backend. Partitionable mode only.
 *
 * @example
 * ```ts
 * registerRandomKernels();
 * bernoulliOnDevice(key(0), 0.5, [4]); // [false, false, true, true], as bernoulli(key(0), 0.5, [4])
 * ```
 */
export function bernoulliOnDevice(k: KeyArray, p = 0.5, shape: Shape = []): tf.Tensor {
  const [k0, k1] = keyWords(k, 'bernoulliOnDevice');
  sizeOf(shape);
  if (!hasKernel(THREEFRY_BERNOULLI)) {
    return tf.tensor(hostBernoulli({ k0, k1, shape: [...shape], p }), [...shape], 'bool');
  }
  const attrs = { k0, k1, shape: [...shape], p };
  return tf.engine().runKernel(THREEFRY_BERNOULLI, {}, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}
