import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { ensureGradients } from '@nnx-ts/backend';

ensureGradients();
import { BatchStat, Module, Param, StateError, TransformError } from '@nnx-ts/module';
import { describe, expect, it } from 'vitest';
import { jit, jitCacheInfo, valueAndGrad } from '../src/index.js';

class Counter extends Module {
  count = new BatchStat(tf.scalar(0, 'int32'));
  w = new Param(tf.tensor1d([1, 2, 3]));
  mode: string | number = 'train';
  extra?: Param;
}

class Linear extends Module {
  kernel: Param;
  bias: Param;
  constructor(din: number, dout: number, seed: number) {
    super();
    this.kernel = new Param(tf.randomUniform([din, dout], -0.5, 0.5, 'float32', seed));
    this.bias = new Param(tf.zeros([dout]));
  }
  call(x: tf.Tensor): tf.Tensor {
    return tf.add(tf.matMul(x, this.kernel.value), this.bias.value);
  }
}

describe('jit', () => {
  it('propagates Variable values, static attributes and new Variables to the caller objects', async () => {
    const m = new Counter();
    const wBefore = m.w;
    const step = jit((c: Counter) => {
      c.count.value = tf.add(c.count.value, 1);
      c.w.value = tf.mul(c.w.value, 2);
      c.mode = 2;
      c.extra = new Param(tf.scalar(5));
      return c;
    });
    const out = step(m);
    expect(out).toBe(m);
    expect(m.w).toBe(wBefore);
    expect(Array.from(await m.count.value.data())).toEqual([1]);
    expect(Array.from(await m.w.value.data())).toEqual([2, 4, 6]);
    expect(m.mode).toBe(2);
    expect(m.extra).toBeInstanceOf(Param);
    expect(await m.extra!.value.data()).toEqual(Float32Array.from([5]));
  });

  it('replacing a Param attribute with a number inside jit is reflected outside (Flax test_jit)', () => {
    class Holder extends Module {
      a: Param | number = new Param(tf.scalar(1));
    }
    const m = new Holder();
    jit((h: Holder) => {
      h.a = 2;
    })(m);
    expect(m.a).toBe(2);
  });

  it('frees every intermediate and keeps outputs and state owned by the caller', () => {
    const m = new Linear(4, 3, 1);
    const x = tf.ones([2, 4]);
    const f = jit((lin: Linear, input: tf.Tensor) => tf.sum(tf.relu(tf.tanh(lin.call(input)))));
    const before = tf.memory().numTensors;
    const y = f(m, x);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(y.isDisposed).toBe(false);
    y.dispose();
  });

  it('keeps memory flat over 200 training steps (valueAndGrad + SGD inside jit)', () => {
    const layers = [new Linear(4, 8, 1), new Linear(8, 2, 2)];
    class Net extends Module {
      l1 = layers[0]!;
      l2 = layers[1]!;
      call(x: tf.Tensor) {
        return this.l2.call(tf.relu(this.l1.call(x)));
      }
    }
    const net = new Net();
    const x = tf.randomNormal([16, 4], 0, 1, 'float32', 3);
    const y = tf.randomNormal([16, 2], 0, 1, 'float32', 4);
    const trainStep = jit((model: Net, xb: tf.Tensor, yb: tf.Tensor) => {
      const [loss, grads] = valueAndGrad((m: Net) => tf.mean(tf.square(tf.sub(m.call(xb), yb))))(model);
      for (const layer of [model.l1, model.l2]) {
        for (const name of ['kernel', 'bias'] as const) {
          const g = (grads as any)[layer === model.l1 ? 'l1' : 'l2'][name].value as tf.Tensor;
          layer[name].value = tf.sub(layer[name].value, tf.mul(g, 0.05));
        }
      }
      return loss;
    });
    const losses: number[] = [];
    let warm = { numTensors: 0, numBytes: 0 };
    for (let i = 0; i < 200; i++) {
      const loss = trainStep(net, x, y);
      losses.push(loss.arraySync() as number);
      loss.dispose();
      if (i === 9) warm = { numTensors: tf.memory().numTensors, numBytes: tf.memory().numBytes };
    }
    expect(tf.memory().numTensors).toBe(warm.numTensors);
    expect(tf.memory().numBytes).toBe(warm.numBytes);
    expect(losses[199]!).toBeLessThan(losses[0]! * 0.8);
    // Every step after the first took the cached path.
    expect(jitCacheInfo(trainStep)).toEqual({ hits: 199, misses: 1, size: 1 });
  });

  it('when the function throws, the arguments are rolled back and everything the call allocated is freed', () => {
    const m = new Counter();
    const original = m.w.value;
    const before = tf.memory().numTensors;
    const f = jit((c: Counter) => {
      c.w.value = tf.add(c.w.value, tf.ones([3]));
      c.w.value = tf.mul(c.w.value, 2);
      c.extra = new Param(tf.zeros([2]));
      tf.square(c.w.value);
      throw new Error('boom');
    });
    expect(() => f(m)).toThrow('boom');
    expect(m.w.value).toBe(original);
    expect(Array.from(m.w.value.dataSync())).toEqual([1, 2, 3]);
    expect(m.extra).toBeUndefined();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('frees the tensors of a temporary Module created inside (nothing outside reaches it)', () => {
    const f = jit((x: tf.Tensor) => tf.sum(new Linear(4, 3, 7).call(x)));
    const grad = valueAndGrad((x: tf.Tensor) => tf.sum(new Linear(4, 3, 7).call(x)));
    const nested = jit((x: tf.Tensor) => grad(x)[0]);
    const x = tf.ones([2, 4]);
    const sums = [f, nested].map((g) => g(x).dataSync()[0]!);
    expect(sums[1]).toBeCloseTo(sums[0]!, 5);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      f(x).dispose();
      nested(x).dispose();
      tf.dispose(grad(x));
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a Variable created inside that escapes by closure is freed, and reading it says why', () => {
    let leaked: Param | undefined;
    let kept: Param | undefined;
    const f = jit((c: Counter) => {
      leaked = new Param(tf.scalar(3));
      kept = new Param(tf.scalar(4));
      c.extra = kept;
    });
    const m = new Counter();
    f(m);
    expect(() => leaked!.value).toThrow(StateError);
    expect(() => leaked!.value).toThrow(/freed when the jit call that created it returned/);
    expect(leaked!.shape).toEqual([]);
    expect(m.extra).toBe(kept);
    expect(kept!.value.dataSync()[0]).toBe(4);
  });

  it('rejects async functions and promise-returning functions with TransformError', () => {
    expect(() => jit(async (x: tf.Tensor) => x)).toThrow(TransformError);
    const f = jit((x: number) => Promise.resolve(x));
    expect(() => f(1)).toThrow(TransformError);
  });

  it('passes static arguments through untouched', () => {
    const f = jit((x: tf.Tensor, activation: 'relu' | 'neg') => (activation === 'relu' ? tf.relu(x) : tf.neg(x)), {
      staticArgnums: [1],
    });
    const x = tf.tensor1d([-1, 2]);
    expect(Array.from(f(x, 'relu').dataSync())).toEqual([0, 2]);
    expect(Array.from(f(x, 'neg').dataSync())).toEqual([1, -2]);
  });
});

describe('jit cache per argument GraphDef', () => {
  const snapshot = (c: Counter) => ({
    keys: Object.keys(c).sort(),
    mode: c.mode,
    w: c.w,
    wValue: c.w.value,
    count: c.count.value,
  });

  it('a repeated call on an unchanged graph hits; a static change between calls misses once', () => {
    const m = new Counter();
    const f = jit((c: Counter, x: tf.Tensor) => {
      c.count.value = tf.add(c.count.value, 1);
      return tf.mul(c.w.value, x);
    });
    const call = (i: number) => {
      const x = tf.scalar(i);
      tf.dispose([f(m, x), x]);
    };
    call(0);
    const warm = tf.memory().numTensors;
    for (let i = 1; i < 3; i++) call(i);
    expect(jitCacheInfo(f)).toEqual({ hits: 2, misses: 1, size: 1 });
    m.mode = 'eval';
    for (let i = 0; i < 3; i++) call(i);
    expect(jitCacheInfo(f)).toEqual({ hits: 4, misses: 2, size: 2 });
    expect(m.count.value.dataSync()[0]).toBe(6);
    expect(tf.memory().numTensors).toBe(warm);
  });

  it('a new batch object per call around the same model hits the cache', () => {
    const m = new Counter();
    const f = jit((c: Counter, batch: { x: tf.Tensor; scale: number }) => tf.mul(tf.mul(c.w.value, batch.x), batch.scale));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 4; i++) {
      const x = tf.scalar(i);
      const y = f(m, { x, scale: 2 });
      expect(Array.from(y.dataSync())).toEqual([2 * i, 4 * i, 6 * i]);
      tf.dispose([x, y]);
      expect(tf.memory().numTensors).toBe(before);
    }
    expect(jitCacheInfo(f)).toEqual({ hits: 3, misses: 1, size: 1 });
  });

  it('a cached call that changes structure propagates it, and the next call flattens the new graph', () => {
    const m = new Counter();
    const grow = jit((c: Counter, add: boolean) => {
      if (add) c.extra = new Param(tf.scalar(7));
      c.w.value = tf.add(c.w.value, 1);
    });
    grow(m, false);
    grow(m, false);
    expect(jitCacheInfo(grow).hits).toBe(1);
    grow(m, true);
    expect(m.extra).toBeInstanceOf(Param);
    grow(m, true);
    expect(m.extra).toBeInstanceOf(Param);
    expect(Array.from(m.w.value.dataSync())).toEqual([5, 6, 7]);
    expect(jitCacheInfo(grow)).toEqual({ hits: 1, misses: 3, size: 3 });
  });

  it('a cached call that changes structure and throws is rolled back exactly, with nothing leaked', () => {
    const m = new Counter();
    const f = jit((c: Counter, fail: boolean) => {
      c.w.value = tf.mul(c.w.value, 2);
      if (fail) {
        c.mode = 9;
        c.extra = new Param(tf.zeros([2]));
        c.w = new Param(tf.ones([3]));
        throw new Error('boom');
      }
    });
    f(m, false);
    f(m, false);
    expect(jitCacheInfo(f).hits).toBe(1);
    const before = snapshot(m);
    const tensors = tf.memory().numTensors;
    expect(() => f(m, true)).toThrow('boom');
    expect(snapshot(m)).toEqual(before);
    expect(m.w).toBe(before.w);
    expect(m.w.value).toBe(before.wValue);
    expect(tf.memory().numTensors).toBe(tensors);
    f(m, false);
    expect(jitCacheInfo(f).hits).toBe(2);
    expect(Array.from(m.w.value.dataSync())).toEqual([8, 16, 24]);
  });

  it('jitCacheInfo names what it was given when that is not a jitted function', () => {
    expect(() => jitCacheInfo(function plain() {})).toThrow(/plain was not made by jit/);
  });
});

class Stepper extends Module {
  count = new BatchStat(tf.scalar(0, 'int32'));

  @jit
  step(by: number): tf.Tensor {
    this.count.value = tf.add(this.count.value, by);
    return tf.mul(this.count.value, 10);
  }

  @jit({ staticArgnums: [1] })
  scaled(factor: number): tf.Tensor {
    return tf.mul(this.count.value, factor);
  }
}

describe('jit as a TC39 method decorator', () => {
  it('runs under vitest with `this` as argument 0 and propagates state', async () => {
    const s = new Stepper();
    const before = tf.memory().numTensors;
    const a = s.step(2);
    const b = s.step(3);
    expect(Array.from(await a.data())).toEqual([20]);
    expect(Array.from(await b.data())).toEqual([50]);
    expect(Array.from(await s.count.value.data())).toEqual([5]);
    expect(Array.from(await s.scaled(3).data())).toEqual([15]);
    tf.dispose([a, b]);
    expect(tf.memory().numTensors).toBe(before + 1);
    // `by` is an argument: 2 then 3 are different GraphDefs.
    expect(jitCacheInfo(s.step)).toEqual({ hits: 0, misses: 2, size: 2 });
    s.step(3).dispose();
    expect(jitCacheInfo(s.step)).toEqual({ hits: 1, misses: 2, size: 2 });
  });
});
