import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { BatchStat, Module, TransformError } from '@nnx-ts/module';
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
