import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { BatchStat, Module, Param, ShapeError, TransformError } from '@nnx-ts/module';
import { describe, expect, it } from 'vitest';
import { StateAxes, vmap } from '../src/index.js';
import { expectThrowsAndUnchanged } from './expectUnchanged.js';

class Linear extends Module {
  kernel: Param<tf.Tensor>;
  bias: Param<tf.Tensor>;
  count = new BatchStat<tf.Tensor>(tf.scalar(0));
  constructor(kernel: tf.Tensor, bias: tf.Tensor) {
    super();
    this.kernel = new Param(kernel);
    this.bias = new Param(bias);
  }
  call(x: tf.Tensor): tf.Tensor {
    this.count.value = tf.add(this.count.value, 1);
    return tf.tanh(tf.add(tf.matMul(x, this.kernel.value), this.bias.value));
  }
}

function bits(t: tf.Tensor): number[] {
  return Array.from(new Uint32Array(new Float32Array(t.dataSync()).buffer));
}

describe('vmap', () => {
  it('equals, bit for bit, stacking independent calls on each slice (tensors, nested prefixes)', () => {
    const xs = tf.randomNormal([5, 3, 4], 0, 1, 'float32', 1);
    const w = tf.randomNormal([4, 2], 0, 1, 'float32', 2);
    const f = (p: { x: tf.Tensor; w: tf.Tensor }) => tf.sigmoid(tf.matMul(p.x, p.w));
    const batched = vmap(f, { inAxes: [{ x: 0, w: null }] });
    const ys = batched({ x: xs, w });
    const expected = tf.stack(tf.unstack(xs).map((x) => f({ x, w })));
    expect(ys.shape).toEqual([5, 3, 2]);
    expect(bits(ys)).toEqual(bits(expected));
    const onAxis1 = vmap((x: tf.Tensor) => tf.sum(x, 0), { inAxes: 1, outAxes: 1 })(xs);
    expect(onAxis1.shape).toEqual([4, 3]);
    expect(bits(onAxis1)).toEqual(bits(tf.stack(tf.unstack(xs, 1).map((x) => tf.sum(x, 0)), 1)));
  });

  it('runs an ensemble: mapped module state slices per replica and comes back stacked on its input axis', () => {
    const kernels = tf.randomNormal([3, 4, 2], 0, 1, 'float32', 3);
    const biases = tf.randomNormal([3, 2], 0, 1, 'float32', 4);
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 5);
    const ks = tf.unstack(kernels);
    const bs = tf.unstack(biases);
    const expected = tf.stack([0, 1, 2].map((i) => new Linear(ks[i]!, bs[i]!).call(x)));
    const model = new Linear(kernels, biases);
    model.count.value = tf.zeros([3]);
    const kernelVar = model.kernel;
    const ys = vmap((m: Linear, xb: tf.Tensor) => m.call(xb), { inAxes: [0, null] })(model, x);
    expect(bits(ys)).toEqual(bits(expected));
    expect(model.kernel).toBe(kernelVar);
    expect(model.count.value.arraySync()).toEqual([1, 1, 1]);
    expect(model.kernel.value.shape).toEqual([3, 4, 2]);
  });

  it('StateAxes: Params on axis 0, broadcast state written by replicas is a TransformError and the caller is unchanged', () => {
    const model = new Linear(tf.ones([2, 3, 3]), tf.zeros([2, 3]));
    const kernelBefore = model.kernel.value;
    const countBefore = model.count.value;
    const axes = new StateAxes([
      [Param, 0],
      ['...', null],
    ]);
    const f = vmap((m: Linear, x: tf.Tensor) => m.call(x), { inAxes: [axes, 0] });
    expect(() => f(model, tf.ones([2, 1, 3]))).toThrow(TransformError);
    expect(model.kernel.value).toBe(kernelBefore);
    expect(model.count.value).toBe(countBefore);
    expect(kernelBefore.isDisposed).toBe(false);
    expect(countBefore.arraySync()).toBe(0);
    const readOnly = vmap((m: Linear, x: tf.Tensor) => tf.matMul(x, m.kernel.value), { inAxes: [axes, 0] });
    expect(readOnly(model, tf.ones([2, 1, 3])).shape).toEqual([2, 1, 3]);
  });

  it('StateAxes without a matching filter is a TransformError', () => {
    const model = new Linear(tf.ones([2, 3, 3]), tf.zeros([2, 3]));
    const f = vmap((m: Linear) => m.kernel.value, { inAxes: [new StateAxes([[Param, 0]])] });
    expect(() => f(model)).toThrow(/no axis found/);
    // The class, the full message, and a caller left as it was (the function would write state and an attribute).
    model.count.value = tf.zeros([2]);
    const writes = vmap(
      (m: Linear, x: tf.Tensor) => {
        (m as Linear & { mode?: string }).mode = 'eval';
        return m.call(x);
      },
      { inAxes: [new StateAxes([[Param, 0]]), 0] },
    );
    const x = tf.ones([2, 1, 3]);
    expectThrowsAndUnchanged(
      [model],
      () => writes(model, x),
      TransformError,
      `vmap inAxes: no axis found for path ["count"]; StateAxes filters must cover all state (end with '...').`,
    );
    expect('mode' in model).toBe(false);
  });

  it('builds stacked modules: every Variable of a module created per replica gains the axis', () => {
    const scales = tf.tensor1d([1, 2, 3, 4]);
    const make = vmap((s: tf.Tensor) => new Linear(tf.mul(tf.ones([2, 2]), s), tf.zeros([2])));
    const stacked = make(scales);
    expect(stacked).toBeInstanceOf(Linear);
    expect(stacked.kernel).toBeInstanceOf(Param);
    expect(stacked.kernel.value.shape).toEqual([4, 2, 2]);
    expect(stacked.count.value.shape).toEqual([4]);
    expect((stacked.kernel.value.arraySync() as number[][][]).map((k) => k[0]![0])).toEqual([1, 2, 3, 4]);
  });

  it('uses axisSize when nothing is mapped and rejects inconsistent sizes naming the arguments', () => {
    const ys = vmap(() => tf.scalar(7), { inAxes: [], axisSize: 3 })();
    expect(ys.arraySync()).toEqual([7, 7, 7]);
    expect(() => vmap(() => tf.scalar(7), { inAxes: [] })()).toThrow(/axisSize/);
    const f = vmap((a: tf.Tensor, b: tf.Tensor) => tf.add(a, b));
    expect(() => f(tf.ones([3, 2]), tf.ones([4, 2]))).toThrow(ShapeError);
    expect(() => f(tf.ones([3, 2]), tf.ones([4, 2]))).toThrow(/\[0\].*3.*\[1\].*4/);
    // Mapped Module state against a tensor of another size: the Module is left as it was.
    const model = new Linear(tf.ones([2, 3, 3]), tf.zeros([2, 3]));
    model.count.value = tf.zeros([2]);
    const g = vmap((m: Linear, x: tf.Tensor) => m.call(x));
    const x3 = tf.ones([3, 1, 3]);
    expectThrowsAndUnchanged(
      [model],
      () => g(model, x3),
      ShapeError,
      /vmap: inconsistent sizes for the mapped axis: argument \[0,"\w+"\] has 2, argument \[1\] has 3\./,
    );
    expect(x3.isDisposed).toBe(false);
  });

  it('returns the identical object when an argument is returned, and frees intermediates', () => {
    const model = new Linear(tf.ones([2, 3, 3]), tf.zeros([2, 3]));
    model.count.value = tf.zeros([2]);
    const f = vmap((m: Linear, x: tf.Tensor) => {
      m.call(x);
      return m;
    });
    const x = tf.ones([2, 1, 3]);
    const before = tf.memory().numTensors;
    expect(f(model, x)).toBe(model);
    // Mapped state was restacked (old tensors freed); everything the replicas allocated is gone.
    expect(tf.memory().numTensors).toBe(before);
    expect(model.count.value.arraySync()).toEqual([1, 1]);
  });

  it('keeps memory flat over repeated ensemble calls that update per-replica state', () => {
    const model = new Linear(tf.randomNormal([3, 4, 2], 0, 1, 'float32', 11), tf.zeros([3, 2]));
    model.count.value = tf.zeros([3]);
    const f = vmap((m: Linear, x: tf.Tensor) => m.call(x), { inAxes: [0, null] });
    const x = tf.ones([5, 4]);
    let warm = { numTensors: 0, numBytes: 0 };
    for (let i = 0; i < 30; i++) {
      f(model, x).dispose();
      if (i === 4) warm = { numTensors: tf.memory().numTensors, numBytes: tf.memory().numBytes };
    }
    expect(tf.memory().numTensors).toBe(warm.numTensors);
    expect(tf.memory().numBytes).toBe(warm.numBytes);
    expect(model.count.value.arraySync()).toEqual([30, 30, 30]);
  });

  it('rejects inconsistent aliasing: one module passed with two different axes', () => {
    const model = new Linear(tf.ones([2, 3, 3]), tf.zeros([2, 3]));
    model.count.value = tf.zeros([2]);
    const f = vmap((a: Linear, b: Linear) => tf.add(a.bias.value, b.bias.value), { inAxes: [0, null] });
    expect(() => f(model, model)).toThrow(/Inconsistent aliasing/);
    const writes = vmap(
      (a: Linear, b: Linear) => {
        a.count.value = tf.add(a.count.value, 1);
        return tf.add(a.bias.value, b.bias.value);
      },
      { inAxes: [0, null] },
    );
    expectThrowsAndUnchanged(
      [model],
      () => writes(model, model),
      TransformError,
      /vmap inAxes: Inconsistent aliasing detected: the same Variable is reached at \[0,"\w+"\] with axis 0 and at \[1,"\w+"\] with axis null/,
    );
    // A Variable of the Module passed on its own with another axis.
    const direct = vmap((a: Linear, k: Param<tf.Tensor>) => tf.add(a.bias.value, tf.sum(k.value)), { inAxes: [0, null] });
    expectThrowsAndUnchanged(
      [model],
      () => direct(model, model.kernel),
      TransformError,
      /Inconsistent aliasing detected: the same Variable is reached at \[0,"kernel"\] with axis 0 and at \[1\] with axis null/,
    );
    const same = vmap((a: Linear, b: Linear) => tf.add(a.bias.value, b.bias.value), { inAxes: [0, 0] });
    expect(same(model, model).shape).toEqual([2, 3]);
  });

  it('rejects async functions', () => {
    expect(() => vmap(async (x: tf.Tensor) => x)).toThrow(TransformError);
  });
});

describe('vmap: module state mapped on axis 1', () => {
  /** Every Variable holds the mapped dimension at position 1. */
  class Wide extends Module {
    w: Param<tf.Tensor>;
    stat: BatchStat<tf.Tensor>;
    constructor(w: tf.Tensor, stat: tf.Tensor) {
      super();
      this.w = new Param(w);
      this.stat = new BatchStat(stat);
    }
    call(x: tf.Tensor): tf.Tensor {
      const y = tf.tanh(tf.matMul(x, this.w.value));
      this.stat.value = tf.add(tf.mul(this.stat.value, 0.9), tf.mul(tf.mean(y, 0), 0.1));
      return y;
    }
  }

  it('slices state on axis 1, equals per-slice calls bit for bit, and returns updated state on axis 1', () => {
    const w = tf.randomNormal([4, 3, 2], 0, 1, 'float32', 21); // 3 replicas at axis 1 of [4, 2] kernels
    const stat = tf.randomNormal([2, 3], 0, 1, 'float32', 22); // 3 replicas at axis 1 of [2] stats
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 23);
    // Independent calls on each slice.
    const singles = [0, 1, 2].map((i) => new Wide(tf.squeeze(tf.gather(w, [i], 1), [1]), tf.squeeze(tf.gather(stat, [i], 1), [1])));
    const expectedY = tf.stack(singles.map((m) => m.call(x)));
    const expectedStat = tf.stack(singles.map((m) => m.stat.value), 1);
    const model = new Wide(w, stat);
    const [wVar, statVar] = [model.w, model.stat];
    const f = vmap((m: Wide, xb: tf.Tensor) => m.call(xb), { inAxes: [1, null], outAxes: 0 });
    const before = tf.memory().numTensors;
    const ys = f(model, x);
    // The output is new; the old stat tensor was replaced by the restacked one; nothing else stays allocated.
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(ys.shape).toEqual([3, 5, 2]);
    expect(bits(ys)).toEqual(bits(expectedY));
    expect(model.w).toBe(wVar);
    expect(model.stat).toBe(statVar);
    // Untouched mapped state keeps its tensor; written state comes back stacked on its input axis (1).
    expect(model.w.value).toBe(w);
    expect(model.stat.value.shape).toEqual([2, 3]);
    expect(bits(model.stat.value)).toEqual(bits(expectedStat));
    expect(stat.isDisposed).toBe(true);
  });
});
