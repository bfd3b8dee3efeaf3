import { NnxError } from '@nnx-ts/module';

/**
 * A checkpoint file is truncated, corrupt or not in the expected format. The message names the file and what was
 * expected.
 *
 * @example
 * ```ts
 * try { decodeSafetensors(bytes, 'model.safetensors'); } catch (e) { if (e instanceof CheckpointFormatError) console.log(e.file); }
 * ```
 */
export class CheckpointFormatError extends NnxError {
  override name = 'CheckpointFormatError';
  /** The file (or source name) that failed to decode. */
  readonly file: string;
  constructor(file: string, message: string, options?: ErrorOptions) {
    super(`${file}: ${message}`, options);
    this.file = file;
  }
}

/**
 * No committed checkpoint exists at the given directory.
 *
 * @example
 * ```ts
 * await expect(ckpt.restore('/missing')).rejects.toThrow(CheckpointNotFoundError);
 * ```
 */
export class CheckpointNotFoundError extends NnxError {
  override name = 'CheckpointNotFoundError';
}

/**
 * `save` was asked to write to a directory that already exists, without `force`.
 *
 * @example
 * ```ts
 * await ckpt.save(dir, state, { force: true }); // overwrite instead of throwing CheckpointExistsError
 * ```
 */
export class CheckpointExistsError extends NnxError {
  override name = 'CheckpointExistsError';
}

/**
 * A checkpoint does not match the restore target: a path is missing or extra, or a shape/dtype differs. The
 * message names the path, the expected and the actual value.
 *
 * @example
 * ```ts
 * try { await ckpt.restore(dir, abstractState); } catch (e) { if (e instanceof CheckpointMismatchError) console.log(e.message); }
 * ```
 */
export class CheckpointMismatchError extends NnxError {
  override name = 'CheckpointMismatchError';
}
