import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/** Runs an [m,k]·[k,n] matMul on the current backend and checks every element against a float64 JS product. */
export async function expectCorrectMatMul(m: number, k: number, n: number): Promise<void> {
  const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i * 0.37));
  const b = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i * 0.11));
  const product = tf.matMul(tf.tensor2d(a, [m, k]), tf.tensor2d(b, [k, n]));
  // data(), not dataSync(): synchronous reads of large GPU-resident tensors fail under WebGPU in Node.
  const actual = await product.data();
  expect(actual.length).toBe(m * n);
  let worst = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let q = 0; q < k; q++) sum += (a[i * k + q] as number) * (b[q * n + j] as number);
      worst = Math.max(worst, Math.abs(sum - (actual[i * n + j] as number)) / Math.max(1, Math.abs(sum)));
    }
  }
  expect(worst).toBeLessThan(1e-4);
}

/** One gradient step through matMul + relu + mean: the value every registered gradient path depends on. */
export async function expectGradient(): Promise<void> {
  const x = tf.tensor2d([[1, -2], [3, 4]]);
  const w = tf.tensor2d([[0.5, -1], [2, 0.25]]);
  const g = tf.grad((v: tf.Tensor) => tf.mean(tf.relu(tf.matMul(x, v))))(w);
  // h = x·w = [[-3.5, -1.5], [9.5, -2]]: only h[1,0] is positive, so dL/dw[:,0] = x[1,:] / 4.
  expect(Array.from(await g.data())).toEqual([0.75, 0, 1, 0]);
}
