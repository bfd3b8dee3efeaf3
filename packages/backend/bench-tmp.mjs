import * as tf from '@tensorflow/tfjs-core';
import { setBackend } from './dist/index.js';
for (const name of ['wasm', 'cpu']) {
  await setBackend(name);
  const x = tf.randomNormal([128, 784]); const w1 = tf.randomNormal([784, 512], 0, 0.05); const w2 = tf.randomNormal([512, 10], 0, 0.05);
  const labels = tf.oneHot(tf.randomUniform([128], 0, 10, 'int32'), 10);
  const step = () => tf.tidy(() => tf.grads((a, b) => tf.losses.softmaxCrossEntropy(labels, tf.matMul(tf.relu(tf.matMul(x, a)), b)))([w1, w2]));
  for (let i = 0; i < 3; i++) { const g = step(); await g[0].data(); tf.dispose(g); }
  const times = [];
  for (let i = 0; i < 11; i++) { const t0 = performance.now(); const g = step(); await g[0].data(); await g[1].data(); tf.dispose(g); times.push(performance.now() - t0); }
  times.sort((a, b) => a - b); console.log(name, 'median ms forward+backward (784-512-10, batch 128):', times[5].toFixed(1));
}
