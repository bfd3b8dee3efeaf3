// Spec seed program 1 (scan over layers, NNX 0.11) against real Flax: fixtures/seedScan.json is written by
// tooling/reference/seed_scan.py (JAX 0.10.2 / Flax 0.12.8; the v0.11.2 source gives an identical fixture).
import { fixtureReader } from '@nnx-ts/tooling/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { nnx, setBackend } from '../src/index.js';
import { FlaxComparison, stateLeaves, type Leaf, type StateLeaf } from './flaxCompare.js';

// ---- Program 1, as written in the spec README (cosmetic changes only: the stack builders are wrapped in
// functions so that every test gets a fresh model and can look at the parent Rngs). ----
class MLP extends nnx.Module {
  linear: nnx.Linear; bn: nnx.BatchNorm; dropout: nnx.Dropout; node: nnx.Param;
  constructor(rngs: nnx.Rngs) {
    super();
    this.linear = new nnx.Linear(3, 3, { rngs });
    this.bn = new nnx.BatchNorm(3, { rngs });
    this.dropout = new nnx.Dropout(0.5, { rngs });
    this.node = new nnx.Param(tf.ones([2]));
  }
  call(x: tf.Tensor): tf.Tensor {
    return nnx.gelu(this.dropout.call(this.bn.call(this.linear.call(x))));
  }
}
const makeStack = nnx.splitRngs({ splits: 5 })(nnx.vmap((rngs: nnx.Rngs) => new MLP(rngs), { inAxes: 0 }));
const forward = nnx.scan((layer: MLP, x: tf.Tensor) => layer.call(x), { inAxes: [0, nnx.Carry], outAxes: nnx.Carry });

/** Both ways of building the stack; each returns the stacked model and the parent Rngs it was built from. */
const VARIANTS = {
  // const mlp = makeStack(new nnx.Rngs(0));
  splitRngs: () => {
    const rngs = new nnx.Rngs(0);
    const mlp = makeStack(rngs);
    return { mlp, rngs };
  },
  // const mlp2 = nnx.vmap((rngs: nnx.Rngs) => new MLP(rngs), { inAxes: 0 })(new nnx.Rngs(0).fork({ split: 5 }));
  forkSplit: () => {
    const rngs = new nnx.Rngs(0);
    const mlp2 = nnx.vmap((rngs: nnx.Rngs) => new MLP(rngs), { inAxes: 0 })(rngs.fork({ split: 5 }));
    return { mlp: mlp2, rngs };
  },
} as const;

// ---- Fixture ----
interface Step {
  y: Leaf;
  state: StateLeaf[];
}
interface Variant {
  parent: StateLeaf[];
  constructed: StateLeaf[];
  train: Step[];
  thenEval: Step;
  freshEval: Step;
}
interface SeedScanFixture {
  versions: Record<string, string>;
  x: Leaf;
  nLayers: number;
  splitRngs: Variant;
  forkSplit: Variant;
}
const fixture = fixtureReader(import.meta.url)<SeedScanFixture>('seedScan');
const xOf = (): tf.Tensor => tf.tensor(fixture.x.values, fixture.x.shape, 'float32');


const stateOf = (node: unknown): Promise<StateLeaf[]> => stateLeaves(nnx.state(node));

async function leafOf(t: tf.Tensor): Promise<Leaf> {
  return { shape: t.shape, dtype: t.dtype, values: Array.from(await t.data()) };
}

const compare = new FlaxComparison();
const { worst } = compare;
const expectClose = compare.expectClose.bind(compare);
const expectState = compare.expectState.bind(compare);

async function expectStep(y: tf.Tensor, node: unknown, expected: Step, where: string): Promise<void> {
  const yLeaf = await leafOf(y);
  y.dispose();
  expect(yLeaf.shape, where).toEqual(expected.y.shape);
  expectClose(yLeaf.values, expected.y.values, `${where} y`, `outputs (${where})`);
  expectState(await stateOf(node), expected.state, `${where} state`, 'post-forward state');
}

beforeAll(async () => {
  await setBackend('cpu');
});

describe('seed program 1: scan over layers matches Flax', () => {
  it('records the reference versions', () => {
    expect(fixture.versions).toMatchObject({ jax: '0.10.2', flax: '0.12.8' });
    expect(fixture.nLayers).toBe(5);
  });

  for (const name of ['splitRngs', 'forkSplit'] as const) {
    describe(name, () => {
      const expected = fixture[name];

      it('constructs the stacked model with Flax state: paths, types, shapes, keys, counts and kernels', async () => {
        const { mlp, rngs } = VARIANTS[name]();
        expectState(await stateOf(mlp), expected.constructed, 'constructed', 'constructed params', 2);
        // The parent keeps its scalar key and has consumed one count (split_rngs / fork both call the stream once).
        expectState(await stateOf(rngs), expected.parent, 'parent rngs', 'parent');
        nnx.disposeTree(nnx.state(mlp));
      });

      it('train mode: three scanned forwards give Flax outputs, BatchNorm stats and dropout counts', async () => {
        const { mlp } = VARIANTS[name]();
        const x = xOf();
        for (const [i, step] of expected.train.entries()) {
          await expectStep(forward(mlp, x), mlp, step, `train step ${i}`);
        }
        // Then eval mode on the same model: running averages from the train steps, no dropout, state unchanged.
        mlp.eval();
        await expectStep(forward(mlp, x), mlp, expected.thenEval, 'eval after train');
        x.dispose();
        nnx.disposeTree(nnx.state(mlp));
      });

      it('eval mode on a fresh model gives Flax outputs and leaves the state unchanged', async () => {
        const { mlp } = VARIANTS[name]();
        mlp.eval();
        const x = xOf();
        await expectStep(forward(mlp, x), mlp, expected.freshEval, 'fresh eval');
        x.dispose();
        nnx.disposeTree(nnx.state(mlp));
      });

      it('holds a constant tensor count across repeated forwards after warm-up, and frees everything after', () => {
        const before = tf.memory().numTensors;
        const { mlp } = VARIANTS[name]();
        const x = xOf();
        for (let i = 0; i < 2; i++) forward(mlp, x).dispose();
        const warm = tf.memory();
        for (let i = 0; i < 10; i++) forward(mlp, x).dispose();
        expect(tf.memory().numTensors).toBe(warm.numTensors);
        expect(tf.memory().numBytes).toBe(warm.numBytes);
        mlp.eval();
        forward(mlp, x).dispose();
        const warmEval = tf.memory();
        for (let i = 0; i < 5; i++) forward(mlp, x).dispose();
        expect(tf.memory().numTensors).toBe(warmEval.numTensors);
        x.dispose();
        nnx.disposeTree(nnx.state(mlp));
        expect(tf.memory().numTensors).toBe(before);
      });
    });
  }

  it('worst differences against Flax stay within the documented bounds', () => {
    console.log('seedScan worst differences vs Flax:', JSON.stringify(worst, null, 1));
    expect(worst['constructed params']!.ulp).toBeLessThanOrEqual(2);
    for (const [category, w] of Object.entries(worst)) {
      if (category.startsWith('outputs')) expect(w.abs, category).toBeLessThanOrEqual(1e-5);
    }
  });
});
