import fc from 'fast-check';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CheckpointFormatError, decodeSafetensors, encodeSafetensors, entryToValues, type SafetensorsEntry } from '../src/index.js';
import { FIXTURES } from './helpers.js';

interface Expected {
  dtype: string;
  shape: number[];
  values: number[];
  key_data_shape?: number[];
}

const f32 = (xs: number[]): Uint8Array => new Uint8Array(new Float32Array(xs).buffer);

describe('decodeSafetensors on the Python-made fixture', () => {
  it('reads every tensor of flax_flat.safetensors with the expected values', async () => {
    const bytes = new Uint8Array(await readFile(new URL('flax_flat.safetensors', FIXTURES)));
    const expected = JSON.parse(await readFile(new URL('expected_nnx_state.json', FIXTURES), 'utf8')) as Record<string, Expected>;
    const { tensors, metadata } = decodeSafetensors(bytes, 'flax_flat.safetensors');
    expect(metadata).toEqual({ format: 'flax', 'dropout.rngs.key': 'threefry2x32' });
    expect([...tensors.keys()].sort()).toEqual(Object.keys(expected).map((k) => k.replaceAll('/', '.')).sort());
    for (const [path, want] of Object.entries(expected)) {
      const name = path.replaceAll('/', '.');
      const entry = tensors.get(name)!;
      const { values, dtype } = entryToValues(entry, 'flax_flat.safetensors', name);
      expect([...values], name).toEqual(want.values);
      expect(entry.shape, name).toEqual(want.key_data_shape ?? want.shape);
      const wantDtype = want.dtype.startsWith('key<') ? 'uint32' : want.dtype;
      expect(dtype, name).toBe(wantDtype);
    }
  });

  it('re-encodes the fixture byte-identically (same padding and tensor order as the Rust writer)', async () => {
    const bytes = new Uint8Array(await readFile(new URL('flax_flat.safetensors', FIXTURES)));
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(encodeSafetensors(tensors, metadata)).toEqual(bytes);
  });

  it('rejects the fixture truncated at every byte offset, naming the file', async () => {
    const bytes = new Uint8Array(await readFile(new URL('flax_flat.safetensors', FIXTURES)));
    for (let n = 0; n < bytes.byteLength; n++) {
      expect(() => decodeSafetensors(bytes.subarray(0, n), 'cut.safetensors')).toThrow(CheckpointFormatError);
    }
    expect(() => decodeSafetensors(bytes.subarray(0, 100), 'cut.safetensors')).toThrow(/cut\.safetensors: header length 728 runs past the end/);
    expect(() => decodeSafetensors(bytes.subarray(0, bytes.byteLength - 1), 'cut.safetensors')).toThrow(
      /data_offsets \[172, 176\] beyond the 175-byte data buffer/,
    );
  });
});

function withHeader(header: unknown, data: Uint8Array = new Uint8Array()): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  out.set(data, 8 + json.byteLength);
  return out;
}

describe('decodeSafetensors validation', () => {
  const err = (bytes: Uint8Array): string => {
    try {
      decodeSafetensors(bytes, 'f.safetensors');
    } catch (e) {
      expect(e).toBeInstanceOf(CheckpointFormatError);
      expect((e as CheckpointFormatError).name).toBe('CheckpointFormatError');
      expect((e as CheckpointFormatError).file).toBe('f.safetensors');
      return (e as Error).message;
    }
    throw new Error('expected a CheckpointFormatError');
  };

  it('names what is wrong', () => {
    expect(err(new Uint8Array(4))).toMatch(/shorter than the 8-byte header length/);
    const huge = new Uint8Array(8);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 40n, true);
    expect(err(huge)).toMatch(/exceeds the 100000000-byte limit/);
    expect(err(withHeader('[1]'))).toMatch(/JSON object starting with/);
    expect(err(withHeader('{"a": '))).toMatch(/not valid UTF-8 JSON/);
    expect(err(withHeader({ __metadata__: { a: 1 } }))).toMatch(/__metadata__\['a'\] must be a string/);
    expect(err(withHeader({ w: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)))).toMatch(/unsupported dtype "C64"/);
    expect(err(withHeader({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4)))).toMatch(/needs 8 bytes, data_offsets give 4/);
    expect(err(withHeader({ w: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)))).toMatch(/starts at 4, expected 0/);
    expect(
      err(
        withHeader(
          { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } },
          new Uint8Array(8),
        ),
      ),
    ).toMatch(/holes and overlaps/);
    expect(err(withHeader({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(6)))).toMatch(/trailing bytes/);
    expect(err(withHeader({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)))).toMatch(/non-negative integers/);
  });

  it('accepts zero-size tensors and scalars', () => {
    const bytes = encodeSafetensors({ e: { dtype: 'F32', shape: [0, 3], data: new Uint8Array() }, s: { dtype: 'I32', shape: [], data: new Uint8Array(4) } });
    const { tensors } = decodeSafetensors(bytes);
    expect(tensors.get('e')!.shape).toEqual([0, 3]);
    expect(tensors.get('s')!.data.byteLength).toBe(4);
  });

  it('copies misaligned data into aligned typed arrays', () => {
    // A writer without padding (e.g. MLX): 3-byte header puts the F32 data at file offset 11.
    const bytes = withHeader({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32([1.5, -2]));
    const { tensors } = decodeSafetensors(bytes);
    expect([...entryToValues(tensors.get('w')!, 'f', 'w').values]).toEqual([1.5, -2]);
  });
});

describe('encodeSafetensors', () => {
  it('pads the header to 8 bytes, writes __metadata__ first, orders by alignment then name', () => {
    const bytes = encodeSafetensors(
      {
        b: { dtype: 'U8', shape: [1], data: new Uint8Array([7]) },
        a: { dtype: 'F32', shape: [1], data: f32([1]) },
        c: { dtype: 'F64', shape: [1], data: new Uint8Array(new Float64Array([2]).buffer) },
      },
      { format: 'x' },
    );
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(header.trimEnd()).toBe(
      '{"__metadata__":{"format":"x"},"c":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"b":{"dtype":"U8","shape":[1],"data_offsets":[12,13]}}',
    );
  });

  it('rejects data of the wrong size', () => {
    expect(() => encodeSafetensors({ w: { dtype: 'F32', shape: [2], data: new Uint8Array(4) } })).toThrow(/needs 8 bytes, got 4/);
  });

  it('keeps a metadata key named __proto__ (found by the property below)', () => {
    const metadata = JSON.parse('{"__proto__":"x","format":"pt"}') as Record<string, string>;
    const decoded = decodeSafetensors(encodeSafetensors({}, metadata));
    expect(Object.keys(decoded.metadata)).toEqual(['__proto__', 'format']);
    expect(Object.getOwnPropertyDescriptor(decoded.metadata, '__proto__')?.value).toBe('x');
  });

  it('round-trips random tensors (property)', () => {
    const dtypes = ['F32', 'I32', 'U32', 'U8', 'BOOL', 'F64', 'I16'] as const;
    const entryArb = fc
      .record({ dtype: fc.constantFrom(...dtypes), shape: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }) })
      .chain(({ dtype, shape }) => {
        const size = shape.reduce((a, b) => a * b, 1) * { F32: 4, I32: 4, U32: 4, U8: 1, BOOL: 1, F64: 8, I16: 2 }[dtype];
        return fc.uint8Array({ minLength: size, maxLength: size }).map((data): SafetensorsEntry => ({ dtype, shape, data }));
      });
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }).filter((s) => s !== '__metadata__'), entryArb, { maxKeys: 5 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }), (tensors, metadata) => {
        const decoded = decodeSafetensors(encodeSafetensors(tensors, metadata));
        expect(decoded.metadata).toEqual(metadata);
        expect(decoded.tensors.size).toBe(Object.keys(tensors).length);
        for (const [name, t] of Object.entries(tensors)) {
          const got = decoded.tensors.get(name)!;
          expect(got.dtype).toBe(t.dtype);
          expect(got.shape).toEqual(t.shape);
          expect(got.data).toEqual(t.data);
        }
      }),
    );
  });
});

describe('entryToValues conversions', () => {
  it('widens F16, BF16, F64, I8 and range-checks I64', () => {
    const h = entryToValues({ dtype: 'F16', shape: [3], data: new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3555]).buffer) }, 'f', 'h');
    expect([...h.values]).toEqual([1, -2, Math.fround(0.333251953125)]);
    const b = entryToValues({ dtype: 'BF16', shape: [2], data: new Uint8Array(new Uint16Array([0x3f80, 0xc040]).buffer) }, 'f', 'b');
    expect([...b.values]).toEqual([1, -3]);
    expect(entryToValues({ dtype: 'F64', shape: [1], data: new Uint8Array(new Float64Array([0.5]).buffer) }, 'f', 'd').dtype).toBe('float32');
    expect([...entryToValues({ dtype: 'I8', shape: [2], data: new Uint8Array([255, 1]) }, 'f', 'i').values]).toEqual([-1, 1]);
    expect([...entryToValues({ dtype: 'I64', shape: [1], data: new Uint8Array(new BigInt64Array([-5n]).buffer) }, 'f', 'l').values]).toEqual([-5]);
    expect(() => entryToValues({ dtype: 'I64', shape: [1], data: new Uint8Array(new BigInt64Array([2n ** 40n]).buffer) }, 'f', 'l')).toThrow(
      /outside the int32 range/,
    );
  });
});

describe('decodeSafetensors on every dtype written by safetensors 0.8.0', () => {
  it('converts each tensor of dtypes.safetensors to the expected values', async () => {
    const bytes = new Uint8Array(await readFile(new URL('dtypes.safetensors', FIXTURES)));
    const fixture = JSON.parse(await readFile(new URL('dtypes.json', FIXTURES), 'utf8')) as { tensors: Record<string, Expected> };
    const { tensors, metadata } = decodeSafetensors(bytes, 'dtypes.safetensors');
    expect(metadata).toEqual({ made_by: 'checkpoint.py' });
    const tfDtype: Record<string, string> = {
      float16: 'float32', bfloat16: 'float32', float64: 'float32', float32: 'float32',
      int64: 'int32', int32: 'int32', int16: 'int32', uint16: 'int32', int8: 'int32', uint8: 'int32',
      bool: 'bool', uint32: 'uint32',
    };
    expect([...tensors.keys()].sort()).toEqual(Object.keys(fixture.tensors).sort());
    for (const [name, want] of Object.entries(fixture.tensors)) {
      const entry = tensors.get(name)!;
      const { values, dtype } = entryToValues(entry, 'dtypes.safetensors', name);
      expect(entry.shape, name).toEqual(want.shape);
      expect(dtype, name).toBe(tfDtype[want.dtype]);
      // float64 values narrow to float32, as TF.js holds them.
      expect([...values], name).toEqual(want.dtype === 'float64' ? want.values.map(Math.fround) : want.values);
    }
  });
});
