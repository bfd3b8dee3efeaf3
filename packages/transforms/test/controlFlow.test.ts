import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { BatchStat, Module, TransformError, graphdef } from '@nnx-ts/module';
import { describe, expect, it } from 'vitest';
import { cond, condAsync, foriLoop, switchAsync, switchCase, whileLoop, whileLoopAsync } from '../src/index.js';

class Counter extends Module {
  count = new BatchStat<tf.Tensor>(tf.scalar(0));
  inc(by: number): tf.Tensor {
    this.count.value = tf.add(this.count.value, by);
    return this.count.value;
  }
}

describe('cond / switch', () => {
  it('updates state only through the branch taken and frees intermediates', () => {
    const c = new Counter();
    const before = tf.memory().numTensors;
    const y = cond(
      true,
      (m: Counter) => tf.mul(m.inc(1), 10),
      (m: Counter) => tf.mul(m.inc(100), 10),
      c,
    );
    expect(y.arraySync()).toBe(10);
    expect(c.count.value.arraySync()).toBe(1);
    expect(tf.memory().numTensors).toBe(before + 1);
    cond(0, (m: Counter) => m.inc(1), (m: Counter) => m.inc(100), c);
    expect(c.count.value.arraySync()).toBe(101);
  });

  it('rejects tensor predicates (use the async variant), which read them asynchronously', async () => {
    const c = new Counter();
    const pred = tf.scalar(1, 'bool');
    expect(() => cond(pred as unknown as boolean, (m: Counter) => m, (m: Counter) => m, c)).toThrow(/condAsync/);
    await condAsync(pred, (m: Counter) => m.inc(2), (m: Counter) => m.inc(3), c);
    expect(c.count.value.arraySync()).toBe(2);
    expect(pred.isDisposed).toBe(false);
    const branches = [(m: Counter) => m.inc(1), (m: Counter) => m.inc(5)];
    switchCase(7, branches, c); // clamped to the last branch, like lax.switch
    expect(c.count.value.arraySync()).toBe(7);
    await switchAsync(tf.scalar(0, 'int32'), branches, c);
    expect(c.count.value.arraySync()).toBe(8);
  });
});

describe('whileLoop / foriLoop', () => {
  it('runs the body while the host condition holds and keeps memory flat', () => {
    const c = new Counter();
    whileLoop(
      (s: { n: number; m: Counter }) => s.n < 5,
      (s) => {
        s.m.inc(2);
        return { n: s.n + 1, m: s.m };
      },
      { n: 0, m: c },
    );
    expect(c.count.value.arraySync()).toBe(10);
    const before = tf.memory().numTensors;
    foriLoop(0, 50, (i, m: Counter) => (m.inc(i), m), c);
    expect(tf.memory().numTensors).toBe(before);
    expect(c.count.value.arraySync()).toBe(10 + (49 * 50) / 2);
  });

  it('rejects a body that changes the reference structure', () => {
    const c = new Counter();
    expect(() => foriLoop(0, 2, () => new Counter(), c)).toThrow(TransformError);
    expect(() => foriLoop(0, 2, () => new Counter(), c)).toThrow(/same reference and pytree structure/);
  });

  it('whileLoopAsync reads a tensor condition asynchronously', async () => {
    const c = new Counter();
    await whileLoopAsync((m: Counter) => tf.less(m.count.value, 3), (m) => (m.inc(1), m), c);
    expect(c.count.value.arraySync()).toBe(3);
  });
});

describe('loop rollback', () => {
  class Pair extends Module {
    count = new BatchStat<tf.Tensor>(tf.scalar(0));
    total = new BatchStat<tf.Tensor>(tf.zeros([2]));
    mode = 'train';
  }

  /** The body of iteration `failAt` (1-based) throws after writing both Variables and a static attribute. */
  function failingBody(failAt: number): (m: Pair) => Pair {
    let iteration = 0;
    return (m: Pair) => {
      iteration++;
      m.count.value = tf.add(m.count.value, 1);
      m.total.value = tf.add(m.total.value, tf.ones([2]));
      m.mode = `iteration ${iteration}`;
      if (iteration === failAt) throw new Error(`boom in iteration ${iteration}`);
      return m;
    };
  }

  function expectAsBefore(m: Pair, values: readonly tf.Tensor[], before: ReturnType<typeof graphdef>): void {
    expect(m.count.value).toBe(values[0]);
    expect(m.total.value).toBe(values[1]);
    expect(values.some((v) => v.isDisposed)).toBe(false);
    expect(m.mode).toBe('train');
    expect(graphdef(m).equals(before)).toBe(true);
    expect(m.count.value.arraySync()).toBe(0);
    expect(m.total.value.arraySync()).toEqual([0, 0]);
  }

  it.each([
    ['foriLoop', (m: Pair, body: (m: Pair) => Pair) => foriLoop(0, 5, (_i, x: Pair) => body(x), m)],
    [
      'whileLoop',
      (m: Pair, body: (m: Pair) => Pair) =>
        whileLoop((s: { n: number; m: Pair }) => s.n < 5, (s) => ({ n: s.n + 1, m: body(s.m) }), { n: 0, m }),
    ],
  ] as const)('%s: a throw in iteration 3 leaves the caller as before iteration 1 and frees everything', (_name, run) => {
    const m = new Pair();
    const [count, total] = [m.count, m.total];
    const values = [m.count.value, m.total.value];
    const before = graphdef(m);
    const numTensors = tf.memory().numTensors;
    let warm = 0;
    for (let i = 0; i < 8; i++) {
      expect(() => run(m, failingBody(3))).toThrow('boom in iteration 3');
      expect(m.count).toBe(count);
      expect(m.total).toBe(total);
      expectAsBefore(m, values, before);
      expect(tf.memory().numTensors).toBe(numTensors);
      if (i === 2) warm = tf.memory().numBytes;
    }
    expect(tf.memory().numBytes).toBe(warm);
  });

  it('whileLoopAsync: a throw in iteration 3 rolls back that iteration only; iterations 1 and 2 stay', async () => {
    const m = new Pair();
    const [count, total] = [m.count, m.total];
    const [count0, total0] = [m.count.value, m.total.value];
    const numTensors = tf.memory().numTensors;
    const body = failingBody(3);
    let afterTwo: tf.Tensor[] = [];
    let iteration = 0;
    const cond = (x: Pair) => {
      if (++iteration === 3) afterTwo = [x.count.value, x.total.value];
      return tf.less(x.count.value, 5);
    };
    await expect(whileLoopAsync(cond, body, m)).rejects.toThrow('boom in iteration 3');
    expect(m.count).toBe(count);
    expect(m.total).toBe(total);
    // State as after iteration 2: its values are the identical tensors the condition saw before iteration 3.
    expect(afterTwo).toHaveLength(2);
    expect(m.count.value).toBe(afterTwo[0]);
    expect(m.total.value).toBe(afterTwo[1]);
    expect(afterTwo.some((v) => v.isDisposed)).toBe(false);
    expect(m.count.value.arraySync()).toBe(2);
    expect(m.total.value.arraySync()).toEqual([2, 2]);
    expect(m.mode).toBe('iteration 2');
    // Each committed iteration replaced the values it wrote; nothing else the loop allocated stays.
    expect(count0.isDisposed && total0.isDisposed).toBe(true);
    expect(tf.memory().numTensors).toBe(numTensors);
  });

  it('whileLoopAsync keeps memory flat over repeated failing loops', async () => {
    const m = new Pair();
    let warm = { numTensors: 0, numBytes: 0 };
    for (let i = 0; i < 10; i++) {
      // Each loop commits two iterations and rolls back the third.
      await expect(whileLoopAsync((x: Pair) => x.mode !== 'never', failingBody(3), m)).rejects.toThrow('boom in iteration 3');
      if (i === 3) warm = { numTensors: tf.memory().numTensors, numBytes: tf.memory().numBytes };
    }
    expect(tf.memory().numTensors).toBe(warm.numTensors);
    expect(tf.memory().numBytes).toBe(warm.numBytes);
    expect(m.count.value.arraySync()).toBe(20);
  });
});
