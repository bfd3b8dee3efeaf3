import type * as tf from '@tensorflow/tfjs-core';
import { Module, toPredicate, type Filter } from '@nnx-ts/module';
import { RngStreamError } from './errors.js';
import { KeyArray } from './hostArrays.js';
import type { Shape } from './random.js';
import { RngStream, type StreamSeed } from './rngStream.js';

const RNGS_BRAND = Symbol.for('nnx-ts.Rngs');

/** A stream source accepted by {@link Rngs}: a seed, a key, or an existing stream (its key is kept, its count reset). */
export type RngsSeed = StreamSeed | RngStream;

/**
 * How {@link Rngs.fork} splits: one size/shape for every stream, or `[filter, size]` pairs (first match wins; streams
 * matching none are forked without a split).
 *
 * @example
 * ```ts
 * rngs.fork({ split: [['params', 5]] });
 * ```
 */
export type RngsForkSplit = number | Shape | ReadonlyArray<readonly [Filter, number | Shape]>;

function isSeed(x: unknown): x is RngsSeed {
  return typeof x === 'number' || typeof x === 'bigint' || x instanceof KeyArray || x instanceof RngStream;
}

function newStream(name: string, seed: RngsSeed): RngStream {
  // Passing a stream in keeps its key and resets its count, as NNX does.
  return new RngStream(seed instanceof RngStream ? seed.key.value : seed, { tag: name });
}

function isSplitPairs(s: RngsForkSplit): s is ReadonlyArray<readonly [Filter, number | Shape]> {
  return Array.isArray(s) && s.length > 0 && Array.isArray(s[0]);
}

/**
 * NNX `Rngs`: a set of named {@link RngStream}s. `new Rngs(0)` makes the `default` stream; `new Rngs({ params: 0,
 * dropout: 1 })` named ones; `new Rngs(100, { params: 42 })` both (Flax's `Rngs(100, params=42)`).
 * A stream that does not exist falls back to `default`. Flax's `rngs.params()` is `rngs.params.call()` here
 * (`__call__` → `call`), and `rngs()` is `rngs.call()`. Common stream names (`default`, `params`, `dropout`, `carry`,
 * `noise`) are properties; any name works with `rngs.stream(name)`.
 *
 * @example
 * ```ts
 * const rngs = new Rngs(100, { params: 42 });
 * rngs.params.call();  // foldIn(key(42), 0)
 * rngs.dropout.call(); // foldIn(key(100), 0) — falls back to default
 * rngs.call();         // foldIn(key(100), 1)
 * ```
 */
export class Rngs extends Module {
  declare default: RngStream;
  declare params: RngStream;
  declare dropout: RngStream;
  declare carry: RngStream;
  declare noise: RngStream;

  constructor(seed?: RngsSeed | Readonly<Record<string, RngsSeed>>, streams: Readonly<Record<string, RngsSeed>> = {}) {
    super();
    let named = streams;
    if (seed !== undefined) {
      if (isSeed(seed)) setStream(this, 'default', newStream('default', seed));
      else named = { ...seed, ...streams };
    }
    for (const [name, s] of Object.entries(named)) setStream(this, name, newStream(name, s));
  }

  static override [Symbol.hasInstance](x: unknown): boolean {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[RNGS_BRAND] === true;
  }

  /** The stream called `name`, or `default` when there is none. */
  stream(name: string): RngStream {
    const own = Object.getOwnPropertyDescriptor(this, name)?.value;
    if (own instanceof RngStream) return own;
    const fallback = Object.getOwnPropertyDescriptor(this, 'default')?.value;
    if (fallback instanceof RngStream) return fallback;
    throw new RngStreamError(
      `no RNG stream '${name}' and no 'default' stream to fall back to; streams: [${this.streamNames().join(', ')}]`,
    );
  }

  /** Names of the streams held. */
  streamNames(): string[] {
    return Object.keys(this).filter((k) => (this as unknown as Record<string, unknown>)[k] instanceof RngStream);
  }

  /** The next key of the `default` stream (Flax's `rngs()`). */
  call(): KeyArray {
    return this.stream('default').call();
  }

  /** `normal(default stream's next key, shape)` (Flax `rngs.normal`). */
  normal(shape: Shape = []): tf.Tensor {
    return this.stream('default').normal(shape);
  }

  /** `uniform(default stream's next key, shape, minval, maxval)`. */
  uniform(shape: Shape = [], minval = 0, maxval = 1): tf.Tensor {
    return this.stream('default').uniform(shape, minval, maxval);
  }

  /** `truncatedNormal(default stream's next key, lower, upper, shape)`. */
  truncatedNormal(lower: number, upper: number, shape: Shape = []): tf.Tensor {
    return this.stream('default').truncatedNormal(lower, upper, shape);
  }

  /** `bernoulli(default stream's next key, p, shape)`. */
  bernoulli(p = 0.5, shape: Shape = []): tf.Tensor {
    return this.stream('default').bernoulli(p, shape);
  }

  /**
   * New `Rngs` whose streams are forks of these (each parent stream consumes one count); with `split`, the forked keys are
   * split (stacked) as given.
   */
  fork(options: { split?: RngsForkSplit } = {}): Rngs {
    const out = new Rngs();
    const s = options.split;
    const pairs = s === undefined ? [] : isSplitPairs(s) ? s.map(([f, n]) => [toPredicate(f), n] as const) : null;
    for (const name of this.streamNames()) {
      const stream = this.stream(name);
      let size: number | Shape | undefined;
      if (pairs === null) size = s as number | Shape;
      else size = pairs.find(([pred]) => pred([name], stream))?.[1];
      setStream(out, name, size === undefined ? stream.fork() : stream.fork({ split: size }));
    }
    return out;
  }
}
Object.defineProperty(Rngs.prototype, RNGS_BRAND, { value: true });

function setStream(rngs: Rngs, name: string, stream: RngStream): void {
  Object.defineProperty(rngs, name, { value: stream, enumerable: true, writable: true, configurable: true });
}

// Well-known stream names read through the fallback; an own property (the stream itself) shadows the accessor.
for (const name of ['default', 'params', 'dropout', 'carry', 'noise']) {
  Object.defineProperty(Rngs.prototype, name, {
    get(this: Rngs) {
      return this.stream(name);
    },
    set(this: Rngs, value: RngStream) {
      setStream(this, name, value);
    },
    configurable: true,
  });
}
