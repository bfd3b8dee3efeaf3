// Times split + merge of a 100-layer MLP (medians of many runs) and reports µs per layer.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { merge, Module, Param, split, state, update } from '../dist/index.js';

await tf.setBackend('cpu');

class Linear extends Module {
  constructor(din, dout) {
    super();
    this.inFeatures = din;
    this.outFeatures = dout;
    this.useBias = true;
    this.kernel = new Param(tf.zeros([din, dout]));
    this.bias = new Param(tf.zeros([dout]));
  }
}
class MLP extends Module {
  constructor(n) {
    super();
    this.layers = Array.from({ length: n }, () => new Linear(8, 8));
  }
}

const LAYERS = 100;
const model = new MLP(LAYERS);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(label, fn, runs = 2000) {
  for (let i = 0; i < 200; i++) fn();
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  const med = median(samples);
  console.log(`${label.padEnd(34)} median ${med.toFixed(1).padStart(8)} µs  = ${(med / LAYERS).toFixed(2)} µs/layer`);
  return med;
}

time('split + merge', () => {
  const [g, s] = split(model);
  merge(g, s);
});
time('split(Param, ...) + merge', () => {
  const [g, p, r] = split(model, Param, '...');
  merge(g, p, r);
});
time('split + merge + graphdef.key', () => {
  const [g, s] = split(model);
  void g.key;
  merge(g, s);
});
const snapshot = state(model);
time('update(model, state)', () => update(model, snapshot));
time('graphdef.key (fresh split each run)', () => {
  const [g] = split(model);
  void g.key;
});
time('split only', () => split(model));
