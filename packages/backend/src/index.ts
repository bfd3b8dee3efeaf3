/**
 * Backend setup for nnx-ts: `setBackend('cpu' | 'wasm' | 'webgpu')` and the gradient registration nnx-ts needs.
 *
 * @example
 * ```ts
 * import { setBackend } from '@nnx-ts/backend';
 * await setBackend('cpu');
 * ```
 * @packageDocumentation
 */
export { BackendError } from './errors.js';
export { ensureGradients, gradientKernelNames, registerGradients } from './gradients/registerGradients.js';
export { SWIFTSHADER_ICD } from './nodeWebgpu.js';
export { setBackend } from './setBackend.js';
export type { BackendName } from './setBackend.js';
