import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { ShapeError } from '@nnx-ts/module';
import { Rngs } from '@nnx-ts/rng';
import { BatchNorm, LayerNorm, RMSNorm, gelu } from '../src/index.js';
import { fixture } from './fixtures.js';

const fx = fixture<{
  x: number[];
  shape: number[];
  batchNorm: { train: number[]; mean: number[]; var: number[]; eval: number[] };
  layerNorm: number[];
  rmsNorm: number[];
  gelu: number[];
  geluExact: number[];
}>('normalization');

async function expectClose(t: tf.Tensor, want: number[], digits = 5): Promise<void> {
  const got = await t.data();
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, digits));
}

describe('normalisation layers at Flax parity', () => {
  it('BatchNorm: train output, running stats, then eval output', async () => {
    const x = tf.tensor(fx.x, fx.shape);
    const bn = new BatchNorm(4, { rngs: new Rngs(0) });
    const y = bn.call(x);
    await expectClose(y, fx.batchNorm.train);
    await expectClose(bn.mean.value, fx.batchNorm.mean, 6);
    await expectClose(bn.var.value, fx.batchNorm.var, 6);
    bn.eval();
    expect(bn.useRunningAverage).toBe(true);
    const yEval = bn.call(x);
    await expectClose(yEval, fx.batchNorm.eval);
    tf.dispose([x, y, yEval]);
  });

  it('LayerNorm and RMSNorm', async () => {
    const x = tf.tensor(fx.x, fx.shape);
    const ln = new LayerNorm(4, { rngs: new Rngs(0) }).call(x);
    const rms = new RMSNorm(4, { rngs: new Rngs(0) }).call(x);
    await expectClose(ln, fx.layerNorm);
    await expectClose(rms, fx.rmsNorm);
    tf.dispose([x, ln, rms]);
  });

  it('gelu (approximate by default) and exact gelu', async () => {
    const x = tf.tensor(fx.x, fx.shape);
    const a = gelu(x);
    const e = gelu(x, { approximate: false });
    await expectClose(a, fx.gelu);
    await expectClose(e, fx.geluExact);
    tf.dispose([x, a, e]);
  });

  it('rejects a wrong feature dimension with a ShapeError', () => {
    const x = tf.ones([2, 3]);
    expect(() => new BatchNorm(4, { rngs: new Rngs(0) }).call(x)).toThrow(ShapeError);
    expect(() => new LayerNorm(4, { rngs: new Rngs(0) }).call(x)).toThrow(/LayerNorm.*4.*\[2, 3\]/);
    x.dispose();
  });

  it('BatchNorm training keeps tf.memory() flat in a loop', () => {
    const x = tf.tensor(fx.x, fx.shape);
    const bn = new BatchNorm(4, { rngs: new Rngs(0) });
    bn.call(x).dispose();
    const before = tf.memory();
    for (let i = 0; i < 20; i++) bn.call(x).dispose();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    x.dispose();
  });
});
