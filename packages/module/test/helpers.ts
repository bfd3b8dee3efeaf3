import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Module, Param, BatchStat } from '../src/index.js';

await tf.setBackend('cpu');

/** A Linear-like module with deterministic values (no RNG): kernel filled with `fill`, bias zeros. */
export class Linear extends Module {
  kernel: Param<tf.Tensor>;
  bias: Param<tf.Tensor>;
  inFeatures: number;
  outFeatures: number;
  constructor(inFeatures: number, outFeatures: number, fill = 1) {
    super();
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.kernel = new Param(tf.fill([inFeatures, outFeatures], fill));
    this.bias = new Param(tf.zeros([outFeatures]));
  }
  call(x: tf.Tensor): tf.Tensor {
    return tf.add(tf.matMul(x, this.kernel.value), this.bias.value);
  }
}

/** A BatchNorm-shaped module (state only). */
export class BatchNorm extends Module {
  scale: Param<tf.Tensor>;
  bias: Param<tf.Tensor>;
  mean: BatchStat<tf.Tensor>;
  var: BatchStat<tf.Tensor>;
  useRunningAverage = false;
  constructor(features: number) {
    super();
    this.scale = new Param(tf.ones([features]));
    this.bias = new Param(tf.zeros([features]));
    this.mean = new BatchStat(tf.zeros([features]));
    this.var = new BatchStat(tf.ones([features]));
  }
}

/** Test-local helper like Flax's `List` module: items stored in a list attribute. */
export class List extends Module {
  items: unknown[];
  constructor(items: unknown[]) {
    super();
    this.items = [...items];
  }
}

/** Test-local helper like Flax's `Dict` module. */
export class Dict extends Module {
  items: Record<string, unknown>;
  constructor(items: Record<string, unknown>) {
    super();
    this.items = { ...items };
  }
}

export function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}
