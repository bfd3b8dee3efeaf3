import type * as tf from '@tensorflow/tfjs-core';
import { Module, RngCount, RngKey } from '@nnx-ts/module';
import { KeyError } from './errors.js';
import { HostUint32Array, KeyArray } from './hostArrays.js';
import { bernoulli, bits, foldIn, key, normal, split, truncatedNormal, uniform, type Shape } from './random.js';

const RNG_STREAM_BRAND = Symbol.for('nnx-ts.RngStream');

/** What a stream can be built from: an integer seed, or a key (the stream starts at count 0). */
export type StreamSeed = number | bigint | KeyArray;

/**
 * Options of {@link RngStream.fork}.
 *
 * @example
 * ```ts
 * stream.fork({ split: 5 }); // a stream whose key has shape [5]
 * ```
 */
export interface ForkOptions {
  /** Split the forked key into this many keys (or this shape): the new stream is stacked. */
  split?: number | Shape;
}

function toKey(seed: StreamSeed): KeyArray {
  if (seed instanceof KeyArray) return seed.clone();
  if (typeof seed === 'number' || typeof seed === 'bigint') return key(seed);
  throw new KeyError(`an RNG stream needs an integer seed or a KeyArray, got ${String(seed)}`);
}

/**
 * One named RNG stream (NNX `RngStream`): a key and a count, both host arrays held in `RngKey`/`RngCount` Variables
 * tagged with the stream name. `call()` returns `foldIn(key, count)` and advances the count, so a stream yields
 * `foldIn(key, 0)`, `foldIn(key, 1)`, … — exactly Flax's sequence. Stacked streams (key shape `[n]`, e.g. built under
 * `vmap`) fold each key with its own count.
 *
 * @example
 * ```ts
 * const s = new RngStream(0, { tag: 'params' });
 * const k0 = s.call(); // foldIn(key(0), 0)
 * const w = s.normal([3, 4]); // normal(foldIn(key(0), 1), [3, 4])
 * ```
 */
export class RngStream extends Module {
  key: RngKey<KeyArray>;
  count: RngCount<HostUint32Array>;
  tag: string;

  constructor(seed: StreamSeed, options: { tag?: string } = {}) {
    super();
    const tag = options.tag ?? 'default';
    const k = toKey(seed);
    this.tag = tag;
    this.key = new RngKey(k, { tag });
    this.count = new RngCount(HostUint32Array.zeros(k.shape), { tag });
  }

  static override [Symbol.hasInstance](x: unknown): boolean {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[RNG_STREAM_BRAND] === true;
  }

  /** The next key: `foldIn(key, count)`, then `count += 1` (Flax's `stream()`). */
  call(): KeyArray {
    const count = this.count.value;
    const next = foldIn(this.key.value, count);
    this.count.value = count.plus(1);
    return next;
  }

  /**
   * A new stream from the next key of this one (consumes one count); with `split` its key is split into a stacked key.
   * NNX 0.11 layers such as Dropout hold such a fork.
   */
  fork(options: ForkOptions = {}): RngStream {
    let k = this.call();
    if (options.split !== undefined) k = split(k, options.split);
    return new RngStream(k, { tag: this.tag });
  }

  /** `normal(this.call(), shape)`. */
  normal(shape: Shape = []): tf.Tensor {
    return normal(this.call(), shape);
  }

  /** `uniform(this.call(), shape, minval, maxval)`. */
  uniform(shape: Shape = [], minval = 0, maxval = 1): tf.Tensor {
    return uniform(this.call(), shape, minval, maxval);
  }

  /** `truncatedNormal(this.call(), lower, upper, shape)`. */
  truncatedNormal(lower: number, upper: number, shape: Shape = []): tf.Tensor {
    return truncatedNormal(this.call(), lower, upper, shape);
  }

  /** `bernoulli(this.call(), p, shape)`. */
  bernoulli(p = 0.5, shape: Shape = []): tf.Tensor {
    return bernoulli(this.call(), p, shape);
  }

  /** `bits(this.call(), shape, width)`. */
  bits(shape: Shape = [], width: 8 | 16 | 32 = 32): Uint32Array | Uint16Array | Uint8Array {
    return bits(this.call(), shape, width);
  }
}
Object.defineProperty(RngStream.prototype, RNG_STREAM_BRAND, { value: true });
