// vmap over N replicas vs N plain calls (an ensemble of N Linear(32, 32) on a batch of 8), cpu backend.
// Run after building: pnpm --filter @nnx-ts/transforms bench
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { Module, Param } from '@nnx-ts/module';
import { vmap } from '@nnx-ts/transforms';

await tf.setBackend('cpu');
const N = 8;

class Linear extends Module {
  constructor(kernel, bias) {
    super();
    this.kernel = new Param(kernel);
    this.bias = new Param(bias);
  }
  call(x) {
    return tf.relu(tf.add(tf.matMul(x, this.kernel.value), this.bias.value));
  }
}

const ensemble = new Linear(tf.randomNormal([N, 32, 32], 0, 0.2, 'float32', 1), tf.zeros([N, 32]));
const members = Array.from({ length: N }, (_, i) => new Linear(tf.randomNormal([32, 32], 0, 0.2, 'float32', i + 2), tf.zeros([32])));
const x = tf.randomNormal([8, 32], 0, 1, 'float32', 99);
const batched = vmap((m, xb) => m.call(xb), { inAxes: [0, null] });
const loop = () => tf.tidy(() => tf.stack(members.map((m) => m.call(x))));

function median(fn, iters) {
  const times = [];
  for (let i = 0; i < iters; i++) {
    const t0 = process.hrtime.bigint();
    fn().dispose();
    times.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

median(() => batched(ensemble, x), 200);
median(loop, 200);
const v = median(() => batched(ensemble, x), 1000);
const l = median(loop, 1000);
console.log(`vmap over ${N} vs ${N} plain calls (Linear 32x32, batch 8, cpu): vmap ${v.toFixed(1)} us, loop ${l.toFixed(1)} us (median of 1000)`);
