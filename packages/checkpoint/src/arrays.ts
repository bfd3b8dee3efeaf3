import { HOST_ARRAY, type HostArray } from '@nnx-ts/module';
import * as tf from '@tensorflow/tfjs-core';
import { CheckpointFormatError } from './errors.js';
import type { SafetensorsDtype, SafetensorsEntry } from './safetensors.js';

/** TF.js dtypes a checkpoint stores as tensors, with their safetensors names. */
const TENSOR_DTYPES: Readonly<Record<string, SafetensorsDtype>> = { float32: 'F32', int32: 'I32', bool: 'BOOL' };

/**
 * A host array restored from a checkpoint: uint32 words plus the logical shape and dtype recorded at save time
 * (for a key array, `data` has `shape + [2]` words).
 *
 * @example
 * ```ts
 * const counts = new StoredHostArray([2], 'uint32', new Uint32Array([0, 1]));
 * isHostArray(counts); // true
 * ```
 */
export class StoredHostArray implements HostArray {
  declare readonly [HOST_ARRAY]: true;
  constructor(
    readonly shape: readonly number[],
    readonly dtype: string,
    readonly data: Uint32Array,
  ) {}
  clone(): StoredHostArray {
    return new StoredHostArray(this.shape, this.dtype, this.data.slice());
  }
}
Object.defineProperty(StoredHostArray.prototype, HOST_ARRAY, { value: true });

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/**
 * Reads a tensor's values asynchronously (never `dataSync`) as a safetensors entry.
 *
 * @throws TypeError for dtypes a checkpoint cannot hold (`complex64`, `string`).
 * @example
 * ```ts
 * const entry = await tensorToEntry(tf.tensor1d([1, 2])); // { dtype: 'F32', shape: [2], data: 8 bytes }
 * ```
 */
export async function tensorToEntry(t: tf.Tensor, where = 'tensor'): Promise<SafetensorsEntry> {
  const dtype = TENSOR_DTYPES[t.dtype];
  if (dtype === undefined) throw new TypeError(`${where}: cannot checkpoint a ${t.dtype} tensor (supported: float32, int32, bool).`);
  const values = (await t.data()) as Float32Array | Int32Array | Uint8Array;
  return { dtype, shape: t.shape, data: bytesOf(values) };
}

/**
 * A host array's words as a U32 safetensors entry; key arrays get their trailing word axis in the stored shape.
 *
 * @example
 * ```ts
 * hostArrayToEntry(new StoredHostArray([], 'key<fry>', new Uint32Array([0, 42]))).shape; // [2]
 * ```
 */
export function hostArrayToEntry(h: HostArray): SafetensorsEntry {
  const n = h.shape.reduce((a, b) => a * b, 1);
  const shape = h.data.length === n ? [...h.shape] : [...h.shape, n === 0 ? 0 : h.data.length / n];
  return { dtype: 'U32', shape, data: bytesOf(h.data) };
}

/** Copies an entry's bytes into an aligned buffer of `Ctor` (little-endian hosts, which is every JS platform in use). */
function copyAs<T>(entry: SafetensorsEntry, Ctor: new (buffer: ArrayBuffer) => T): T {
  return new Ctor(entry.data.slice().buffer);
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/**
 * Converts a safetensors entry to values TF.js can hold: F32/F16/BF16/F64 → float32, I32 and smaller integers →
 * int32, I64 → int32 when every value fits, BOOL → bool, U32 → uint32 words (host arrays).
 *
 * @throws {@link CheckpointFormatError} for values that cannot be converted without loss of range (I64/U64 out of
 * int32 range).
 * @example
 * ```ts
 * const { values, dtype } = entryToValues(tensors.get('linear.kernel')!, 'model.safetensors', 'linear.kernel');
 * ```
 */
export function entryToValues(
  entry: SafetensorsEntry,
  file: string,
  name: string,
): { values: Float32Array | Int32Array | Uint8Array | Uint32Array; dtype: 'float32' | 'int32' | 'bool' | 'uint32' } {
  switch (entry.dtype) {
    case 'F32':
      return { values: copyAs(entry, Float32Array), dtype: 'float32' };
    case 'F64':
      return { values: Float32Array.from(copyAs(entry, Float64Array)), dtype: 'float32' };
    case 'F16':
      return { values: Float32Array.from(copyAs(entry, Uint16Array), halfToFloat), dtype: 'float32' };
    case 'BF16': {
      const words = Uint32Array.from(copyAs(entry, Uint16Array), (b) => b << 16);
      return { values: new Float32Array(words.buffer), dtype: 'float32' };
    }
    case 'I32':
      return { values: copyAs(entry, Int32Array), dtype: 'int32' };
    case 'I16':
      return { values: Int32Array.from(copyAs(entry, Int16Array)), dtype: 'int32' };
    case 'U16':
      return { values: Int32Array.from(copyAs(entry, Uint16Array)), dtype: 'int32' };
    case 'I8':
      return { values: Int32Array.from(copyAs(entry, Int8Array)), dtype: 'int32' };
    case 'U8':
      return { values: Int32Array.from(entry.data), dtype: 'int32' };
    case 'BOOL':
      return { values: entry.data.slice(), dtype: 'bool' };
    case 'U32':
      return { values: copyAs(entry, Uint32Array), dtype: 'uint32' };
    case 'I64':
    case 'U64': {
      const wide = entry.dtype === 'I64' ? copyAs(entry, BigInt64Array) : copyAs(entry, BigUint64Array);
      const out = new Int32Array(wide.length);
      for (let i = 0; i < wide.length; i++) {
        const v = wide[i]!;
        if (v < -2147483648n || v > 2147483647n) {
          throw new CheckpointFormatError(file, `tensor '${name}' (${entry.dtype}) holds ${v}, outside the int32 range TF.js supports`);
        }
        out[i] = Number(v);
      }
      return { values: out, dtype: 'int32' };
    }
  }
}
