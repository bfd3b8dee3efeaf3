// The README's example, verbatim inside the test body, so a change that breaks it fails typecheck or this test.
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { nnx, optax, setBackend } from '../src/index.js';

it('runs the README example and its jitted step lowers the loss', async () => {
  await setBackend('cpu'); // or 'wasm', 'webgpu'

  class Model extends nnx.Module {
    linear1: nnx.Linear;
    linear2: nnx.Linear;
    constructor(din: number, dhidden: number, dout: number, { rngs }: { rngs: nnx.Rngs }) {
      super();
      this.linear1 = new nnx.Linear(din, dhidden, { rngs });
      this.linear2 = new nnx.Linear(dhidden, dout, { rngs });
    }
    call(x: tf.Tensor): tf.Tensor {
      return this.linear2.call(tf.relu(this.linear1.call(x)));
    }
  }

  const model = new Model(2, 64, 3, { rngs: new nnx.Rngs(0) });
  const optimizer = new nnx.Optimizer(model, optax.adam(1e-3), { wrt: nnx.Param });
  const trainStep = nnx.jit((model: Model, optimizer: nnx.Optimizer<Model>, x: tf.Tensor, y: tf.Tensor) => {
    const lossFn = (model: Model) => tf.mean(tf.square(tf.sub(model.call(x), y)));
    const [loss, grads] = nnx.valueAndGrad(lossFn)(model);
    optimizer.update(model, grads);
    return loss;
  });
  const loss = trainStep(model, optimizer, tf.ones([8, 2]), tf.zeros([8, 3]));

  const first = await nnx.read(loss as tf.Scalar);
  const [x, y] = [tf.ones([8, 2]), tf.zeros([8, 3])];
  let last = await nnx.read(trainStep(model, optimizer, x, y) as tf.Scalar);
  const warm = tf.memory();
  for (let step = 0; step < 20; step++) last = await nnx.read(trainStep(model, optimizer, x, y) as tf.Scalar);
  expect(tf.memory().numTensors).toBe(warm.numTensors);
  expect(tf.memory().numBytes).toBe(warm.numBytes);
  expect(last).toBeLessThan(first);
});
