// README: "`async` functions (and functions returning a promise) are rejected with `TransformError`: a TF.js `tidy`
// scope cannot span an `await`." Checked for every transform, with the caller's objects left as they were.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { ensureGradients } from '@nnx-ts/backend';

ensureGradients();
import { BatchStat, Module, Param, TransformError, graphdef } from '@nnx-ts/module';
import { describe, expect, it } from 'vitest';
import {
  cond,
  condAsync,
  customVjp,
  foriLoop,
  grad,
  jit,
  remat,
  scan,
  switchAsync,
  switchCase,
  valueAndGrad,
  vmap,
  whileLoop,
  whileLoopAsync,
} from '../src/index.js';

class Block extends Module {
  w = new Param<tf.Tensor>(tf.ones([3, 2]));
  count = new BatchStat<tf.Tensor>(tf.zeros([3]));
  mode = 'train';
}

type Body = (...args: any[]) => any;

/** Writes a Variable and a static attribute of the Block among `args`, then hands back a promise of a scalar. */
function touch(args: unknown[]): Promise<tf.Tensor> {
  const b = args.find((a) => a instanceof Block) as Block;
  b.count.value = tf.add(b.count.value, 1);
  b.mode = 'eval';
  return Promise.resolve(tf.sum(b.w.value));
}

/** An `async` function (any arity: it finds the Block among its arguments). */
const asyncBody: Body = async (...args: unknown[]) => touch(args);
/** A plain function that returns a promise. */
const promiseBody: Body = (...args: unknown[]) => touch(args);

interface Row {
  readonly name: string;
  /** Transforms `fn` (in the place the row names) and calls it on `m`. */
  readonly run: (fn: Body, m: Block) => unknown;
  /** Message when `fn` returns a promise (default: the transform's "returned a promise"). */
  readonly promiseMessage?: RegExp;
}

const keep = (x: Block) => x;

const rows: Row[] = [
  { name: 'jit', run: (fn, m) => jit(fn)(m) },
  { name: 'grad', run: (fn, m) => grad(fn)(m) },
  { name: 'valueAndGrad', run: (fn, m) => valueAndGrad(fn)(m) },
  { name: 'vmap', run: (fn, m) => vmap(fn)(m) },
  { name: 'scan', run: (fn, m) => scan(fn, { inAxes: 0, outAxes: 0 })(m) },
  { name: 'remat', run: (fn, m) => remat(fn)(m) },
  {
    name: 'customVjp',
    run: (fn, m) => {
      const f = customVjp(fn);
      f.defvjp(
        (x: Block) => fn(x),
        () => [{}],
      );
      return f(m);
    },
  },
  {
    name: 'customVjp fwd',
    run: (fn, m) => {
      const f = customVjp((x: Block) => tf.sum(x.w.value));
      f.defvjp(fn, () => [{}]);
      return f(m);
    },
  },
  { name: 'cond', run: (fn, m) => cond(true, fn, keep, m) },
  { name: 'switchCase', run: (fn, m) => switchCase(1, [keep, fn], m) },
  { name: 'whileLoop', run: (fn, m) => whileLoop((x: Block) => x.mode === 'train', fn, m) },
  {
    name: 'whileLoop condition',
    run: (fn, m) => whileLoop(fn, keep, m),
    // A promise is not a boolean predicate.
    promiseMessage: /whileLoop: expected a boolean predicate, got object/,
  },
  { name: 'foriLoop', run: (fn, m) => foriLoop(0, 2, fn, m) },
];

/** The caller's Block is exactly as before: same Variables, identical undisposed values, same GraphDef, no leak. */
function expectRejected(m: Block, attempt: () => unknown, message: RegExp): void {
  const [w, count] = [m.w, m.count];
  const [wValue, countValue] = [m.w.value, m.count.value];
  const before = graphdef(m);
  const numTensors = tf.memory().numTensors;
  expect(attempt).toThrow(TransformError);
  expect(attempt).toThrow(message);
  expect(m.w).toBe(w);
  expect(m.count).toBe(count);
  expect(m.w.value).toBe(wValue);
  expect(m.count.value).toBe(countValue);
  expect(wValue.isDisposed || countValue.isDisposed).toBe(false);
  expect(m.mode).toBe('train');
  expect(graphdef(m).equals(before)).toBe(true);
  expect(tf.memory().numTensors).toBe(numTensors);
}

describe.each(rows)('$name rejects async functions and promises with TransformError', ({ run, promiseMessage }) => {
  it('an async function', () => {
    const m = new Block();
    expectRejected(m, () => run(asyncBody, m), /cannot transform an async function.*TF\.js tidy scopes cannot span an await/);
    expect(m.count.value.dataSync()[0]).toBe(0);
  });

  it('a function returning a promise', () => {
    const m = new Block();
    const message = promiseMessage ?? /the transformed function returned a promise; transforms accept synchronous functions only/;
    expectRejected(m, () => run(promiseBody, m), message);
  });
});

describe('async variants reject async functions with TransformError', () => {
  it.each([
    ['condAsync', (fn: Body, m: Block) => condAsync(true, fn, keep, m)],
    ['switchAsync', (fn: Body, m: Block) => switchAsync(0, [fn], m)],
    ['whileLoopAsync body', (fn: Body, m: Block) => whileLoopAsync((x: Block) => x.mode === 'train', fn, m)],
    ['whileLoopAsync condition', (fn: Body, m: Block) => whileLoopAsync(fn, keep, m)],
  ] as const)('%s', async (_name, run) => {
    const m = new Block();
    const value = m.count.value;
    await expect(run(asyncBody, m)).rejects.toThrow(TransformError);
    await expect(run(asyncBody, m)).rejects.toThrow(/cannot transform an async function/);
    expect(m.count.value).toBe(value);
    expect(m.mode).toBe('train');
  });
});
