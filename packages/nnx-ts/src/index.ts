/**
 * Flax NNX for TypeScript: `nnx` (modules, variables, Rngs, transforms, layers), `optax` (optimizers), `ocp`
 * (checkpointing), `tree` (pytrees) and `random` (JAX-style keys), plus `setBackend`.
 *
 * @example
 * ```ts
 * import { nnx, optax, setBackend } from 'nnx-ts';
 * await setBackend('cpu');
 * const model = new nnx.Linear(2, 3, { rngs: new nnx.Rngs(0) });
 * const tx = optax.adam(1e-3);
 * ```
 * @packageDocumentation
 */
export * as nnx from './nnx.js';
export * as optax from './optax.js';
export * as ocp from './ocp.js';
export * as tree from './tree.js';
export * as random from './random.js';
export { setBackend } from '@nnx-ts/backend';
export type { BackendName } from '@nnx-ts/backend';
