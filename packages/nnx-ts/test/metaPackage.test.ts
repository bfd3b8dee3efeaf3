import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { nnx, ocp, optax, random, setBackend, tree } from '../src/index.js';

beforeAll(async () => {
  await setBackend('cpu');
});

describe('nnx-ts namespaces', () => {
  it('re-export each package under its Flax/JAX name', () => {
    expect(typeof nnx.Module).toBe('function');
    expect(typeof nnx.Linear).toBe('function');
    expect(typeof nnx.Rngs).toBe('function');
    expect(typeof nnx.valueAndGrad).toBe('function');
    expect(typeof nnx.Optimizer).toBe('function');
    expect(nnx.setBackend).toBe(setBackend);
    expect(typeof nnx.ensureGradients).toBe('function');
    for (const layer of [nnx.Dropout, nnx.BatchNorm, nnx.LayerNorm, nnx.RMSNorm]) expect(typeof layer).toBe('function');
    expect(typeof nnx.traversals).toBe('object');
    expect(typeof nnx.initializers.lecunNormal).toBe('function');
    expect(typeof optax.adam).toBe('function');
    expect(typeof ocp.StandardCheckpointer).toBe('function');
    expect(typeof tree.flatten).toBe('function');
    expect(typeof random.split).toBe('function');
  });

  it('activations compute real values', async () => {
    const x = tf.tensor1d([-1, 0, 2]);
    expect(Array.from(await nnx.relu(x).data())).toEqual([0, 0, 2]);
    // jax.nn.gelu(1.0) (approximate=True by default) = 0.841192; exact erf form = 0.8413447
    expect((await nnx.gelu(tf.scalar(1)).data())[0]).toBeCloseTo(0.841192, 5);
    expect((await nnx.gelu(tf.scalar(1), { approximate: false }).data())[0]).toBeCloseTo(0.8413447, 5);
    const logProbs = await nnx.logSoftmax(tf.tensor1d([0, Math.log(3)])).data();
    expect(logProbs[0]).toBeCloseTo(Math.log(0.25), 6);
  });

  it('tree and random compute real values', () => {
    expect(tree.leaves({ a: 1, b: [2, 3] })).toEqual([1, 2, 3]);
    // jax.random.key(0) holds the raw words [0, 0].
    expect(Array.from(random.keyData(random.key(0)).data)).toEqual([0, 0]);
  });

  it('a Linear model trained with valueAndGrad and optax.adam lowers its loss, with flat memory', async () => {
    const model = new nnx.Linear(3, 2, { rngs: new nnx.Rngs(0) });
    const optimizer = new nnx.Optimizer(model, optax.adam(0.05), { wrt: nnx.Param });
    const x = tf.tensor2d([[1, 0, -1], [0.5, 2, 0], [-1, 1, 1], [2, -0.5, 0.5]]);
    const y = tf.tensor2d([[1, -1], [0, 2], [1, 1], [-2, 0]]);
    const lossFn = (m: nnx.Linear) => tf.mean(tf.square(tf.sub(m.call(x), y)));
    const step = async (): Promise<number> => {
      const [loss, grads] = nnx.valueAndGrad(lossFn)(model);
      optimizer.update(model, grads);
      nnx.disposeTree(grads);
      return (await nnx.read(loss)) as number;
    };
    const losses: number[] = [];
    for (let i = 0; i < 5; i++) losses.push(await step());
    const warm = tf.memory();
    for (let i = 0; i < 45; i++) losses.push(await step());
    expect(tf.memory().numTensors).toBe(warm.numTensors);
    expect(tf.memory().numBytes).toBe(warm.numBytes);
    expect(losses[losses.length - 1]).toBeLessThan((losses[0] as number) * 0.5);
  });
});
