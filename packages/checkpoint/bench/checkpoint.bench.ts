import { Param, State } from '@nnx-ts/module';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bench, describe } from 'vitest';
import { StandardCheckpointer } from '../src/index.js';

await tf.setBackend('cpu');

/** 16 layers of 512x512 float32 kernels: 16 MiB of parameters. */
const state = new State({
  layers: new State(Object.fromEntries(Array.from({ length: 16 }, (_, i) => [i, new State({ kernel: new Param(tf.randomNormal([512, 512])) })]))),
});
const dir = join(await mkdtemp(join(tmpdir(), 'nnx-ts-bench-')), 'ckpt');
const ckpt = new StandardCheckpointer();
await ckpt.save(dir, state);

describe('16 MiB state', () => {
  bench('save (force, fsync, rename)', async () => {
    await ckpt.save(dir, state, { force: true });
  });
  bench('restore with target', async () => {
    const restored = await ckpt.restore(dir, state);
    tf.dispose(Object.values(restored.layers as Record<string, State>).map((l) => (l.kernel as Param<tf.Tensor>).value));
  });
});
