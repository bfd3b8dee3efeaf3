import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { THREEFRY_UNIFORM } from '@nnx-ts/rng';
import { BackendError, setBackend } from '../src/index.js';
import { expectCorrectMatMul, expectGradient } from './matMulReference.js';

describe("setBackend('cpu')", () => {
  it('selects the cpu backend and computes a matMul and its gradient', async () => {
    await setBackend('cpu');
    expect(tf.getBackend()).toBe('cpu');
    await expectCorrectMatMul(40, 30, 50);
    await expectGradient();
    expect(tf.getKernel(THREEFRY_UNIFORM, 'cpu')).toBeDefined();
  });

  it('rejects an unknown backend with a typed error', async () => {
    const failure = setBackend('tpu' as 'cpu');
    await expect(failure).rejects.toBeInstanceOf(BackendError);
    await expect(setBackend('tpu' as 'cpu')).rejects.toThrow("Unknown backend 'tpu'; expected one of cpu, wasm, webgpu.");
    expect(tf.getBackend()).toBe('cpu');
  });
});
