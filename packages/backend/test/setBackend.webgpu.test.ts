import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { setBackend } from '../src/index.js';
import { expectCorrectMatMul, expectGradient } from './matMulReference.js';

// Never skipped: on a machine without a GPU this runs on SwiftShader (Debian's chromium); if no adapter can be had,
// setBackend rejects and the test fails, saying what to install.
describe("setBackend('webgpu') in Node", () => {
  it('gets a WebGPU adapter and computes a matMul with more than 1000 elements and its gradient', async () => {
    await setBackend('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    const gpu = (globalThis as unknown as { navigator: { gpu: { requestAdapter(): Promise<unknown> } } }).navigator.gpu;
    expect(await gpu.requestAdapter()).not.toBeNull();
    await expectCorrectMatMul(64, 48, 40);
    await expectGradient();
  });
});
