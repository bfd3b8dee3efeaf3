import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { ensureGradients } from '@nnx-ts/backend';

ensureGradients();
import { Module, Param, Variable } from '@nnx-ts/module';
import { describe, expect, it } from 'vitest';
import { Carry, grad, remat, scan, vmap } from '../src/index.js';

class Layer extends Module {
  kernel: Param<tf.Tensor>;
  constructor(kernel: tf.Tensor) {
    super();
    this.kernel = new Param(kernel);
  }

  // Scan over layers: `this` (argument 0) holds stacked state, x is the carry.
  @scan({ inAxes: [0, Carry], outAxes: Carry })
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tanh(tf.matMul(x, this.kernel.value));
  }

  @vmap({ inAxes: [0, null] })
  ensemble(x: tf.Tensor): tf.Tensor {
    return tf.matMul(x, this.kernel.value);
  }

  @remat
  block(x: tf.Tensor): tf.Tensor {
    return tf.sigmoid(tf.matMul(x, this.kernel.value));
  }
}

describe('transforms as TC39 method decorators (lowered under vitest)', () => {
  it('@scan and @vmap treat `this` as argument 0', () => {
    const kernels = tf.randomNormal([3, 2, 2], 0, 1, 'float32', 5);
    const ks = tf.unstack(kernels).map((k) => tf.clone(k));
    const x = tf.tensor2d([[1, -1]]);
    let expected = x;
    for (const k of ks) expected = tf.tanh(tf.matMul(expected, k));
    const stacked = new Layer(kernels);
    expect(Array.from(stacked.forward(x).dataSync())).toEqual(Array.from(expected.dataSync()));
    const ys = stacked.ensemble(x);
    expect(ys.shape).toEqual([3, 1, 2]);
    expect(Array.from(ys.dataSync())).toEqual(ks.flatMap((k) => Array.from(tf.matMul(x, k).dataSync())));
  });

  it('@remat keeps gradients exact', () => {
    const layer = new Layer(tf.tensor2d([[0.5, -1], [2, 0.25]]));
    const x = tf.tensor2d([[1, 2]]);
    const g1 = grad((l: Layer) => tf.sum(l.block(x)))(layer);
    const g2 = grad((l: Layer) => tf.sum(tf.sigmoid(tf.matMul(x, l.kernel.value))))(layer);
    expect(Array.from((g1 as any).kernel.value.dataSync())).toEqual(Array.from((g2 as any).kernel.value.dataSync()));
  });

  it('grad of a bare Variable argument returns a Variable of the same type (Flax test_variables_in_grad)', () => {
    const w = new Param(tf.tensor1d([1, 2]));
    const g = grad((p: Param<tf.Tensor>) => tf.sum(tf.square(p.value)))(w) as unknown as Variable<tf.Tensor>;
    expect(g).toBeInstanceOf(Param);
    expect(g).not.toBe(w);
    expect(Array.from(g.value.dataSync())).toEqual([2, 4]);
  });
});
