import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { BatchStat, Module, Param, ShapeError, TransformError } from '@nnx-ts/module';
import { describe, expect, it } from 'vitest';
import { Carry, StateAxes, scan, vmap } from '../src/index.js';
import { expectThrowsAndUnchanged } from './expectUnchanged.js';

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

  it('rejects a nested Carry and a missing length with TransformError (class and message)', () => {
    const nested = () => scan((c: tf.Tensor) => c, { inAxes: [[Carry]], outAxes: Carry });
    expect(nested).toThrow(TransformError);
    expect(nested).toThrow(/scan: Carry must be at the top level of inAxes/);
    const nestedOut = () => scan((c: tf.Tensor) => c, { inAxes: Carry, outAxes: { c: Carry } });
    expect(nestedOut).toThrow(TransformError);
    expect(nestedOut).toThrow(/scan: Carry must be at the top level of outAxes/);
    const c = tf.scalar(1);
    const numTensors = tf.memory().numTensors;
    const noLength = () => scan((x: tf.Tensor) => x, { inAxes: [Carry], outAxes: [Carry] })(c);
    expect(noLength).toThrow(TransformError);
    expect(noLength).toThrow(/scan: nothing is scanned; pass length/);
    expect(c.isDisposed).toBe(false);
    expect(tf.memory().numTensors).toBe(numTensors);
  });

  it('a carry whose reference changes is a TransformError and leaves the caller unchanged', () => {
    const foo = new Foo(tf.scalar(0));
    const swap = scan((f: Foo) => new Foo(tf.add(f.n.value, 1)), { inAxes: Carry, outAxes: Carry, length: 2 });
    expectThrowsAndUnchanged([foo], () => swap(foo), TransformError, /scan: Carry references must be the same between iterations/);
    expect(foo.n.value.arraySync()).toBe(0);
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

describe('scan errors leave the caller unchanged', () => {
  class Stats extends Module {
    w: Param<tf.Tensor>;
    total: BatchStat<tf.Tensor>;
    mode = 'train';
    constructor(w: tf.Tensor, total: tf.Tensor) {
      super();
      this.w = new Param(w);
      this.total = new BatchStat(total);
    }
  }

  it('scanned arguments of different lengths are a ShapeError naming the arguments and sizes', () => {
    const loop = scan((c: tf.Tensor, x: tf.Tensor, y: tf.Tensor) => [tf.add(c, tf.add(x, y)), x], { inAxes: [Carry, 0, 0], outAxes: [Carry, 0] });
    const [c, xs, ys] = [tf.scalar(0), tf.ones([3]), tf.ones([4])];
    const numTensors = tf.memory().numTensors;
    const attempt = () => loop(c, xs, ys);
    expect(attempt).toThrow(ShapeError);
    expect(attempt).toThrow('scan: inconsistent lengths: scan argument [1] gives 3, scan argument [2] has 4.');
    expect([c, xs, ys].some((t) => t.isDisposed)).toBe(false);
    expect(tf.memory().numTensors).toBe(numTensors);
    // Module state scanned on axis 0 against a tensor of another length: the message names the Variable's path.
    const m = new Stats(tf.ones([3, 2]), tf.zeros([3]));
    const withModule = scan(
      (mm: Stats, x: tf.Tensor) => {
        mm.total.value = tf.add(mm.total.value, tf.sum(x));
        mm.mode = 'eval';
        return x;
      },
      { inAxes: [0, 0], outAxes: 0 },
    );
    const x5 = tf.ones([5, 2]);
    expectThrowsAndUnchanged([m], () => withModule(m, x5), ShapeError, /scan argument \[0,"\w+"\] gives 3, scan argument \[1\] has 5/);
    expect(m.mode).toBe('train');
  });

  it('a carry that changes shape between steps is a ShapeError; the caller is unchanged', () => {
    const grow = scan((c: tf.Tensor, x: tf.Tensor) => [tf.concat([c, tf.reshape(x, [1])]), x], { inAxes: [Carry, 0], outAxes: [Carry, 0] });
    const [c, xs] = [tf.zeros([1]), tf.ones([3])];
    const numTensors = tf.memory().numTensors;
    const attempt = () => grow(c, xs);
    expect(attempt).toThrow(ShapeError);
    expect(attempt).toThrow(
      'scan: the carry at [0] changed from float32[1] to float32[2] between iterations; the carry must keep its shape and dtype.',
    );
    expect(c.isDisposed || xs.isDisposed).toBe(false);
    expect(tf.memory().numTensors).toBe(numTensors);
    // A Module carry whose Variable changes shape in a step: the caller's Module keeps its Variable and value.
    const m = new Stats(tf.ones([2]), tf.zeros([2]));
    const growState = scan(
      (mm: Stats, x: tf.Tensor) => {
        mm.total.value = tf.concat([mm.total.value, tf.reshape(x, [1])]);
        mm.mode = 'eval';
        return [mm, x];
      },
      { inAxes: [Carry, 0], outAxes: [Carry, 0] },
    );
    const x3 = tf.ones([3]);
    expectThrowsAndUnchanged(
      [m],
      () => growState(m, x3),
      ShapeError,
      /scan: the carry at \[0,"total"\] changed from float32\[2\] to float32\[3\] between iterations/,
    );
    expect(m.mode).toBe('train');
  });

  it('a carry that changes dtype between steps is a ShapeError; the caller is unchanged', () => {
    const cast = scan((c: tf.Tensor, x: tf.Tensor) => [tf.cast(tf.add(c, x), 'int32'), x], { inAxes: [Carry, 0], outAxes: [Carry, 0] });
    const [c, xs] = [tf.scalar(0), tf.ones([3])];
    const numTensors = tf.memory().numTensors;
    const attempt = () => cast(c, xs);
    expect(attempt).toThrow(ShapeError);
    expect(attempt).toThrow('scan: the carry at [0] changed from float32[] to int32[] between iterations; the carry must keep its shape and dtype.');
    expect(c.isDisposed || xs.isDisposed).toBe(false);
    expect(tf.memory().numTensors).toBe(numTensors);
    const m = new Stats(tf.ones([2]), tf.zeros([2]));
    const castState = scan(
      (mm: Stats, x: tf.Tensor) => {
        mm.total.value = tf.cast(tf.add(mm.total.value, x), 'int32');
        return [mm, x];
      },
      { inAxes: [Carry, 0], outAxes: [Carry, 0] },
    );
    const x3 = tf.ones([3]);
    expectThrowsAndUnchanged([m], () => castState(m, x3), ShapeError, /scan: the carry at \[0,"total"\] changed from float32\[2\] to int32\[2\]/);
  });

  it('StateAxes that do not cover all state are a TransformError; the caller is unchanged', () => {
    const m = new Stats(tf.ones([3, 2]), tf.zeros([3]));
    const loop = scan(
      (mm: Stats, c: tf.Tensor) => {
        mm.total.value = tf.add(mm.total.value, 1);
        mm.mode = 'eval';
        return tf.add(c, tf.sum(mm.w.value));
      },
      { inAxes: [new StateAxes([[Param, 0]]), Carry], outAxes: Carry },
    );
    const c0 = tf.scalar(0);
    expectThrowsAndUnchanged(
      [m],
      () => loop(m, c0),
      TransformError,
      /scan inAxes: no axis found for path \["total"\]; StateAxes filters must cover all state \(end with '\.\.\.'\)/,
    );
    expect(m.mode).toBe('train');
  });

  it('the same Variable reached with two different axes is an inconsistent-aliasing TransformError; the caller is unchanged', () => {
    const m = new Stats(tf.ones([3, 2]), tf.zeros([3]));
    const sumBoth = (a: Stats, b: Stats, c: tf.Tensor) => tf.add(c, tf.sum(tf.add(a.w.value, b.w.value)));
    const twice = scan(sumBoth, { inAxes: [0, null, Carry], outAxes: Carry });
    const c0 = tf.scalar(0);
    expectThrowsAndUnchanged(
      [m],
      () => twice(m, m, c0),
      TransformError,
      /scan inAxes: Inconsistent aliasing detected: the same Variable is reached at \[0,"\w+"\] with axis 0 and at \[1,"\w+"\] with axis null/,
    );
    // A Variable passed on its own next to its Module, with another axis.
    const direct = scan((a: Stats, w: Param<tf.Tensor>, c: tf.Tensor) => tf.add(c, tf.sum(tf.add(a.w.value, w.value))), {
      inAxes: [0, null, Carry],
      outAxes: Carry,
    });
    expectThrowsAndUnchanged(
      [m],
      () => direct(m, m.w, c0),
      TransformError,
      /Inconsistent aliasing detected: the same Variable is reached at \[0,"w"\] with axis 0 and at \[1\] with axis null/,
    );
    // The same axis from both paths is fine.
    const same = scan(sumBoth, { inAxes: [0, 0, Carry], outAxes: Carry });
    expect(same(m, m, tf.scalar(0)).arraySync()).toBe(12);
  });
});
