// Benchmark: a 1M-element bernoulli mask on the webgpu backend, drawn by the NnxThreefryBernoulli kernel (WGSL on
// the device) vs generated in JS (threefry on the host) and uploaded. Both paths then reduce the mask on the device
// and read back one number, so each timing covers generation plus getting the mask onto the GPU.
// Run after building the package: `node bench/bernoulli.mjs` (uses Dawn; without a GPU set
// VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json — SwiftShader timings prove correctness only).
import console from 'node:console';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
globalThis.navigator = { gpu: create([]) };

const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-backend-cpu');
const wasm = await import('@tensorflow/tfjs-backend-wasm');
await import('@tensorflow/tfjs-backend-webgpu');
const { key, foldIn, bernoulli } = await import('../dist/random.js');
const { bernoulliOnDevice, registerRandomKernels } = await import('../dist/kernels/randomKernels.js');

const require = createRequire(import.meta.url);
wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`);
registerRandomKernels();

const SHAPE = [1024, 1024];
const P = 0.9;
const REPS = Number(process.env.REPS ?? 10);

/** Median milliseconds of `REPS` runs of `step(i)` after one warm-up; returns the mask sums too, to compare. */
async function time(step) {
  const sums = [];
  const ms = [];
  for (let i = 0; i <= REPS; i++) {
    const t0 = performance.now();
    const mask = step(i);
    const sum = tf.sum(tf.cast(mask, 'int32'));
    const [value] = await sum.data();
    const elapsed = performance.now() - t0;
    tf.dispose([mask, sum]);
    if (i > 0) ms.push(elapsed);
    sums.push(value);
  }
  ms.sort((a, b) => a - b);
  return { median: ms[Math.floor(ms.length / 2)], sums };
}

const results = {};
for (const backendName of ['webgpu', 'wasm', 'cpu']) {
  if (!(await tf.setBackend(backendName))) throw new Error(`backend ${backendName} did not initialise`);
  const kernel = await time((i) => bernoulliOnDevice(foldIn(key(0), i), P, SHAPE));
  const hostUpload = await time((i) => bernoulli(foldIn(key(0), i), P, SHAPE));
  if (kernel.sums.join() !== hostUpload.sums.join()) throw new Error(`${backendName}: kernel and host masks differ`);
  results[backendName] = {
    kernelMs: +kernel.median.toFixed(2),
    jsUploadMs: +hostUpload.median.toFixed(2),
    ratio: +(hostUpload.median / kernel.median).toFixed(2),
  };
}
const info = await globalThis.navigator.gpu.requestAdapter().then((a) => a?.info);
console.log(JSON.stringify({ elements: SHAPE[0] * SHAPE[1], p: P, reps: REPS, adapter: info?.description || info?.vendor, results }, null, 2));
