import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig } from '@tensorflow/tfjs-core';
import { elementwiseGradients } from './elementwiseGradients.js';
import { matMulGradient } from './matMulGradient.js';
import { reductionGradients } from './reductionGradients.js';
import { shapeGradients } from './shapeGradients.js';

/** Every gradient nnx-ts provides, one per TF.js kernel name. */
const GRADIENTS: readonly GradConfig[] = [...elementwiseGradients, ...reductionGradients, ...shapeGradients, matMulGradient];

/**
 * The TF.js kernel names nnx-ts registers a gradient for (when none is registered already).
 *
 * @example
 * ```ts
 * import { gradientKernelNames } from '@nnx-ts/backend';
 * gradientKernelNames().includes('BatchMatMul'); // true
 * ```
 * @public
 */
export function gradientKernelNames(): string[] {
  return GRADIENTS.map((config) => config.kernelName);
}

/**
 * Registers, with TF.js' public `tf.registerGradient`, a gradient for every kernel nnx-ts models use (matMul,
 * broadcasting arithmetic, activations, reductions, softmax, reshapes, concat/stack/gather, ...). Why: tfjs-core
 * alone registers none, and its `register_all_gradients` entry point fails to load in plain Node ESM.
 * A kernel that already has a gradient (from TF.js' own registration or an earlier call) is left as it is, so the
 * call is idempotent. Returns the kernel names registered by this call.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import '@tensorflow/tfjs-backend-cpu';
 * import { registerGradients } from '@nnx-ts/backend';
 * registerGradients();
 * const dx = tf.grad((x: tf.Tensor) => tf.sum(tf.square(x)))(tf.tensor([1, 2])); // [2, 4]
 * ```
 * @public
 */
export function registerGradients(): string[] {
  const registered: string[] = [];
  for (const config of GRADIENTS) {
    if (tf.getGradient(config.kernelName) !== undefined) continue;
    tf.registerGradient(config);
    registered.push(config.kernelName);
  }
  return registered;
}

/**
 * Makes sure every gradient nnx-ts needs is registered; cheap after the first call. `setBackend` and the transforms
 * (`grad`, `valueAndGrad`, ...) call it, so users rarely need to.
 *
 * @example
 * ```ts
 * import { ensureGradients } from '@nnx-ts/backend';
 * ensureGradients();
 * ```
 * @public
 */
export function ensureGradients(): void {
  registerGradients();
}
