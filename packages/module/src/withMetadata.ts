import { brand, brandedHasInstance } from './brand.js';
import type { VariableMetadata } from './variable.js';

/**
 * A value tagged with Variable metadata, produced by an initializer wrapped with {@link withMetadata}. A Variable
 * constructed from it (or from a lazy value whose initializer returns it) stores `value` and merges `metadata`.
 *
 * @example
 * ```ts
 * const p = new Param(new MetadataValue(tf.zeros([2]), { sharding_names: ['model'] }));
 * p.metadata.sharding_names; // ['model']
 * ```
 */
export class MetadataValue<T = unknown> {
  constructor(
    readonly value: T,
    readonly metadata: VariableMetadata,
  ) {}
  static [Symbol.hasInstance](x: unknown): boolean {
    return brandedHasInstance(this, x);
  }
}
brand(MetadataValue, 'MetadataValue');

/** An initializer wrapped by {@link withMetadata}; `variableMetadata` is readable before it runs (lazy values). */
export type InitializerWithMetadata<A extends unknown[], T> = ((...args: A) => MetadataValue<T>) & {
  readonly variableMetadata: VariableMetadata;
};

/**
 * Wraps an initializer so that its result carries Variable metadata (like `nnx.with_metadata`); a `sharding` entry
 * is renamed `sharding_names` as in Flax.
 *
 * @example
 * ```ts
 * const init = withMetadata(lecunNormal(), { sharding_names: [null, 'model'] });
 * const kernel = new Param(init(key, [2, 3], 'float32'));
 * ```
 */
export function withMetadata<A extends unknown[], T>(
  init: (...args: A) => T,
  metadata: VariableMetadata,
): InitializerWithMetadata<A, T> {
  const md = normalizeMetadata(metadata);
  const wrapped = (...args: A) => new MetadataValue(init(...args), md);
  return Object.assign(wrapped, { variableMetadata: md });
}

/**
 * `withMetadata(init, { sharding_names, mesh })` (like `nnx.with_partitioning`).
 *
 * @example
 * ```ts
 * const init = withPartitioning(zerosInit(), ['model']);
 * ```
 */
export function withPartitioning<A extends unknown[], T>(
  init: (...args: A) => T,
  shardingNames: readonly (string | null)[],
  mesh?: unknown,
): InitializerWithMetadata<A, T> {
  return withMetadata(init, mesh === undefined ? { sharding_names: shardingNames } : { sharding_names: shardingNames, mesh });
}

/** Flax renames the metadata key `sharding` to `sharding_names`. */
export function normalizeMetadata(metadata: VariableMetadata): VariableMetadata {
  if (!('sharding' in metadata)) return metadata;
  const { sharding, ...rest } = metadata;
  return { ...rest, sharding_names: sharding };
}
