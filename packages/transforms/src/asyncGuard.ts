import { TransformError } from '@nnx-ts/module';

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as unknown;
const AsyncGeneratorFunction = Object.getPrototypeOf(async function* () {}).constructor as unknown;

/**
 * Rejects `async` functions up front: a TF.js `tidy` scope cannot span an `await`, so a transform
 * could neither free intermediates nor propagate state written after the first `await`.
 */
export function assertSyncFunction(fn: unknown, transform: string): void {
  if (typeof fn !== 'function') {
    throw new TransformError(`${transform}: expected a function, got ${typeof fn}.`);
  }
  const ctor = (fn as { constructor?: unknown }).constructor;
  if (ctor === AsyncFunction || ctor === AsyncGeneratorFunction) {
    throw new TransformError(
      `${transform} cannot transform an async function (${fn.name || 'anonymous'}): TF.js tidy scopes cannot span an await. ` +
        'Await the inputs first and transform a synchronous function.',
    );
  }
}

/** Catches functions that return a promise without being declared `async` (e.g. `() => fetchThen()`). */
export function assertNotPromise(result: unknown, transform: string): void {
  if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
    throw new TransformError(
      `${transform}: the transformed function returned a promise; transforms accept synchronous functions only ` +
        '(TF.js tidy scopes cannot span an await).',
    );
  }
}
