import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { gelu, logSoftmax, relu, sigmoid, silu, softmax, tanh } from '../src/index.js';
import { fixture } from './fixtures.js';

const fx = fixture('activations');
const activations: Record<string, (x: tf.Tensor) => tf.Tensor> = {
  relu,
  sigmoid,
  silu,
  tanh,
  softmax: (x) => softmax(x),
  logSoftmax: (x) => logSoftmax(x),
  gelu: (x) => gelu(x),
  geluExact: (x) => gelu(x, { approximate: false }),
};

describe('activations (Flax parity)', () => {
  it.each(Object.keys(activations))('%s matches flax.nnx within 1e-6', async (name) => {
    const x = tf.tensor(fx.x, fx.shape);
    const y = activations[name]!(x);
    expect(y.shape).toEqual(fx.shape);
    const got = await y.data();
    (fx[name] as number[]).forEach((w, i) => expect(Math.abs(got[i]! - w), `${name}[${i}]`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(w))));
    tf.dispose([x, y]);
  });

  it('leaves no intermediate tensors behind', () => {
    const x = tf.tensor(fx.x, fx.shape);
    const before = tf.memory().numTensors;
    for (const f of Object.values(activations)) f(x).dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
