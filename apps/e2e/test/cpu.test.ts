// The digits MLP, the module README's training loop and checkpoint errors on the cpu backend.
import { mkdtemp, readdir, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { nnx, ocp, setBackend } from 'nnx-ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accuracy, digitsLogits, digitsSplit, memoryAfterWarmUp, newMlp, predictedClasses, trainDigits } from './digits.js';
import { runTrainingLoop } from './readmeTrainingLoop.js';

const { train, heldOut } = digitsSplit();
let workDir: string;

beforeAll(async () => {
  await setBackend('cpu');
  expect(tf.getBackend()).toBe('cpu');
  workDir = await mkdtemp(join(tmpdir(), 'nnx-ts-e2e-cpu-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('digits MLP on cpu', () => {
  let trained: Awaited<ReturnType<typeof trainDigits>>;

  beforeAll(async () => {
    trained = await trainDigits(train, { hidden: 64, epochs: 20, batch: 32, learningRate: 3e-3 });
    console.log(`cpu: ${trained.steps} steps in ${trained.seconds.toFixed(1)} s`);
  });

  it('reaches at least 95% held-out accuracy, with falling loss and flat memory', async () => {
    const acc = accuracy(predictedClasses(await digitsLogits(trained.model, heldOut)), heldOut.y);
    console.log(`cpu: held-out accuracy ${(100 * acc).toFixed(2)}% on ${heldOut.n} rows`);
    expect(acc).toBeGreaterThanOrEqual(0.95);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(trained.losses.slice(-40))).toBeLessThan(mean(trained.losses.slice(0, 40)) / 5);
    const { drift } = memoryAfterWarmUp(trained.memory, 5);
    expect(drift).toEqual([]);
  });

  it('saves a checkpoint that restores into a fresh model with identical logits', async () => {
    const dir = join(workDir, 'digits');
    await new ocp.StandardCheckpointer().save(dir, nnx.state(trained.model));
    expect((await readdir(dir)).sort()).toEqual(['checkpoint_metadata.json', 'commit_success.txt', 'model.safetensors']);
    const fresh = newMlp(64, 1);
    const before = await digitsLogits(fresh, heldOut);
    const restored = await new ocp.StandardCheckpointer().restore(dir, nnx.state(fresh));
    nnx.update(fresh, restored);
    const expected = await digitsLogits(trained.model, heldOut);
    const actual = await digitsLogits(fresh, heldOut);
    expect(actual).not.toEqual(before);
    expect(actual).toEqual(expected);
  });
});

describe('module README training loop on cpu', () => {
  it('runs verbatim for 200 steps with flat tf.memory() after warm-up', async () => {
    const run = await runTrainingLoop();
    expect(run.logged.length).toBeGreaterThan(0);
    const { drift } = memoryAfterWarmUp(run.memory, 5);
    expect(drift).toEqual([]);
    expect(run.memory.length, 'packages/module/README.md "## Training loop" must run 200 steps').toBe(200);
  });
});

describe('restoring bad checkpoints on cpu', () => {
  it('a directory that does not exist gives CheckpointNotFoundError naming it', async () => {
    const missing = join(workDir, 'does-not-exist');
    const error = await new ocp.StandardCheckpointer().restore(missing, nnx.state(newMlp(8))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ocp.CheckpointNotFoundError);
    expect(error).toMatchObject({ name: 'CheckpointNotFoundError', message: expect.stringContaining(missing) });
  });

  it('a truncated safetensors file gives CheckpointFormatError naming the file', async () => {
    const dir = join(workDir, 'truncated');
    const model = newMlp(8);
    await new ocp.StandardCheckpointer().save(dir, nnx.state(model));
    const file = join(dir, 'model.safetensors');
    await truncate(file, Math.floor((await stat(file)).size / 2));
    const error = await new ocp.StandardCheckpointer().restore(dir, nnx.state(newMlp(8, 1))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ocp.CheckpointFormatError);
    expect(error).toMatchObject({ name: 'CheckpointFormatError', file, message: expect.stringContaining(file) });
  });
});
