import { brand, brandedHasInstance } from './brand.js';

/**
 * Base class of every error thrown by nnx-ts. Each subclass has a stable `name`.
 *
 * @example
 * ```ts
 * try { split(model, Param); } catch (e) { if (e instanceof NnxError) console.log(e.name); }
 * ```
 */
export class NnxError extends Error {
  override name = 'NnxError';
  // Branded like the other shared types, so `instanceof` works for errors thrown by another installed copy.
  static override [Symbol.hasInstance](x: unknown): boolean {
    return brandedHasInstance(this, x);
  }
}

/**
 * A tensor or array has the wrong shape or dtype. The message names the path, the expected and the actual value.
 *
 * @example
 * ```ts
 * throw new ShapeError('encoder.kernel: expected [2,3], got [3,2]');
 * ```
 */
export class ShapeError extends NnxError {
  override name = 'ShapeError';
}

/**
 * A filter is invalid or a partition by filters is not exhaustive.
 *
 * @example
 * ```ts
 * expect(() => split(model, Param)).toThrow(FilterError);
 * ```
 */
export class FilterError extends NnxError {
  override name = 'FilterError';
}

/**
 * A graph operation (split/merge/update/pop) received a structure it cannot handle.
 *
 * @example
 * ```ts
 * expect(() => merge(graphdef, {})).toThrow(GraphError);
 * ```
 */
export class GraphError extends NnxError {
  override name = 'GraphError';
}

/**
 * A State or pure dict does not match the target (missing key, wrong leaf).
 *
 * @example
 * ```ts
 * expect(() => replaceByPureDict(state, { nope: 1 })).toThrow(StateError);
 * ```
 */
export class StateError extends NnxError {
  override name = 'StateError';
}

/**
 * A transform (jit, grad, vmap, scan, ...) was used incorrectly.
 *
 * @example
 * ```ts
 * throw new TransformError('jit does not accept async functions');
 * ```
 */
export class TransformError extends NnxError {
  override name = 'TransformError';
}

brand(NnxError, 'NnxError');
brand(ShapeError, 'ShapeError');
brand(FilterError, 'FilterError');
brand(GraphError, 'GraphError');
brand(StateError, 'StateError');
brand(TransformError, 'TransformError');
