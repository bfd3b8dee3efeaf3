import * as backend from '@nnx-ts/backend';

/** Registers the gradients nnx-ts uses (tfjs-core alone registers none); idempotent, owned by @nnx-ts/backend. */
export function ensureGradients(): void {
  (backend as { ensureGradients?: () => void }).ensureGradients?.();
}
