import { CheckpointFormatError } from './errors.js';

/**
 * safetensors dtype names this package reads and writes (see the safetensors spec). Others are rejected on read
 * with a {@link CheckpointFormatError}.
 *
 * @example
 * ```ts
 * const dtype: SafetensorsDtype = 'F32';
 * ```
 */
export type SafetensorsDtype = 'BOOL' | 'U8' | 'I8' | 'U16' | 'I16' | 'F16' | 'BF16' | 'U32' | 'I32' | 'F32' | 'F64' | 'I64' | 'U64';

/**
 * Bytes per element of each supported dtype.
 *
 * @example
 * ```ts
 * DTYPE_BYTES.BF16; // 2
 * ```
 */
export const DTYPE_BYTES: Readonly<Record<SafetensorsDtype, number>> = {
  BOOL: 1, U8: 1, I8: 1, U16: 2, I16: 2, F16: 2, BF16: 2, U32: 4, I32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
};

/**
 * One tensor of a safetensors file: dtype, shape and raw little-endian, row-major bytes.
 *
 * @example
 * ```ts
 * const entry: SafetensorsEntry = { dtype: 'F32', shape: [2], data: new Uint8Array(new Float32Array([1, 2]).buffer) };
 * ```
 */
export interface SafetensorsEntry {
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}

/**
 * A decoded safetensors file: tensors by name (in file order) and the string-to-string `__metadata__`.
 *
 * @example
 * ```ts
 * const { tensors, metadata } = decodeSafetensors(bytes);
 * ```
 */
export interface SafetensorsFile {
  readonly tensors: Map<string, SafetensorsEntry>;
  readonly metadata: Record<string, string>;
}

/** Declaration order of the reference `Dtype` enum; its writer orders tensors by this, descending, then by name. */
const DTYPE_ORDER: readonly SafetensorsDtype[] = ['BOOL', 'U8', 'I8', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64'];

/** Header cap of the reference implementation (`MAX_HEADER_SIZE`). */
const MAX_HEADER_BYTES = 100_000_000;

function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function isSupportedDtype(x: unknown): x is SafetensorsDtype {
  return typeof x === 'string' && Object.hasOwn(DTYPE_BYTES, x);
}

/**
 * Encodes tensors and metadata as safetensors bytes, following the reference writer: `__metadata__` first, header
 * padded with spaces to a multiple of 8, tensors ordered like the reference writer (descending dtype, which is
 * descending alignment, then name) so every tensor is naturally aligned.
 *
 * @example
 * ```ts
 * const bytes = encodeSafetensors(
 *   { w: { dtype: 'F32', shape: [2], data: new Uint8Array(new Float32Array([1, 2]).buffer) } },
 *   { format: 'nnx-ts/1' },
 * );
 * ```
 */
export function encodeSafetensors(
  tensors: Readonly<Record<string, SafetensorsEntry>> | ReadonlyMap<string, SafetensorsEntry>,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  const entries: Array<[string, SafetensorsEntry]> =
    tensors instanceof Map ? [...(tensors as ReadonlyMap<string, SafetensorsEntry>).entries()] : Object.entries(tensors);
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new TypeError("A tensor cannot be named '__metadata__'.");
    const expected = numel(t.shape) * DTYPE_BYTES[t.dtype];
    if (t.data.byteLength !== expected) {
      throw new TypeError(`Tensor '${name}' (${t.dtype}[${t.shape.join(', ')}]) needs ${expected} bytes, got ${t.data.byteLength}.`);
    }
  }
  entries.sort(([na, a], [nb, b]) => DTYPE_ORDER.indexOf(b.dtype) - DTYPE_ORDER.indexOf(a.dtype) || (na < nb ? -1 : na > nb ? 1 : 0));
  // Null prototype: a tensor named "__proto__" must become an own key.
  const header = Object.create(null) as Record<string, unknown>;
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of entries) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.byteLength / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + headerLength);
  let at = 8 + headerLength;
  for (const [, t] of entries) {
    out.set(t.data, at);
    at += t.data.byteLength;
  }
  return out;
}

/**
 * Decodes and validates safetensors bytes with the reference reader's rules: header length within the file and
 * under 100 MB, JSON object header, `__metadata__` strings only, known dtypes, `end - begin` equal to the shape's
 * byte size, tensors contiguous from 0 with no holes or overlaps, and data ending exactly at the end of the file.
 * Tensor bytes are views into `bytes` (no copy).
 *
 * @throws {@link CheckpointFormatError} naming `fileName` and what was expected.
 * @example
 * ```ts
 * const { tensors } = decodeSafetensors(await readFile('model.safetensors'), 'model.safetensors');
 * tensors.get('linear.kernel')?.shape; // [3, 4]
 * ```
 */
export function decodeSafetensors(bytes: Uint8Array, fileName = '<safetensors>'): SafetensorsFile {
  const fail = (message: string): never => {
    throw new CheckpointFormatError(fileName, message);
  };
  if (bytes.byteLength < 8) fail(`file is ${bytes.byteLength} bytes, shorter than the 8-byte header length`);
  const headerLength64 = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (headerLength64 > BigInt(MAX_HEADER_BYTES)) fail(`header length ${headerLength64} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const headerLength = Number(headerLength64);
  if (8 + headerLength > bytes.byteLength) {
    fail(`header length ${headerLength} runs past the end of the file (${bytes.byteLength} bytes, so at most ${bytes.byteLength - 8})`);
  }
  const headerBytes = bytes.subarray(8, 8 + headerLength);
  if (headerBytes[0] !== 0x7b) fail("header must be a JSON object starting with '{'");
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (e) {
    throw new CheckpointFormatError(fileName, `header is not valid UTF-8 JSON (${(e as Error).message})`, { cause: e });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return fail('header must be a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = bytes.byteLength - dataStart;
  let metadata: Record<string, string> = {};
  const tensors = new Map<string, SafetensorsEntry>();
  const spans: Array<[begin: number, end: number, name: string]> = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('__metadata__ must be an object of strings');
      const entries = Object.entries(raw as Record<string, unknown>);
      for (const [k, v] of entries) if (typeof v !== 'string') fail(`__metadata__['${k}'] must be a string, got ${typeof v}`);
      // fromEntries defines own keys: a key named "__proto__" stays a key (assignment would set the prototype).
      metadata = Object.fromEntries(entries) as Record<string, string>;
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (typeof info !== 'object' || info === null) fail(`tensor '${name}' must be an object with dtype, shape and data_offsets`);
    const { dtype, shape, data_offsets: offsets } = info!;
    if (!isSupportedDtype(dtype)) {
      fail(`tensor '${name}' has unsupported dtype ${JSON.stringify(dtype)} (expected one of ${Object.keys(DTYPE_BYTES).join(', ')})`);
    }
    const isIndex = (d: unknown): d is number => Number.isSafeInteger(d) && (d as number) >= 0;
    if (!Array.isArray(shape) || !shape.every(isIndex)) fail(`tensor '${name}' shape must be an array of non-negative integers`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex)) {
      fail(`tensor '${name}' data_offsets must be [begin, end] non-negative integers`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) fail(`tensor '${name}' data_offsets [${begin}, ${end}] end before begin`);
    if (end > dataLength) fail(`tensor '${name}' data_offsets [${begin}, ${end}] beyond the ${dataLength}-byte data buffer`);
    const expected = numel(shape as number[]) * DTYPE_BYTES[dtype as SafetensorsDtype];
    if (end - begin !== expected) {
      fail(`tensor '${name}' ${dtype as string}[${(shape as number[]).join(', ')}] needs ${expected} bytes, data_offsets give ${end - begin}`);
    }
    spans.push([begin, end, name]);
    tensors.set(name, { dtype: dtype as SafetensorsDtype, shape: shape as number[], data: bytes.subarray(dataStart + begin, dataStart + end) });
  }
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let covered = 0;
  for (const [begin, end, name] of spans) {
    if (begin !== covered) fail(`tensor '${name}' starts at ${begin}, expected ${covered} (holes and overlaps are not allowed)`);
    covered = end;
  }
  if (covered !== dataLength) fail(`tensor data ends at ${covered} but the data buffer is ${dataLength} bytes (truncated or trailing bytes)`);
  return { tensors, metadata };
}
