import { registerRandomKernels } from '@nnx-ts/rng';
import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from './errors.js';
import { ensureGradients } from './gradients/registerGradients.js';
import { importNodeOnly } from './nodeImport.js';
import { provideNodeWebgpu, requireAdapter } from './nodeWebgpu.js';

/**
 * The TensorFlow.js backends nnx-ts supports.
 * @public
 */
export type BackendName = 'cpu' | 'wasm' | 'webgpu';

const BACKENDS: readonly BackendName[] = ['cpu', 'wasm', 'webgpu'];

/** In Node, the wasm binaries are read from the installed package's `dist/` directory. */
async function configureWasm(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (typeof process === 'undefined' || typeof process.versions?.node !== 'string') return;
  const { createRequire } = await importNodeOnly<typeof import('node:module')>('node:module');
  const { dirname } = await importNodeOnly<typeof import('node:path')>('node:path');
  const entry = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(`${dirname(entry)}/`);
}

async function load(name: BackendName): Promise<void> {
  try {
    if (name === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
    else if (name === 'wasm') await configureWasm();
    else {
      await provideNodeWebgpu();
      await requireAdapter();
      await import('@tensorflow/tfjs-backend-webgpu');
    }
  } catch (cause) {
    if (cause instanceof BackendError) throw cause;
    throw new BackendError(name, `Cannot load the TensorFlow.js ${name} backend (@tensorflow/tfjs-backend-${name}@4.22.0).`, { cause });
  }
}

/**
 * Chooses the TensorFlow.js backend for everything that follows and registers every gradient nnx-ts needs, plus
 * the threefry random kernels of `@nnx-ts/rng`.
 * `cpu` is pure JavaScript; `wasm` is ~20-40x faster on large matrix products; `webgpu` uses the browser's
 * `navigator.gpu`, or in Node the `webgpu` package (Dawn), falling back to SwiftShader from Debian's chromium when
 * the machine has no GPU. Resolves once the backend is ready; rejects with a {@link BackendError} saying what is missing.
 *
 * @example
 * ```ts
 * import { setBackend } from '@nnx-ts/backend';
 * await setBackend('wasm');
 * ```
 * @public
 */
export async function setBackend(name: BackendName): Promise<void> {
  if (!BACKENDS.includes(name)) {
    throw new BackendError(String(name), `Unknown backend '${String(name)}'; expected one of ${BACKENDS.join(', ')}.`);
  }
  await load(name);
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch (cause) {
    throw new BackendError(name, `TensorFlow.js failed to initialise the ${name} backend.`, { cause });
  }
  if (!ok || tf.getBackend() !== name) {
    throw new BackendError(name, `TensorFlow.js failed to initialise the ${name} backend.`);
  }
  ensureGradients();
  registerRandomKernels();
}
