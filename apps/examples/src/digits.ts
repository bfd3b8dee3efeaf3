// `pnpm train`: trains a 64-64-10 MLP on the UCI digits data on the cpu backend, prints the held-out accuracy and
// saves a checkpoint to ./checkpoints/digits.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { nnx, ocp, optax, setBackend } from 'nnx-ts';
import { DIGITS_CLASSES, DIGITS_FEATURES, loadDigits, permutation, splitDigits, takeRows, type DigitsSet } from './digitsData.js';
import { Mlp } from './digitsModel.js';

const DATA = fileURLToPath(new URL('../data/digits.csv.gz', import.meta.url));
const CHECKPOINT_DIR = resolve('checkpoints/digits');
const EPOCHS = 20;
const BATCH = 32;
const LEARNING_RATE = 3e-3;
const BAR_WIDTH = 30;

const trainStep = nnx.jit((model: Mlp, optimizer: nnx.Optimizer<Mlp>, x: tf.Tensor, labels: tf.Tensor) => {
  const lossFn = (m: Mlp) => tf.mean(optax.softmaxCrossEntropyWithIntegerLabels(m.call(x), labels));
  const [loss, grads] = nnx.valueAndGrad(lossFn)(model);
  optimizer.update(model, grads);
  return loss;
});

function progressLine(epoch: number, done: number, total: number, loss: number): string {
  const filled = Math.round((done / total) * BAR_WIDTH);
  const bar = '#'.repeat(filled) + '-'.repeat(BAR_WIDTH - filled);
  return `epoch ${String(epoch).padStart(2)}/${EPOCHS} [${bar}] ${done}/${total} loss ${loss.toFixed(4)}`;
}

async function accuracy(model: Mlp, set: DigitsSet): Promise<number> {
  const classes = tf.tidy(() => tf.argMax(model.call(tf.tensor2d(set.x, [set.n, DIGITS_FEATURES])), 1));
  const predicted = (await nnx.read(classes)) as Int32Array;
  let correct = 0;
  for (let i = 0; i < set.n; i++) if (predicted[i] === set.y[i]) correct++;
  return correct / set.n;
}

async function main(): Promise<void> {
  await setBackend('cpu');
  const { train, heldOut } = splitDigits(loadDigits(DATA), 0);
  console.log(`digits: ${train.n} training rows, ${heldOut.n} held out; MLP 64-64-10, adam(${LEARNING_RATE}), cpu`);

  const model = new Mlp(DIGITS_FEATURES, 64, DIGITS_CLASSES, { rngs: new nnx.Rngs(0) });
  const optimizer = new nnx.Optimizer(model, optax.adam(LEARNING_RATE), { wrt: nnx.Param });
  const steps = Math.floor(train.n / BATCH);
  const started = performance.now();
  for (let epoch = 1; epoch <= EPOCHS; epoch++) {
    const order = permutation(train.n, epoch);
    let lossSum = 0;
    for (let step = 0; step < steps; step++) {
      const batch = takeRows(train, order.subarray(step * BATCH, (step + 1) * BATCH));
      const xb = tf.tensor2d(batch.x, [BATCH, DIGITS_FEATURES]);
      const yb = tf.tensor1d(batch.y, 'int32');
      const loss = trainStep(model, optimizer, xb, yb);
      xb.dispose();
      yb.dispose();
      lossSum += await nnx.read(loss as tf.Scalar);
      if (process.stdout.isTTY) process.stdout.write(`\r${progressLine(epoch, step + 1, steps, lossSum / (step + 1))}`);
    }
    const line = progressLine(epoch, steps, steps, lossSum / steps);
    process.stdout.write(process.stdout.isTTY ? `\r${line}\n` : `${line}\n`);
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`held-out accuracy: ${(100 * (await accuracy(model, heldOut))).toFixed(2)}% (${heldOut.n} rows, trained in ${seconds.toFixed(1)} s)`);

  const checkpointer = new ocp.StandardCheckpointer();
  await checkpointer.save(CHECKPOINT_DIR, nnx.state(model), { force: true });
  console.log(`checkpoint saved to ${CHECKPOINT_DIR}`);
}

await main();
