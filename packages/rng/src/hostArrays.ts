import { HOST_ARRAY, type HostArray } from '@nnx-ts/module';
import { KeyError } from './errors.js';

const KEY_ARRAY_BRAND = Symbol.for('nnx-ts.KeyArray');
const UINT32_ARRAY_BRAND = Symbol.for('nnx-ts.HostUint32Array');

/** The dtype name of threefry key arrays, as JAX prints it (`str(jax.random.key(0).dtype)`). */
export const KEY_DTYPE = 'key<fry>';

/** The key implementation's name, as `jax.random.key_impl` gives it and checkpoints record it. */
export const KEY_IMPL = 'threefry2x32';

/** Number of elements of `shape`; a typed error for negative or non-integer dimensions. Internal. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new KeyError(`invalid shape [${shape.join(', ')}]: dimensions must be non-negative integers`);
    n *= d;
  }
  return n;
}

/**
 * An array of threefry2x32 PRNG keys held on the host: `data` holds `size * 2` uint32 words (row-major, the two words
 * of each key adjacent), and `shape` is the logical shape (JAX's typed-key shape, without the trailing 2).
 * Keys never live in tensors: TF.js has no uint32 and WebGPU corrupts large int32 words.
 *
 * @example
 * ```ts
 * const k = new KeyArray([], Uint32Array.of(0, 42)); // same as random.key(42)
 * k.shape; // []
 * ```
 */
export class KeyArray implements HostArray {
  declare readonly [HOST_ARRAY]: true;
  readonly shape: readonly number[];
  readonly data: Uint32Array;

  constructor(shape: readonly number[], data: Uint32Array) {
    const size = sizeOf(shape);
    if (data.length !== size * 2) {
      throw new KeyError(`KeyArray of shape [${shape.join(', ')}] needs ${size * 2} uint32 words, got ${data.length}`);
    }
    this.shape = Object.freeze([...shape]);
    this.data = data;
  }

  static [Symbol.hasInstance](x: unknown): boolean {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[KEY_ARRAY_BRAND] === true;
  }

  /** `'key<fry>'`, as JAX names the threefry2x32 key dtype. */
  get dtype(): string {
    return KEY_DTYPE;
  }

  /** Number of keys. */
  get size(): number {
    return this.data.length / 2;
  }

  /** A copy with its own words. */
  clone(): KeyArray {
    return new KeyArray(this.shape, this.data.slice());
  }

  /** Key `i` along the leading axis (a KeyArray of shape `shape.slice(1)`). */
  index(i: number): KeyArray {
    const n = this.shape[0];
    if (n === undefined || !Number.isInteger(i) || i < 0 || i >= n) {
      throw new KeyError(`index ${i} out of range for KeyArray of shape [${this.shape.join(', ')}]`);
    }
    const inner = this.data.length / n;
    return new KeyArray(this.shape.slice(1), this.data.slice(i * inner, (i + 1) * inner));
  }

  /** The two words of a single key (shape `[]`). */
  words(): [number, number] {
    if (this.shape.length !== 0) {
      throw new KeyError(`expected a single key (shape []), got a KeyArray of shape [${this.shape.join(', ')}]`);
    }
    return [this.data[0]!, this.data[1]!];
  }

  /** Stacks keys of equal shape along a new leading axis. */
  static stack(keys: readonly KeyArray[]): KeyArray {
    const first = keys[0];
    if (first === undefined) throw new KeyError('cannot stack an empty list of keys');
    const data = new Uint32Array(first.data.length * keys.length);
    keys.forEach((k, i) => {
      if (k.shape.join() !== first.shape.join()) {
        throw new KeyError(`cannot stack keys of shapes [${first.shape.join(', ')}] and [${k.shape.join(', ')}]`);
      }
      data.set(k.data, i * first.data.length);
    });
    return new KeyArray([keys.length, ...first.shape], data);
  }

  toString(): string {
    return `KeyArray(shape=[${this.shape.join(', ')}], dtype=${KEY_DTYPE})`;
  }
}
Object.defineProperty(KeyArray.prototype, HOST_ARRAY, { value: true });
Object.defineProperty(KeyArray.prototype, KEY_ARRAY_BRAND, { value: true });

/**
 * A uint32 array held on the host (RNG counts): exact integer words that TF.js tensors cannot hold.
 *
 * @example
 * ```ts
 * const count = HostUint32Array.zeros([]);
 * count.data[0]; // 0
 * ```
 */
export class HostUint32Array implements HostArray {
  declare readonly [HOST_ARRAY]: true;
  readonly shape: readonly number[];
  readonly data: Uint32Array;

  constructor(shape: readonly number[], data: Uint32Array) {
    const size = sizeOf(shape);
    if (data.length !== size) {
      throw new KeyError(`uint32 array of shape [${shape.join(', ')}] needs ${size} words, got ${data.length}`);
    }
    this.shape = Object.freeze([...shape]);
    this.data = data;
  }

  static [Symbol.hasInstance](x: unknown): boolean {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[UINT32_ARRAY_BRAND] === true;
  }

  /** Zeros of the given shape. */
  static zeros(shape: readonly number[]): HostUint32Array {
    return new HostUint32Array(shape, new Uint32Array(sizeOf(shape)));
  }

  /** `'uint32'`. */
  get dtype(): string {
    return 'uint32';
  }

  /** A copy with its own words. */
  clone(): HostUint32Array {
    return new HostUint32Array(this.shape, this.data.slice());
  }

  /** A new array with every word plus `n` (mod 2^32). */
  plus(n: number): HostUint32Array {
    const out = this.data.slice();
    for (let i = 0; i < out.length; i++) out[i] = out[i]! + n;
    return new HostUint32Array(this.shape, out);
  }

  toString(): string {
    return `HostUint32Array(shape=[${this.shape.join(', ')}], data=[${Array.from(this.data.subarray(0, 8)).join(', ')}${this.data.length > 8 ? ', …' : ''}])`;
  }
}
Object.defineProperty(HostUint32Array.prototype, HOST_ARRAY, { value: true });
Object.defineProperty(HostUint32Array.prototype, UINT32_ARRAY_BRAND, { value: true });
