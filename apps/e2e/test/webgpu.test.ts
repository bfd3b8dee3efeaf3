// The digits MLP and the module README's training loop on WebGPU (Dawn in Node through the `webgpu` package;
// SwiftShader from Debian's chromium without a GPU), and the WebGPU-trained checkpoint restored on cpu.
// Never skipped: `setBackend('webgpu')` rejects with a BackendError when there is no adapter, failing the suite.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { nnx, ocp, setBackend } from 'nnx-ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accuracy, digitsLogits, digitsSplit, memoryAfterWarmUp, newMlp, predictedClasses, trainDigits } from './digits.js';
import { runTrainingLoop } from './readmeTrainingLoop.js';

// Small enough for SwiftShader (about 10x slower than cpu).
const HIDDEN = 32;
const { train, heldOut } = digitsSplit();
let workDir: string;

async function useWebGpu(): Promise<void> {
  await setBackend('webgpu');
  expect(tf.getBackend()).toBe('webgpu');
}

// Each test selects webgpu itself, so that a missing adapter fails the tests rather than skipping them.
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'nnx-ts-e2e-webgpu-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('digits MLP on webgpu', () => {
  it('reaches at least 95% held-out accuracy; its checkpoint restored on cpu predicts the same', async () => {
    await useWebGpu();
    const trained = await trainDigits(train, { hidden: HIDDEN, epochs: 8, batch: 64, learningRate: 1e-2 });
    const gpuLogits = await digitsLogits(trained.model, heldOut);
    const gpuClasses = predictedClasses(gpuLogits);
    const acc = accuracy(gpuClasses, heldOut.y);
    console.log(`webgpu: ${trained.steps} steps in ${trained.seconds.toFixed(1)} s, held-out accuracy ${(100 * acc).toFixed(2)}%`);
    expect(acc).toBeGreaterThanOrEqual(0.95);
    expect(memoryAfterWarmUp(trained.memory, 5).drift).toEqual([]);

    const dir = join(workDir, 'digits');
    await new ocp.StandardCheckpointer().save(dir, nnx.state(trained.model));

    await setBackend('cpu');
    expect(tf.getBackend()).toBe('cpu');
    const onCpu = newMlp(HIDDEN, 1);
    nnx.update(onCpu, await new ocp.StandardCheckpointer().restore(dir, nnx.state(onCpu)));
    const cpuLogits = await digitsLogits(onCpu, heldOut);
    expect(predictedClasses(cpuLogits)).toEqual(gpuClasses);
    // Relative tolerance 1e-4, against a floor of 1 so that logits near zero are not held to an absolute 0.
    const worst = cpuLogits.reduce((max, c, i) => {
      const g = gpuLogits[i]!;
      return Math.max(max, Math.abs(c - g) / Math.max(1, Math.abs(c), Math.abs(g)));
    }, 0);
    console.log(`webgpu vs cpu logits: worst relative difference ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(1e-4);
  });
});

describe('module README training loop on webgpu', () => {
  it('runs verbatim for 200 steps with flat tf.memory() after warm-up', async () => {
    await useWebGpu();
    const run = await runTrainingLoop();
    const { drift } = memoryAfterWarmUp(run.memory, 5);
    expect(drift).toEqual([]);
    expect(run.memory.length, 'packages/module/README.md "## Training loop" must run 200 steps').toBe(200);
  });
});
