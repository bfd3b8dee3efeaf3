import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { setBackend } from '../src/index.js';
import { gradientError, sample } from './finiteDifference.js';
import { expectCorrectMatMul, expectGradient } from './matMulReference.js';

describe("setBackend('wasm') in Node", () => {
  it('loads the wasm binaries from the installed package and computes a matMul and its gradient', async () => {
    await setBackend('wasm');
    expect(tf.getBackend()).toBe('wasm');
    await expectCorrectMatMul(64, 48, 40);
    await expectGradient();
  });

  // On wasm the matMul gradient takes the explicit-transpose route; check it for every flag combination.
  it.each([
    [false, false, [3, 4], [4, 2]],
    [true, false, [4, 3], [4, 2]],
    [false, true, [3, 4], [2, 4]],
    [true, true, [4, 3], [2, 4]],
    [false, false, [2, 3, 4], [4, 5]],
  ])('matMul gradient (transposeA %s, transposeB %s) matches finite differences', async (ta, tb, shapeA, shapeB) => {
    await setBackend('wasm');
    const error = gradientError((a, b) => tf.matMul(a as tf.Tensor, b as tf.Tensor, ta, tb), [sample(shapeA, 1), sample(shapeB, 2)]);
    expect(error).toBeLessThan(1e-2);
  });
});
