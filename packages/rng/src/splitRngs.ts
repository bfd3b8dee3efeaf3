import { iterGraph, toPredicate, type Filter, type Key } from '@nnx-ts/module';
import { KeyError } from './errors.js';
import { HostUint32Array, KeyArray } from './hostArrays.js';
import { key as makeKey, split, type Shape } from './random.js';
import { RngStream } from './rngStream.js';

/**
 * Options of {@link splitRngs}.
 *
 * @example
 * ```ts
 * splitRngs(rngs, { splits: 5, only: 'params' });
 * ```
 */
export interface SplitRngsOptions {
  /** Number of keys (or key shape) each matching stream is split into. */
  splits: number | Shape;
  /** Which streams to split (matched on `[...path, 'key']`/RngKey and `[...path, 'count']`/RngCount). Default: all. */
  only?: Filter;
  /** With `splits: 1`, keep the key's shape (take the single split key). */
  squeeze?: boolean;
}

/**
 * Options of {@link forkRngs}.
 *
 * @example
 * ```ts
 * forkRngs(model, { split: [['dropout', 4]] });
 * ```
 */
export interface ForkRngsOptions {
  /** No split (default), one size/shape for all streams, or `[filter, size]` pairs (first match wins). */
  split?: number | Shape | ReadonlyArray<readonly [Filter, number | Shape | null]>;
}

interface Backup {
  stream: RngStream;
  key: KeyArray;
  count: HostUint32Array;
}

/**
 * What {@link splitRngs} / {@link forkRngs} changed, to put back: `restore()` (or `using`) sets every stream's
 * original key back, with its count advanced by the one count the split consumed — as NNX's `restore_rngs`.
 *
 * @example
 * ```ts
 * const backups = splitRngs(rngs, { splits: 4 });
 * try { build(rngs); } finally { backups.restore(); }
 * ```
 */
export class RngBackups {
  readonly #backups: Backup[];
  #restored = false;

  constructor(backups: Backup[]) {
    this.#backups = backups;
  }

  /** Number of streams changed. */
  get size(): number {
    return this.#backups.length;
  }

  /** Puts the original keys back (counts advanced by one). Idempotent. */
  restore(): void {
    if (this.#restored) return;
    this.#restored = true;
    for (const b of this.#backups) {
      b.stream.key.value = b.key;
      b.stream.count.value = b.count;
    }
  }

  [Symbol.dispose](): void {
    this.restore();
  }
}

function streamsOf(node: unknown, only: Filter): Array<[Key[], RngStream]> {
  const pred = toPredicate(only);
  const out: Array<[Key[], RngStream]> = [];
  for (const [path, value] of iterGraph(node)) {
    if (!(value instanceof RngStream)) continue;
    if (pred([...path, 'key'], value.key) && pred([...path, 'count'], value.count)) out.push([path, value]);
  }
  return out;
}

function applySplit(node: unknown, options: SplitRngsOptions): RngBackups {
  const { splits, only = '...', squeeze = false } = options;
  const shape = typeof splits === 'number' ? [splits] : [...splits];
  if (squeeze && shape.reduce((a, b) => a * b, 1) !== 1) {
    throw new KeyError(`splitRngs: squeeze is only allowed with splits = 1, got [${shape.join(', ')}]`);
  }
  const backups: Backup[] = [];
  for (const [path, stream] of streamsOf(node, only)) {
    if (stream.key.value.shape.length !== 0) {
      throw new KeyError(
        `splitRngs: the stream at '${path.join('.')}' is already stacked (key shape [${stream.key.value.shape.join(', ')}]). ` +
          'Since NNX 0.11 layers keep their forked RNG state stacked after a vmapped construction, so scanning over them ' +
          'needs no second splitRngs: remove it (0.10 code split again before nnx.scan).',
      );
    }
    const k = stream.call();
    backups.push({ stream, key: stream.key.value, count: stream.count.value });
    const keys = split(k, shape);
    stream.key.value = squeeze ? keys.index(0) : keys;
    stream.count.value = HostUint32Array.zeros(squeeze ? [] : shape);
  }
  return new RngBackups(backups);
}

type AnyFunction = (this: any, ...args: any[]) => any;

function wrapWith<F extends AnyFunction>(fn: F, change: (node: unknown) => RngBackups): F {
  return function (this: unknown, ...args: unknown[]) {
    const backups = change(this === undefined ? args : [this, ...args]);
    let result: unknown;
    try {
      result = fn.apply(this, args);
    } catch (e) {
      backups.restore();
      throw e;
    }
    if (result instanceof Promise) return result.finally(() => backups.restore());
    backups.restore();
    return result;
  } as F;
}

/** A function wrapper that is also a TC39 method decorator (`this` counts as the first argument). */
export type RngsDecorator = <F extends AnyFunction>(fn: F, context?: ClassMethodDecoratorContext) => F;

function isOptions(x: unknown): x is SplitRngsOptions {
  return typeof x === 'object' && x !== null && Object.getPrototypeOf(x) === Object.prototype && 'splits' in x;
}

/**
 * NNX `split_rngs`. With a node: for every RNG stream reachable from it (matching `only`), draws one key (one count),
 * and replaces the stream's key with that key split into `splits` keys and its count with zeros of that shape; returns
 * {@link RngBackups} to restore. With only options: a wrapper / method decorator that splits the streams reachable from
 * the call's arguments for the duration of the call.
 *
 * @example
 * ```ts
 * const makeStack = splitRngs({ splits: 5 })(vmap((rngs: Rngs) => new MLP(rngs), { inAxes: 0 }));
 * using _ = splitRngs(rngs, { splits: 2 }); // scoped form
 * ```
 */
export function splitRngs(options: SplitRngsOptions): RngsDecorator;
export function splitRngs(node: unknown, options: SplitRngsOptions): RngBackups;
export function splitRngs(nodeOrOptions: unknown, options?: SplitRngsOptions): RngBackups | RngsDecorator {
  if (options === undefined) {
    if (!isOptions(nodeOrOptions)) throw new KeyError('splitRngs: expected options with `splits`, or (node, options)');
    const opts = nodeOrOptions;
    return (fn) => wrapWith(fn, (node) => applySplit(node, opts));
  }
  return applySplit(nodeOrOptions, options);
}

function applyFork(node: unknown, options: ForkRngsOptions): RngBackups {
  const s = options.split;
  const pairs =
    s === undefined
      ? []
      : Array.isArray(s) && s.length > 0 && Array.isArray(s[0])
        ? (s as ReadonlyArray<readonly [Filter, number | Shape | null]>).map(([f, n]) => [toPredicate(f), n] as const)
        : [[toPredicate('...'), s as number | Shape] as const];
  const backups: Backup[] = [];
  for (const [path, stream] of streamsOf(node, '...')) {
    const size = pairs.find(([pred]) => pred([...path, 'key'], stream.key))?.[1] ?? undefined;
    const forked = size === null || size === undefined ? stream.fork() : stream.fork({ split: size });
    backups.push({ stream, key: stream.key.value, count: stream.count.value });
    stream.key.value = forked.key.value;
    stream.count.value = forked.count.value;
  }
  return new RngBackups(backups);
}

/**
 * NNX `fork_rngs`: like {@link splitRngs} but each stream is replaced by its fork (optionally split per filter) until
 * restore. With only options, a wrapper / method decorator.
 *
 * @example
 * ```ts
 * const backups = forkRngs(model, { split: [['dropout', 4]] });
 * backups.restore();
 * ```
 */
export function forkRngs(options: ForkRngsOptions): RngsDecorator;
export function forkRngs(node: unknown, options?: ForkRngsOptions): RngBackups;
export function forkRngs(nodeOrOptions: unknown, options?: ForkRngsOptions): RngBackups | RngsDecorator {
  const isOpts =
    options === undefined &&
    typeof nodeOrOptions === 'object' &&
    nodeOrOptions !== null &&
    Object.getPrototypeOf(nodeOrOptions) === Object.prototype &&
    Object.keys(nodeOrOptions).every((k) => k === 'split');
  if (isOpts) {
    const opts = nodeOrOptions as ForkRngsOptions;
    return (fn) => wrapWith(fn, (node) => applyFork(node, opts));
  }
  return applyFork(nodeOrOptions, options ?? {});
}

/** How {@link reseed} turns a new scalar key into the target stream's key. */
export type ReseedPolicy = 'scalarsOnly' | 'matchShape' | ((path: Key[], key: KeyArray, targetShape: readonly number[]) => KeyArray);

/**
 * NNX `reseed`: gives every stream whose tag is in `seeds` a new key `foldIn(key(seed), i)` (i = 0, 1, … over the
 * matching streams in traversal order — what a fresh `Rngs` would have handed to the layers that forked it) and a zero
 * count. `policy`: `'scalarsOnly'` (default; stacked keys are an error), `'matchShape'` (split to the target's shape),
 * or a function.
 *
 * @example
 * ```ts
 * reseed(model, { dropout: 42 }); // same dropout masks as a model built with Rngs({ params: 0, dropout: 42 })
 * ```
 */
export function reseed(node: unknown, seeds: Readonly<Record<string, number | bigint>>, policy: ReseedPolicy = 'scalarsOnly'): void {
  const sources = new Map<string, RngStream>();
  for (const [tag, seed] of Object.entries(seeds)) sources.set(tag, new RngStream(makeKey(seed), { tag }));
  for (const [path, stream] of streamsOf(node, '...')) {
    const source = sources.get(stream.key.tag);
    if (source === undefined) continue;
    const fresh = source.call();
    const target = stream.key.value.shape;
    let next: KeyArray;
    if (typeof policy === 'function') next = policy(path, fresh, target);
    else if (target.length === 0) next = fresh;
    else if (policy === 'matchShape') next = split(fresh, target);
    else {
      throw new KeyError(
        `reseed: the stream at '${path.join('.')}' has a stacked key of shape [${target.join(', ')}]; ` +
          "use policy 'matchShape' or a function",
      );
    }
    stream.key.value = next;
    stream.count.value = HostUint32Array.zeros(next.shape);
  }
}
