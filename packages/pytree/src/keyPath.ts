/**
 * One step of a path into a pytree, mirroring JAX's `GetAttrKey`, `DictKey` and `SequenceKey`.
 *
 * @example
 * ```ts
 * const step: KeyEntry = { kind: 'index', index: 0 };
 * ```
 */
export type KeyEntry =
  | { readonly kind: 'attr'; readonly name: string }
  | { readonly kind: 'key'; readonly key: string | number }
  | { readonly kind: 'index'; readonly index: number };

/**
 * A path from the root of a pytree to one of its nodes or leaves.
 *
 * @example
 * ```ts
 * const path: KeyPath = [{ kind: 'attr', name: 'layers' }, { kind: 'index', index: 0 }];
 * ```
 */
export type KeyPath = readonly KeyEntry[];

/**
 * Formats one key entry like JAX's `keystr`: `.name`, `['key']` / `[3]`, `[0]`.
 *
 * @example
 * ```ts
 * keyEntryToString({ kind: 'key', key: 'w' }); // "['w']"
 * ```
 */
export function keyEntryToString(entry: KeyEntry): string {
  switch (entry.kind) {
    case 'attr':
      return `.${entry.name}`;
    case 'key':
      return typeof entry.key === 'number' ? `[${entry.key}]` : `['${entry.key}']`;
    case 'index':
      return `[${entry.index}]`;
  }
}

/**
 * Formats a key path like JAX's `keystr`.
 *
 * @example
 * ```ts
 * keyPathToString([
 *   { kind: 'attr', name: 'layers' },
 *   { kind: 'index', index: 0 },
 *   { kind: 'key', key: 'w' },
 * ]); // ".layers[0]['w']"
 * ```
 */
export function keyPathToString(path: KeyPath): string {
  let out = '';
  for (const entry of path) out += keyEntryToString(entry);
  return out;
}
