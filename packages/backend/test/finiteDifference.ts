import * as tf from '@tensorflow/tfjs-core';

/** Deterministic values in ±[0.3, 1.3): away from 0 so kinks (relu, abs) and ties (max) are not sampled. */
export function sample(shape: number[], seed: number, positive = false): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  let state = seed * 2654435761 + 1;
  const values = Array.from({ length: size }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    const u = state / 2147483648;
    const magnitude = 0.3 + u;
    return positive || (state & 1024) === 0 ? magnitude : -magnitude;
  });
  return tf.tensor(values, shape);
}

/**
 * Compares `tf.grads` of `sum(f(xs) * weights)` with central finite differences (float32, step 1e-2 scaled) and
 * returns the worst error relative to max(1, |numeric|).
 */
export function gradientError(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[]): number {
  const probe = f(...inputs);
  const weights = sample(probe.shape, 99);
  const loss = (...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), weights));
  const analytic = tf.grads(loss)(inputs).map((g) => g.arraySync() as number[] | number);
  let worst = 0;
  inputs.forEach((input, which) => {
    const base = Float32Array.from(input.dataSync());
    const flatAnalytic = [analytic[which]].flat(Infinity as 1) as number[];
    for (let i = 0; i < base.length; i++) {
      const step = 1e-2 * Math.max(1, Math.abs(base[i] as number));
      const at = (delta: number) => {
        const moved = Float32Array.from(base);
        moved[i] = (base[i] as number) + delta;
        const xs = inputs.map((x, j) => (j === which ? tf.tensor(moved, input.shape) : x));
        return tf.tidy(() => loss(...xs).dataSync()[0] as number);
      };
      const numeric = (at(step) - at(-step)) / (2 * step);
      worst = Math.max(worst, Math.abs((flatAnalytic[i] as number) - numeric) / Math.max(1, Math.abs(numeric)));
    }
  });
  return worst;
}
