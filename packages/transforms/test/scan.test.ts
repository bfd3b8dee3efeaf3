import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { BatchStat, Module, Param, TransformError } from '@nnx-ts/module';
import { describe, expect, it } from 'vitest';
import { Carry, StateAxes, scan, vmap } from '../src/index.js';

class Foo extends Module {
  n: BatchStat<tf.Tensor>;
  constructor(n: tf.Tensor) {
    super();
    this.n = new BatchStat(n);
  }
}

class Linear extends Module {
  kernel: Param<tf.Tensor>;
  bias: Param<tf.Tensor>;
  constructor(kernel: tf.Tensor, bias: tf.Tensor) {
    super();
    this.kernel = new Param(kernel);
    this.bias = new Param(bias);
  }
  call(x: tf.Tensor): tf.Tensor {
    return tf.tanh(tf.add(tf.matMul(x, this.kernel.value), this.bias.value));
  }
}

function bits(t: tf.Tensor): number[] {
  return Array.from(new Uint32Array(new Float32Array(t.dataSync()).buffer));
}

describe('scan (Flax transforms_test facts)', () => {
  it('all carry: BatchStat(0) incremented 3 times ends at 3 and returns the same object', () => {
    const foo = new Foo(tf.scalar(0));
    const loop = scan(
      (f: Foo) => {
        f.n.value = tf.add(f.n.value, 1);
        return f;
      },
      { inAxes: Carry, outAxes: Carry, length: 3 },
    );
    expect(loop(foo)).toBe(foo);
    expect(foo.n.value.arraySync()).toBe(3);
  });

  it('all scan: state on axis 0 and xs give ys = [1, 2, 3] and state [1, 2, 3]', () => {
    const foo = new Foo(tf.range(0, 3));
    const loop = scan(
      (f: Foo, x: tf.Tensor) => {
        f.n.value = tf.add(f.n.value, 1);
        return tf.add(x, 1);
      },
      { inAxes: 0, outAxes: 0 },
    );
    const ys = loop(foo, tf.range(0, 3));
    expect(ys.arraySync()).toEqual([1, 2, 3]);
    expect(foo.n.value.arraySync()).toEqual([1, 2, 3]);
  });

  it('all broadcast: length 4 stacks x + n, and broadcast state mutations are discarded', () => {
    const foo = new Foo(tf.scalar(2));
    const loop = scan(
      (f: Foo, x: tf.Tensor) => {
        const y = tf.add(x, f.n.value);
        f.n.value = tf.add(f.n.value, 100);
        return y;
      },
      { inAxes: null, outAxes: 0, length: 4 },
    );
    expect(loop(foo, tf.scalar(1)).arraySync()).toEqual([3, 3, 3, 3]);
    expect(foo.n.value.arraySync()).toBe(2);
  });

  it('only carry with stacked outputs: cs = 1..5', () => {
    const foo = new Foo(tf.scalar(0));
    const loop = scan(
      (f: Foo) => {
        f.n.value = tf.add(f.n.value, 1);
        return [f, f.n.value];
      },
      { inAxes: Carry, outAxes: [Carry, 0], length: 5 },
    );
    const [out, cs] = loop(foo) as unknown as [Foo, tf.Tensor];
    expect(out).toBe(foo);
    expect(cs.arraySync()).toEqual([1, 2, 3, 4, 5]);
    expect(foo.n.value.arraySync()).toBe(5);
  });

  it('scan over stacked layers built with vmap equals the sequential loop bit for bit', () => {
    const kernels = tf.randomNormal([5, 3, 3], 0, 1, 'float32', 7);
    const biases = tf.randomNormal([5, 3], 0, 1, 'float32', 8);
    const ks = tf.unstack(kernels);
    const bs = tf.unstack(biases);
    const x = tf.randomNormal([2, 3], 0, 1, 'float32', 9);
    let expected = x;
    for (let i = 0; i < 5; i++) expected = new Linear(tf.clone(ks[i]!), tf.clone(bs[i]!)).call(expected);
    const stack = vmap((k: tf.Tensor, b: tf.Tensor) => new Linear(k, b))(kernels, biases);
    expect(stack.kernel.value.shape).toEqual([5, 3, 3]);
    const forward = scan((layer: Linear, h: tf.Tensor) => layer.call(h), { inAxes: [0, Carry], outAxes: Carry });
    const before = tf.memory().numTensors;
    const y = forward(stack, x);
    expect(x.isDisposed).toBe(false);
    expect(stack.kernel.value.isDisposed).toBe(false);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(bits(y)).toEqual(bits(expected));
  });

  it('reverse iterates from the end and keeps stacked outputs in index order', () => {
    const loop = scan((c: tf.Tensor, x: tf.Tensor) => [tf.add(c, x), tf.add(c, x)], { reverse: true });
    const [c, ys] = loop(tf.scalar(0), tf.tensor1d([1, 2, 3])) as unknown as [tf.Tensor, tf.Tensor];
    expect(c.arraySync()).toBe(6);
    expect(ys.arraySync()).toEqual([6, 5, 3]);
  });

  it('StateAxes mixing axis, null and Carry', () => {
    class Model extends Module {
      w = new Param(tf.tensor1d([1, 2, 3]));
      total = new BatchStat(tf.scalar(0));
    }
    const m = new Model();
    const axes = new StateAxes([
      [Param, 0],
      [BatchStat, Carry],
    ]);
    const loop = scan(
      (mm: Model, c: tf.Tensor) => {
        mm.total.value = tf.add(mm.total.value, mm.w.value);
        return [tf.add(c, 1), mm.total.value];
      },
      { inAxes: [axes, Carry], outAxes: [Carry, 0] },
    );
    const [c, totals] = loop(m, tf.scalar(0)) as unknown as [tf.Tensor, tf.Tensor];
    expect(c.arraySync()).toBe(3);
    expect(totals.arraySync()).toEqual([1, 3, 6]);
    expect(m.total.value.arraySync()).toBe(6);
    expect(m.w.value.arraySync()).toEqual([1, 2, 3]);
  });

  it('rejects bad Carry usage, null outputs and changed carry references with TransformError', () => {
    expect(() => scan((c: tf.Tensor) => c, { inAxes: [Carry, Carry], outAxes: Carry })).toThrow(/multiple Carry/);
    expect(() => scan((c: tf.Tensor) => c, { inAxes: [[Carry]], outAxes: Carry })).toThrow(/top level/);
    expect(() => scan((c: tf.Tensor) => c, { inAxes: [Carry, 0], outAxes: 0 })).toThrow(/other must too/);
    expect(() => scan((c: tf.Tensor) => c, { inAxes: [Carry, 0], outAxes: [Carry, null] })).toThrow(/broadcast output/);
    const oneArg = scan((a: tf.Tensor) => a, { inAxes: Carry, outAxes: Carry, length: 2 }) as (...a: tf.Tensor[]) => tf.Tensor;
    expect(() => oneArg(tf.scalar(1), tf.scalar(2))).toThrow(/exactly one argument/);
    expect(() => scan((c: tf.Tensor) => c, { inAxes: [Carry], outAxes: [Carry] })(tf.scalar(1))).toThrow(/pass length/);
    const foo = new Foo(tf.scalar(0));
    const swap = scan((f: Foo) => new Foo(tf.add(f.n.value, 1)), { inAxes: Carry, outAxes: Carry, length: 2 });
    expect(() => swap(foo)).toThrow(TransformError);
    expect(() => swap(foo)).toThrow(/references must be the same/);
  });

  it('keeps memory flat over repeated scans that write carried, scanned and broadcast state', () => {
    class State3 extends Module {
      carried = new BatchStat(tf.scalar(0));
      perStep = new BatchStat(tf.zeros([4]));
      shared = new BatchStat(tf.scalar(1));
    }
    const m = new State3();
    const axes = new StateAxes([
      [(path: readonly (string | number)[]) => path[0] === 'carried', Carry],
      [(path: readonly (string | number)[]) => path[0] === 'perStep', 0],
      ['...', null],
    ]);
    const loop = scan(
      (mm: State3, c: tf.Tensor, x: tf.Tensor) => {
        mm.carried.value = tf.add(mm.carried.value, x);
        mm.perStep.value = tf.add(mm.perStep.value, x);
        mm.shared.value = tf.mul(mm.shared.value, 2);
        return [tf.add(c, mm.shared.value), mm.carried.value];
      },
      { inAxes: [axes, Carry, 0], outAxes: [Carry, 0] },
    );
    const xs = tf.tensor1d([1, 2, 3, 4]);
    const c0 = tf.scalar(0);
    let warm = { numTensors: 0, numBytes: 0 };
    for (let i = 0; i < 30; i++) {
      const [c, ys] = loop(m, c0, xs) as unknown as [tf.Tensor, tf.Tensor];
      if (i === 0) {
        expect(c.arraySync()).toBe(8);
        expect(ys.arraySync()).toEqual([1, 3, 6, 10]);
      }
      tf.dispose([c, ys]);
      if (i === 4) warm = { numTensors: tf.memory().numTensors, numBytes: tf.memory().numBytes };
    }
    expect(tf.memory().numTensors).toBe(warm.numTensors);
    expect(tf.memory().numBytes).toBe(warm.numBytes);
    expect(m.carried.value.arraySync()).toBe(300);
    expect(m.perStep.value.arraySync()).toEqual([30, 60, 90, 120]);
    expect(m.shared.value.arraySync()).toBe(1);
  });

  it('leaves the caller objects unchanged when a step throws', () => {
    const foo = new Foo(tf.scalar(0));
    const before = foo.n.value;
    let step = 0;
    const loop = scan(
      (f: Foo) => {
        f.n.value = tf.add(f.n.value, 1);
        if (++step === 3) throw new Error('boom');
        return f;
      },
      { inAxes: Carry, outAxes: Carry, length: 5 },
    );
    expect(() => loop(foo)).toThrow('boom');
    expect(foo.n.value).toBe(before);
    expect(before.arraySync()).toBe(0);
  });
});
