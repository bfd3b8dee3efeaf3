// Shared by the cpu and webgpu suites: the digits MLP, its training loop and evaluation.
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { nnx, optax } from 'nnx-ts';
import {
  DIGITS_CLASSES,
  DIGITS_FEATURES,
  loadDigits,
  permutation,
  splitDigits,
  takeRows,
  type DigitsSet,
} from '../../examples/src/digitsData.js';
import { Mlp } from '../../examples/src/digitsModel.js';

export { DIGITS_FEATURES, Mlp, type DigitsSet };

const DATA = fileURLToPath(new URL('../../examples/data/digits.csv.gz', import.meta.url));

/** The same deterministic split as `pnpm train`: seeded shuffle, last 20% held out. */
export function digitsSplit(): { train: DigitsSet; heldOut: DigitsSet } {
  return splitDigits(loadDigits(DATA), 0);
}

export function newMlp(hidden: number, seed = 0): Mlp {
  return new Mlp(DIGITS_FEATURES, hidden, DIGITS_CLASSES, { rngs: new nnx.Rngs(seed) });
}

export interface TrainOptions {
  hidden: number;
  epochs: number;
  batch: number;
  learningRate: number;
}

/** `tf.memory()` after one step (after its loss was read and its batch disposed). */
export interface MemorySample {
  numTensors: number;
  numBytes: number;
}

export interface TrainResult {
  model: Mlp;
  steps: number;
  seconds: number;
  losses: number[];
  memory: MemorySample[];
}

/** Trains the MLP with adam through `nnx.jit(valueAndGrad + optimizer.update)`, reading every loss. */
export async function trainDigits(train: DigitsSet, options: TrainOptions): Promise<TrainResult> {
  const model = newMlp(options.hidden);
  const optimizer = new nnx.Optimizer(model, optax.adam(options.learningRate), { wrt: nnx.Param });
  const trainStep = nnx.jit((m: Mlp, opt: nnx.Optimizer<Mlp>, x: tf.Tensor, labels: tf.Tensor) => {
    const lossFn = (mm: Mlp) => tf.mean(optax.softmaxCrossEntropyWithIntegerLabels(mm.call(x), labels));
    const [loss, grads] = nnx.valueAndGrad(lossFn)(m);
    opt.update(m, grads);
    return loss;
  });
  const stepsPerEpoch = Math.floor(train.n / options.batch);
  const losses: number[] = [];
  const memory: MemorySample[] = [];
  const started = performance.now();
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const order = permutation(train.n, epoch);
    for (let step = 0; step < stepsPerEpoch; step++) {
      const batch = takeRows(train, order.subarray(step * options.batch, (step + 1) * options.batch));
      const x = tf.tensor2d(batch.x, [batch.n, DIGITS_FEATURES]);
      const labels = tf.tensor1d(batch.y, 'int32');
      const loss = trainStep(model, optimizer, x, labels);
      x.dispose();
      labels.dispose();
      losses.push(await nnx.read(loss as tf.Scalar));
      const { numTensors, numBytes } = tf.memory();
      memory.push({ numTensors, numBytes });
    }
  }
  return { model, steps: losses.length, seconds: (performance.now() - started) / 1000, losses, memory };
}

/** Logits of `set` as a host array (row-major [n, 10]). */
export async function digitsLogits(model: Mlp, set: DigitsSet): Promise<Float32Array> {
  const logits = tf.tidy(() => model.call(tf.tensor2d(set.x, [set.n, DIGITS_FEATURES])));
  return (await nnx.read(logits)) as Float32Array;
}

/** Argmax per row of row-major [n, classes] logits. */
export function predictedClasses(logits: Float32Array): Int32Array {
  const n = logits.length / DIGITS_CLASSES;
  const classes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < DIGITS_CLASSES; c++) {
      if (logits[i * DIGITS_CLASSES + c]! > logits[i * DIGITS_CLASSES + best]!) best = c;
    }
    classes[i] = best;
  }
  return classes;
}

export function accuracy(classes: Int32Array, labels: Int32Array): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (classes[i] === labels[i]) correct++;
  return correct / labels.length;
}

/** The memory samples after `warmUp` steps all equal the first one after it. */
export function memoryAfterWarmUp(memory: MemorySample[], warmUp: number): { first: MemorySample; drift: MemorySample[] } {
  const first = memory[warmUp]!;
  const drift = memory.slice(warmUp).filter((m) => m.numTensors !== first.numTensors || m.numBytes !== first.numBytes);
  return { first, drift };
}
