// Spec seed program 1 (scan over layers, NNX 0.11) against real Flax: fixtures/seedScan.json is written by
// tooling/reference/seed_scan.py (JAX 0.10.2 / Flax 0.12.8; the v0.11.2 source gives an identical fixture).
import { f32Bits, fixtureReader, ulpDistance } from '@nnx-ts/tooling/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { nnx, setBackend } from '../src/index.js';

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
interface Leaf {
  shape: number[];
  dtype: string;
  values: number[];
}
interface StateLeaf extends Leaf {
  path: (string | number)[];
  type: string;
}
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

// JAX prints the default typed key dtype as key<fry>; our KeyArray calls the same impl key<threefry2x32>.
const DTYPES: Record<string, string> = { 'key<fry>': 'key<threefry2x32>' };

/** The model's state as fixture records: Variable type, shape, dtype and values (key words for RngKey). */
async function stateOf(node: unknown): Promise<StateLeaf[]> {
  const flat = nnx.toFlatState(nnx.state(node));
  const out: StateLeaf[] = [];
  for (let i = 0; i < flat.paths.length; i++) {
    const variable = flat.leaves[i] as nnx.Variable;
    // A tensor, or a host KeyArray / HostUint32Array (RNG keys and counts).
    type HostLeaf = { shape: readonly number[]; dtype: string; data: Uint32Array };
    const value = variable.value as tf.Tensor | HostLeaf;
    const values = value instanceof tf.Tensor ? Array.from(await value.data()) : Array.from(value.data);
    const type = variable.constructor.name;
    out.push({ path: flat.paths[i]!, type, shape: [...value.shape], dtype: value.dtype, values });
  }
  return out;
}

async function leafOf(t: tf.Tensor): Promise<Leaf> {
  return { shape: t.shape, dtype: t.dtype, values: Array.from(await t.data()) };
}

/** Worst differences seen, per category, reported at the end of the run. */
const worst: Record<string, { ulp: number; ulpAt: string; abs: number; rel: number; at: string }> = {};
function record(category: string, actual: number, expected: number, at: string): void {
  const w = (worst[category] ??= { ulp: 0, ulpAt: '', abs: 0, rel: 0, at: '' });
  const [a, e] = [Math.fround(actual), Math.fround(expected)];
  const ulp = ulpDistance(f32Bits(new Float32Array([a]))[0]!, f32Bits(new Float32Array([e]))[0]!);
  const abs = Math.abs(a - e);
  if (ulp > w.ulp) [w.ulp, w.ulpAt] = [ulp, `${at}: ${a} vs ${e}`];
  if (abs > w.abs) [w.abs, w.at] = [abs, `${at}: ${a} vs ${e}`];
  if (e !== 0) w.rel = Math.max(w.rel, abs / Math.abs(e));
}

/** Float32 tolerance for computed values: |a - e| <= 1e-6 + 1e-5 |e|. */
function expectClose(actual: number[], expected: number[], where: string, category: string): void {
  expect(actual.length, where).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    record(category, actual[i]!, expected[i]!, `${where}[${i}]`);
    const tol = 1e-6 + 1e-5 * Math.abs(expected[i]!);
    if (!(Math.abs(actual[i]! - expected[i]!) <= tol)) {
      expect.fail(`${where}[${i}]: ${actual[i]} vs Flax ${expected[i]} (tolerance ${tol})`);
    }
  }
}

/** Within `maxUlp` units in the last place (initialised parameters). */
function expectUlp(actual: number[], expected: number[], maxUlp: number, where: string, category: string): void {
  expect(actual.length, where).toBe(expected.length);
  const a = f32Bits(Float32Array.from(actual));
  const e = f32Bits(Float32Array.from(expected));
  for (let i = 0; i < e.length; i++) {
    record(category, actual[i]!, expected[i]!, `${where}[${i}]`);
    const at = `${where}[${i}]: ${actual[i]} vs Flax ${expected[i]}`;
    expect(ulpDistance(a[i]!, e[i]!), at).toBeLessThanOrEqual(maxUlp);
  }
}

/**
 * Paths, Variable types, shapes and dtypes equal Flax's; integers and key words exact; floats within `maxUlp` ulp
 * (when given) or the float32 tolerance.
 */
function expectState(
  actual: StateLeaf[],
  expected: StateLeaf[],
  where: string,
  category: string,
  maxUlp?: number,
): void {
  expect(actual.map((l) => l.path), where).toEqual(expected.map((l) => l.path));
  for (let i = 0; i < expected.length; i++) {
    const [a, e] = [actual[i]!, expected[i]!];
    const at = `${where} ${e.path.join('/')}`;
    expect(a.type, at).toBe(e.type);
    expect(a.shape, at).toEqual(e.shape);
    expect(a.dtype, at).toBe(DTYPES[e.dtype] ?? e.dtype);
    if (e.dtype === 'float32') {
      if (maxUlp !== undefined) expectUlp(a.values, e.values, maxUlp, at, category);
      else expectClose(a.values, e.values, at, category);
    } else {
      expect(a.values, at).toEqual(e.values);
    }
  }
}

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
