// nnx.valueAndGrad / nnx.grad through BatchNorm and Dropout against real Flax: fixtures/gradBnDropout.json is written
// by tooling/reference/grad_bn_dropout.py (JAX 0.10.2 / Flax 0.12.8 / optax 0.2.8).
import { fixtureReader } from '@nnx-ts/tooling/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { nnx, optax, setBackend } from '../src/index.js';
import { FlaxComparison, stateLeaves, type Leaf, type StateLeaf } from './flaxCompare.js';

// ---- The model, as in the generator: Linear(4, 8) -> BatchNorm(8) -> relu -> Dropout(0.3) -> Linear(8, 3). ----
class Model extends nnx.Module {
  linear1: nnx.Linear; bn: nnx.BatchNorm; dropout: nnx.Dropout; linear2: nnx.Linear;
  constructor(rngs: nnx.Rngs) {
    super();
    this.linear1 = new nnx.Linear(4, 8, { rngs });
    this.bn = new nnx.BatchNorm(8, { rngs });
    this.dropout = new nnx.Dropout(0.3, { rngs });
    this.linear2 = new nnx.Linear(8, 3, { rngs });
  }
  call(x: tf.Tensor): tf.Tensor {
    return this.linear2.call(this.dropout.call(nnx.relu(this.bn.call(this.linear1.call(x)))));
  }
}
const make = (): Model => new Model(new nnx.Rngs({ params: 0, dropout: 1 }));
const lossFn = (model: Model, x: tf.Tensor, y: tf.Tensor): tf.Scalar => tf.mean(tf.square(tf.sub(model.call(x), y)));
const lossAuxFn = (model: Model, x: tf.Tensor, y: tf.Tensor): [tf.Scalar, tf.Tensor] => {
  const logits = model.call(x);
  return [tf.mean(tf.square(tf.sub(logits, y))), logits];
};

// ---- Fixture ----
interface GradCall {
  loss: Leaf;
  grads: StateLeaf[];
  mask: Leaf;
  state: StateLeaf[];
}
interface EvalGrad {
  grads: StateLeaf[];
  state: StateLeaf[];
}
interface GradBnDropoutFixture {
  versions: Record<string, string>;
  threefryPartitionable: boolean;
  x: Leaf;
  y: Leaf;
  lr: number;
  constructed: StateLeaf[];
  valueAndGrad: GradCall;
  hasAux: GradCall & { aux: Leaf };
  evalBatchStatGrad: EvalGrad;
  evalBatchStatGradAfterTrain: EvalGrad;
  jitTrain: { steps: { loss: Leaf; mask: Leaf; state: StateLeaf[] }[]; optimizerStep: number };
}
const fixture = fixtureReader(import.meta.url)<GradBnDropoutFixture>('gradBnDropout');
const tensorOf = (l: Leaf): tf.Tensor => tf.tensor(l.values, l.shape, 'float32');


const stateOf = (node: object): Promise<StateLeaf[]> => stateLeaves(nnx.state(node));

/** Reads a tensor into a fixture record and frees it. */
async function take(t: tf.Tensor): Promise<Leaf> {
  const leaf = { shape: t.shape, dtype: t.dtype, values: Array.from(await t.data()) };
  t.dispose();
  return leaf;
}

/** The scaled dropout mask the model's next train-mode call will use (a clone consumes the key, not the model). */
function maskOf(model: Model): tf.Tensor {
  const ones = tf.ones([6, 8]);
  const mask = nnx.clone(model.dropout).call(ones);
  ones.dispose();
  return mask;
}

const compare = new FlaxComparison();
const { worst } = compare;
const expectClose = compare.expectClose.bind(compare);
const expectState = compare.expectState.bind(compare);

function expectLeaf(actual: Leaf, expected: Leaf, where: string, category: string): void {
  expect(actual.shape, where).toEqual(expected.shape);
  expect(actual.dtype, where).toBe(expected.dtype);
  expectClose(actual.values, expected.values, where, category);
}

/** Dropout masks are bit-exact: same kept positions (threefry bits) and the same scaled value 1 / 0.7. */
async function expectMask(mask: tf.Tensor, expected: Leaf, where: string): Promise<void> {
  const actual = await take(mask);
  expect(actual.shape, where).toEqual(expected.shape);
  expect(actual.values, where).toEqual(expected.values);
  const kept = expected.values.filter((v) => v !== 0).length;
  expect(kept, `${where}: a real mask`).toBeGreaterThan(0);
  expect(kept, `${where}: a real mask`).toBeLessThan(expected.values.length);
}

beforeAll(async () => {
  await setBackend('cpu');
});

describe('valueAndGrad / grad through BatchNorm + Dropout match Flax', () => {
  it('records the reference versions and builds the model with Flax parameters', async () => {
    expect(fixture.versions).toMatchObject({ jax: '0.10.2', flax: '0.12.8', optax: '0.2.8' });
    expect(fixture.threefryPartitionable).toBe(true);
    const model = make();
    expectState(await stateOf(model), fixture.constructed, 'constructed', 'constructed params', 2);
    nnx.disposeTree(nnx.state(model));
  });

  it('train mode: valueAndGrad, then hasAux, then grad w.r.t. BatchStat in eval mode on the same model', async () => {
    const before = tf.memory().numTensors;
    const model = make();
    const [x, y] = [tensorOf(fixture.x), tensorOf(fixture.y)];

    // (a) valueAndGrad: loss, Param gradients at Flax's paths, updated running stats, dropout count 1.
    const a = fixture.valueAndGrad;
    await expectMask(maskOf(model), a.mask, 'valueAndGrad mask');
    const [loss, grads] = nnx.valueAndGrad(lossFn)(model, x, y);
    expectLeaf(await take(loss), a.loss, 'valueAndGrad loss', 'loss');
    expect(grads).toBeInstanceOf(nnx.State);
    expectState(await stateLeaves(grads), a.grads, 'valueAndGrad grads', 'Param grads');
    for (const g of nnx.toFlatState(grads).leaves) expect(g).toBeInstanceOf(nnx.Param);
    // BatchNorm in training subtracts the batch mean, so linear1's bias has an analytically zero gradient: both
    // Flax and we hold float32 rounding noise there (|g| ~ 1e-7, either sign).
    const biasGrad = a.grads.find((g) => g.path.join('/') === 'linear1/bias')!;
    for (const v of biasGrad.values) expect(Math.abs(v)).toBeLessThan(1e-6);
    nnx.disposeTree(grads);
    expectState(await stateOf(model), a.state, 'valueAndGrad state', 'state after calls');

    // (c) hasAux on the same model (second call: dropout count 1 -> 2, a different mask).
    const c = fixture.hasAux;
    await expectMask(maskOf(model), c.mask, 'hasAux mask');
    const [[loss2, aux], grads2] = nnx.valueAndGrad(lossAuxFn, { hasAux: true })(model, x, y);
    expectLeaf(await take(loss2), c.loss, 'hasAux loss', 'loss');
    expectLeaf(await take(aux), c.aux, 'hasAux aux', 'aux (logits)');
    expectState(await stateLeaves(grads2), c.grads, 'hasAux grads', 'Param grads');
    nnx.disposeTree(grads2);
    expectState(await stateOf(model), c.state, 'hasAux state', 'state after calls');

    // (b) eval mode on the trained model: gradients w.r.t. the running statistics, state unchanged.
    const b = fixture.evalBatchStatGradAfterTrain;
    model.eval();
    const statGrads = nnx.grad(lossFn, { argnums: new nnx.DiffState(0, nnx.BatchStat) })(model, x, y);
    expectState(await stateLeaves(statGrads), b.grads, 'eval BatchStat grads (after train)', 'BatchStat grads');
    for (const g of nnx.toFlatState(statGrads).leaves) expect(g).toBeInstanceOf(nnx.BatchStat);
    nnx.disposeTree(statGrads);
    expectState(await stateOf(model), b.state, 'eval state (after train)', 'state after calls');

    x.dispose();
    y.dispose();
    nnx.disposeTree(nnx.state(model));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('eval mode on a fresh model: grad with DiffState(0, BatchStat) gives Flax BatchStat gradients', async () => {
    const model = make();
    const [x, y] = [tensorOf(fixture.x), tensorOf(fixture.y)];
    model.eval();
    const expected = fixture.evalBatchStatGrad;
    const statGrads = nnx.grad(lossFn, { argnums: new nnx.DiffState(0, nnx.BatchStat) })(model, x, y);
    expect(statGrads).toBeInstanceOf(nnx.State);
    expectState(await stateLeaves(statGrads), expected.grads, 'eval BatchStat grads (fresh)', 'BatchStat grads');
    expect(expected.grads.map((g) => g.type)).toEqual(['BatchStat', 'BatchStat']);
    nnx.disposeTree(statGrads);
    // Eval mode neither updates the statistics nor consumes a dropout key.
    expectState(await stateOf(model), expected.state, 'eval state (fresh)', 'state after calls');
    x.dispose();
    y.dispose();
    nnx.disposeTree(nnx.state(model));
  });

  describe('jitted optimizer loop (seed program 3 with sgd(0.1))', () => {
    // Spec seed program 3, with the model and optimizer of this fixture.
    const trainStep = nnx.jit((model: Model, optimizer: nnx.Optimizer<Model>, x: tf.Tensor, y: tf.Tensor) => {
      const lossFn = (model: Model) => tf.mean(tf.square(tf.sub(model.call(x), y)));
      const [loss, grads] = nnx.valueAndGrad(lossFn)(model);
      optimizer.update(model, grads);
      return loss;
    });

    it('three steps give Flax losses, masks, parameters, running stats and RNG counts', async () => {
      const model = make();
      const optimizer = new nnx.Optimizer(model, optax.sgd(fixture.lr), { wrt: nnx.Param });
      const [x, y] = [tensorOf(fixture.x), tensorOf(fixture.y)];
      const { hits, misses } = nnx.jitCacheInfo(trainStep);
      for (const [i, step] of fixture.jitTrain.steps.entries()) {
        await expectMask(maskOf(model), step.mask, `jit step ${i} mask`);
        expectLeaf(await take(trainStep(model, optimizer, x, y)), step.loss, `jit step ${i} loss`, 'jit losses');
        expectState(await stateOf(model), step.state, `jit step ${i} state`, 'jit state');
      }
      expect(Array.from(await optimizer.step.value.data())).toEqual([fixture.jitTrain.optimizerStep]);
      // Steps after the first replayed the cached argument graph (Linear, BatchNorm, Dropout, Optimizer).
      expect(nnx.jitCacheInfo(trainStep)).toMatchObject({ hits: hits + fixture.jitTrain.steps.length - 1, misses: misses + 1 });
      x.dispose();
      y.dispose();
      nnx.disposeTree(nnx.state(model));
      nnx.disposeTree(nnx.state(optimizer));
    });

    it('holds tf.memory() flat across jitted steps after warm-up and frees everything after', async () => {
      const before = tf.memory().numTensors;
      const model = make();
      const optimizer = new nnx.Optimizer(model, optax.sgd(fixture.lr), { wrt: nnx.Param });
      const [x, y] = [tensorOf(fixture.x), tensorOf(fixture.y)];
      await nnx.read(trainStep(model, optimizer, x, y));
      const warm = tf.memory();
      const { hits } = nnx.jitCacheInfo(trainStep);
      for (let i = 0; i < 10; i++) {
        await nnx.read(trainStep(model, optimizer, x, y));
        expect(tf.memory().numTensors, `step ${i + 1}`).toBe(warm.numTensors);
        expect(tf.memory().numBytes, `step ${i + 1}`).toBe(warm.numBytes);
      }
      expect(nnx.jitCacheInfo(trainStep).hits).toBe(hits + 10);
      x.dispose();
      y.dispose();
      nnx.disposeTree(nnx.state(model));
      nnx.disposeTree(nnx.state(optimizer));
      expect(tf.memory().numTensors).toBe(before);
    });
  });

  it('worst differences against Flax stay within the documented bounds', () => {
    console.log('gradBnDropout worst differences vs Flax:', JSON.stringify(worst, null, 1));
    expect(worst['constructed params']!.ulp).toBeLessThanOrEqual(2);
    for (const [category, w] of Object.entries(worst)) {
      expect(w.abs, category).toBeLessThanOrEqual(1e-6);
      expect(w.rel, category).toBeLessThanOrEqual(1e-5);
    }
  });
});
