/**
 * Thrown when a TensorFlow.js backend cannot be set up: an unknown name, a missing package, or (for `webgpu`) no adapter.
 * The message says what is missing and how to install it.
 *
 * @example
 * ```ts
 * import { BackendError, setBackend } from '@nnx-ts/backend';
 * try {
 *   await setBackend('webgpu');
 * } catch (error) {
 *   if (error instanceof BackendError) console.error(error.message);
 * }
 * ```
 * @public
 */
export class BackendError extends Error {
  /** Stable error name, `'BackendError'`. */
  override readonly name = 'BackendError';
  /** The backend that failed to start. */
  readonly backend: string;

  constructor(backend: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.backend = backend;
  }

  /** Recognises a `BackendError` from any installed copy of this package (matched by its stable `name`). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as { name?: unknown }).name === 'BackendError' && value instanceof Error;
  }
}
