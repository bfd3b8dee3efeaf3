import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { grad } from '@nnx-ts/transforms';
import { l2Loss, softmaxCrossEntropy, softmaxCrossEntropyWithIntegerLabels, squaredError } from '../src/index.js';
import { fixture } from './fixtures.js';

const fx = fixture('losses');
const logits = () => tf.tensor(fx.logits, fx.shape);

async function expectClose(t: tf.Tensor, want: number[]): Promise<void> {
  const got = await t.data();
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(Math.abs(got[i]! - w)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(w))));
  t.dispose();
}

describe('losses (optax parity)', () => {
  it('softmaxCrossEntropyWithIntegerLabels matches optax, stable for large logits', async () => {
    const x = logits();
    const labels = tf.tensor1d(fx.labels, 'int32');
    await expectClose(softmaxCrossEntropyWithIntegerLabels(x, labels), fx.softmax_cross_entropy_with_integer_labels);
    tf.dispose([x, labels]);
  });

  it('softmaxCrossEntropy matches optax', async () => {
    const x = logits();
    const probs = tf.tensor(fx.probs, fx.shape);
    await expectClose(softmaxCrossEntropy(x, probs), fx.softmax_cross_entropy);
    tf.dispose([x, probs]);
  });

  it('squaredError and l2Loss match optax', async () => {
    const p = tf.tensor1d(fx.pred);
    const t = tf.tensor1d(fx.target);
    await expectClose(squaredError(p, t), fx.squared_error);
    await expectClose(l2Loss(p, t), fx.l2_loss);
    tf.dispose([p, t]);
  });

  it('integer-label cross-entropy has the softmax-minus-one-hot gradient and does not leak', async () => {
    const x = logits();
    const labels = tf.tensor1d(fx.labels, 'int32');
    grad((l: tf.Tensor) => tf.sum(softmaxCrossEntropyWithIntegerLabels(l, labels)))(x).dispose(); // warm-up
    const before = tf.memory().numTensors;
    const g = grad((l: tf.Tensor) => tf.sum(softmaxCrossEntropyWithIntegerLabels(l, labels)))(x) as unknown as tf.Tensor;
    const want = tf.tidy(() => tf.sub(tf.softmax(x), tf.oneHot(labels, 4)));
    const [gv, wv] = [await g.data(), await want.data()];
    gv.forEach((v, i) => expect(v).toBeCloseTo(wv[i]!, 6));
    tf.dispose([g, want]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, labels]);
  });
});
