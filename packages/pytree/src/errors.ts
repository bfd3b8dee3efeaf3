/**
 * Thrown when a tree does not have the structure an operation expects: the wrong number of leaves for a
 * {@link TreeDef}, or trees passed together to `mapN` that do not share a structure.
 *
 * @example
 * ```ts
 * try {
 *   unflatten(structure([1, 2]), [1]);
 * } catch (e) {
 *   if (e instanceof TreeStructureError) console.log(e.message);
 * }
 * ```
 */
export class TreeStructureError extends Error {
  override readonly name = 'TreeStructureError';
}
