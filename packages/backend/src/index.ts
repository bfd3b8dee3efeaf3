export { BackendError } from './errors.js';
export { ensureGradients, gradientKernelNames, registerGradients } from './gradients/registerGradients.js';
export { SWIFTSHADER_ICD } from './nodeWebgpu.js';
export { setBackend } from './setBackend.js';
export type { BackendName } from './setBackend.js';
