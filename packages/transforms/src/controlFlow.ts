import * as tf from '@tensorflow/tfjs-core';
import { TransformError, flatten, isVariable, type Flattened } from '@nnx-ts/module';
import { assertNotPromise, assertSyncFunction } from './asyncGuard.js';
import { collectTensors } from './tensorWalk.js';
import { runInPlace } from './inPlace.js';

/** Runs `fn(...operands)` in one tidy scope keeping what the caller can reach: the operands' state and the output. */
function runScoped<R>(fn: (...a: any[]) => R, operands: unknown[], name: string): R {
  return runInPlace(name, operands, () => fn(...operands));
}

/** One loop iteration inside the loop's in-place call: its own tidy scope, so memory stays flat over iterations. */
function runIteration<R>(fn: (...a: any[]) => R, operands: unknown[], name: string): R {
  let out: R | undefined;
  tf.tidy(() => {
    out = fn(...operands);
    assertNotPromise(out, name);
    return collectTensors([operands, out]);
  });
  return out as R;
}

function hostPredicate(pred: unknown, name: string, asyncName: string): boolean {
  if (typeof pred === 'boolean') return pred;
  if (typeof pred === 'number') return pred !== 0;
  if (pred instanceof tf.Tensor) {
    throw new TransformError(`${name}: the predicate is a tensor; library code never reads tensors synchronously. Use ${asyncName}, or pass a boolean.`);
  }
  throw new TransformError(`${name}: expected a boolean predicate, got ${typeof pred}.`);
}

async function readPredicate(pred: unknown, dispose: boolean): Promise<unknown> {
  if (!(pred instanceof tf.Tensor)) return pred;
  if (pred.size !== 1) throw new TransformError(`predicate tensor must have one element, got shape [${pred.shape.join(',')}].`);
  const data = await pred.data();
  if (dispose) pred.dispose();
  return data[0];
}

/**
 * `nnx.cond` with a host predicate: runs `trueFn` or `falseFn` on `operands`; state updates of the branch that runs
 * propagate to the caller's objects, intermediates are freed.
 *
 * @example
 * ```ts
 * const y = cond(training, (m: Model, x: tf.Tensor) => m.dropout.call(x), (_m: Model, x: tf.Tensor) => x, model, x);
 * ```
 */
export function cond<A extends unknown[], R>(pred: boolean | number, trueFn: (...args: A) => R, falseFn: (...args: A) => R, ...operands: A): R {
  assertSyncFunction(trueFn, 'cond');
  assertSyncFunction(falseFn, 'cond');
  return runScoped(hostPredicate(pred, 'cond', 'condAsync') ? trueFn : falseFn, operands, 'cond');
}

/**
 * {@link cond} whose predicate may be a one-element tensor, read asynchronously (the tensor is not disposed).
 *
 * @example
 * ```ts
 * const y = await condAsync(tf.greater(loss, 1), shrink, keep, model);
 * ```
 */
export async function condAsync<A extends unknown[], R>(
  pred: boolean | number | tf.Tensor,
  trueFn: (...args: A) => R,
  falseFn: (...args: A) => R,
  ...operands: A
): Promise<R> {
  const p = (await readPredicate(pred, false)) as boolean | number;
  return cond(p, trueFn, falseFn, ...operands);
}

/**
 * `nnx.switch` with a host index (clamped to the valid range, like `lax.switch`): runs `branches[index]`.
 *
 * @example
 * ```ts
 * const y = switchCase(1, [(x: tf.Tensor) => tf.neg(x), (x: tf.Tensor) => tf.relu(x)], x);
 * ```
 */
export function switchCase<A extends unknown[], R>(index: number, branches: ReadonlyArray<(...args: A) => R>, ...operands: A): R {
  if (branches.length === 0) throw new TransformError('switch: branches must not be empty.');
  for (const b of branches) assertSyncFunction(b, 'switch');
  if (typeof index !== 'number' || Number.isNaN(index)) {
    throw new TransformError(`switch: the index must be a number${(index as unknown) instanceof tf.Tensor ? ' (use switchAsync for a tensor index)' : ''}.`);
  }
  const i = Math.min(Math.max(Math.trunc(index), 0), branches.length - 1);
  return runScoped(branches[i]!, operands, 'switch');
}

/**
 * {@link switchCase} whose index may be a one-element tensor, read asynchronously.
 *
 * @example
 * ```ts
 * const y = await switchAsync(tf.scalar(0, 'int32'), [f0, f1], x);
 * ```
 */
export async function switchAsync<A extends unknown[], R>(
  index: number | tf.Tensor,
  branches: ReadonlyArray<(...args: A) => R>,
  ...operands: A
): Promise<R> {
  return switchCase((await readPredicate(index, false)) as number, branches, ...operands);
}

/**
 * The body must return the same reference structure as its input (NNX rule): same graph shape and the same
 * Variable objects in the same places. Values may change, plain numbers included (they are JAX leaves there).
 */
/** Same nodes, attribute names and kinds (static values, like JAX's leaves, may change), and the very same Variables. */
function sameReferenceStructure(a: Flattened, b: Flattened): boolean {
  const [na, nb] = [a.graphdef.nodes, b.graphdef.nodes];
  const [aa, ab] = [a.graphdef.attributes, b.graphdef.attributes];
  if (na.length !== nb.length || aa.length !== ab.length || a.leaves.length !== b.leaves.length) return false;
  for (let i = 0; i < na.length; i++) {
    const [x, y] = [na[i]!, nb[i]!];
    if (x.kind !== y.kind || x.index !== y.index) return false;
    if (x.kind === 'node' && y.kind === 'node' && (x.type !== y.type || x.numAttributes !== y.numAttributes)) return false;
  }
  for (let i = 0; i < aa.length; i++) if (aa[i]!.key !== ab[i]!.key || aa[i]!.kind !== ab[i]!.kind) return false;
  return a.leaves.every((leaf, k) => (isVariable(leaf) ? b.leaves[k] === leaf : !isVariable(b.leaves[k])));
}

function checkSameStructure(before: Flattened, after: unknown, name: string): void {
  const same = sameReferenceStructure(before, flatten(after));
  if (!same) {
    throw new TransformError(`${name} requires the body function's input and output to have the same reference and pytree structure.`);
  }
}

/**
 * `nnx.while_loop` with a host condition: `val = bodyFun(val)` while `condFun(val)` is true. Each iteration runs in
 * its own tidy scope; Variable values may change, the reference structure may not.
 *
 * @example
 * ```ts
 * const n = whileLoop((s: { i: number }) => s.i < 10, (s) => ({ i: s.i + 1 }), { i: 0 });
 * ```
 */
export function whileLoop<T>(condFun: (val: T) => boolean, bodyFun: (val: T) => T, initVal: T): T {
  assertSyncFunction(condFun, 'whileLoop');
  assertSyncFunction(bodyFun, 'whileLoop');
  return runInPlace('whileLoop', [initVal], () => {
    let val = initVal;
    while (hostPredicate(condFun(val), 'whileLoop', 'whileLoopAsync')) {
      const before = flatten(val); // taken first: the body may change `val` in place
      const next = runIteration(bodyFun, [val], 'whileLoop');
      checkSameStructure(before, next, 'whileLoop');
      val = next;
    }
    return val;
  });
}

/**
 * {@link whileLoop} whose condition may return a one-element tensor, read asynchronously (and disposed).
 *
 * @example
 * ```ts
 * await whileLoopAsync((m: Model) => tf.greater(m.loss.value, 0.1), step, model);
 * ```
 */
export async function whileLoopAsync<T>(condFun: (val: T) => boolean | tf.Tensor, bodyFun: (val: T) => T, initVal: T): Promise<T> {
  assertSyncFunction(condFun, 'whileLoopAsync');
  assertSyncFunction(bodyFun, 'whileLoopAsync');
  let val = initVal;
  while (hostPredicate(await readPredicate(condFun(val), true), 'whileLoopAsync', 'whileLoopAsync')) {
    const before = flatten(val);
    const next = runScoped(bodyFun, [val], 'whileLoopAsync');
    checkSameStructure(before, next, 'whileLoopAsync');
    val = next;
  }
  return val;
}

/**
 * `nnx.fori_loop`: `val = bodyFun(i, val)` for `i` from `lower` to `upper - 1`, with {@link whileLoop}'s rules.
 *
 * @example
 * ```ts
 * foriLoop(0, 3, (_i, m: Counter) => { m.count.value = tf.add(m.count.value, 1); return m; }, counter);
 * ```
 */
export function foriLoop<T>(lower: number, upper: number, bodyFun: (i: number, val: T) => T, initVal: T): T {
  assertSyncFunction(bodyFun, 'foriLoop');
  return runInPlace('foriLoop', [initVal], () => {
    let val = initVal;
    for (let i = lower; i < upper; i++) {
      const before = flatten(val);
      const next = runIteration(bodyFun, [i, val], 'foriLoop');
      checkSameStructure(before, next, 'foriLoop');
      val = next;
    }
    return val;
  });
}
