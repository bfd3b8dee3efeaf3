// Per-call overhead of `jit` over the bare function, 10-layer MLP (32 wide, batch 8) on the cpu backend: on the
// cached path (unchanged argument graph) and on the slow path (a static attribute changes every call, so every call
// flattens the arguments), side by side in one process.
// Run after building: pnpm --filter @nnx-ts/transforms bench
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { Module, Param } from '@nnx-ts/module';
import { jit, jitCacheInfo } from '@nnx-ts/transforms';

await tf.setBackend('cpu');

class Linear extends Module {
  constructor(din, dout, seed) {
    super();
    this.kernel = new Param(tf.randomNormal([din, dout], 0, 0.2, 'float32', seed));
    this.bias = new Param(tf.zeros([dout]));
  }
  call(x) {
    return tf.add(tf.matMul(x, this.kernel.value), this.bias.value);
  }
}

class MLP extends Module {
  constructor() {
    super();
    this.layers = Array.from({ length: 10 }, (_, i) => new Linear(32, 32, i));
  }
  call(x) {
    for (const layer of this.layers) x = tf.relu(layer.call(x));
    return x;
  }
}

const model = new MLP();
const slowModel = new MLP();
const x = tf.randomNormal([8, 32], 0, 1, 'float32', 99);
const forward = (m, input) => m.call(input);
const bare = (m, input) => tf.tidy(() => forward(m, input));
const jitted = jit(forward);
const jittedSlow = jit(forward);
let calls = 0;
// A new static value per call: a new GraphDef, so the cache never matches.
const slow = (_, input) => {
  slowModel.calls = calls++;
  return jittedSlow(slowModel, input);
};

function median(fn, iters) {
  const times = [];
  for (let i = 0; i < iters; i++) {
    const t0 = process.hrtime.bigint();
    fn(model, x).dispose();
    times.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

for (let round = 0; round < 3; round++) {
  median(bare, 300);
  median(jitted, 300);
  median(slow, 300);
}
const rounds = [];
for (let round = 0; round < 5; round++) {
  const b = median(bare, 1000);
  const j = median(jitted, 1000);
  const s = median(slow, 1000);
  rounds.push({ bare: b, cached: j - b, slow: s - b });
}
const middle = (key) => rounds.map((r) => r[key]).sort((a, b) => a - b)[2];
const fast = jitCacheInfo(jitted);
const uncached = jitCacheInfo(jittedSlow);
console.log(
  `jit overhead, 10-layer MLP (32x32, batch 8, cpu), bare tf.tidy ${middle('bare').toFixed(1)} us: ` +
    `cached ${middle('cached').toFixed(1)} us, slow path ${middle('slow').toFixed(1)} us per call ` +
    `(medians of 1000 calls, middle of 5 rounds; cache hits/misses ${fast.hits}/${fast.misses} and ${uncached.hits}/${uncached.misses})`,
);
