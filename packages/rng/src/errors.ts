import { NnxError } from '@nnx-ts/module';

/**
 * A seed or key argument is invalid (non-integer or out-of-range seed, wrong key shape or dtype, a stacked key where one
 * key is expected).
 *
 * @example
 * ```ts
 * try { key(1.5); } catch (e) { if (e instanceof KeyError) console.log(e.message); }
 * ```
 */
export class KeyError extends NnxError {
  override readonly name: string = 'KeyError';
}

/**
 * An RNG stream was asked for that does not exist and there is no `default` stream to fall back to.
 *
 * @example
 * ```ts
 * try { new Rngs({ params: 0 }).stream('dropout'); } catch (e) { console.log((e as Error).name); } // 'RngStreamError'
 * ```
 */
export class RngStreamError extends NnxError {
  override readonly name: string = 'RngStreamError';
}
