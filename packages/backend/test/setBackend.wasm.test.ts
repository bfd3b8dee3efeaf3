import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { setBackend } from '../src/index.js';
import { expectCorrectMatMul, expectGradient } from './matMulReference.js';

describe("setBackend('wasm') in Node", () => {
  it('loads the wasm binaries from the installed package and computes a matMul and its gradient', async () => {
    await setBackend('wasm');
    expect(tf.getBackend()).toBe('wasm');
    await expectCorrectMatMul(64, 48, 40);
    await expectGradient();
  });
});
