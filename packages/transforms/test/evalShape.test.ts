import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { Module, Param, BatchStat, ShapeDtype, evalShape, state, toFlatState } from '@nnx-ts/module';
import { describe, expect, it } from 'vitest';
import { jit, scan, vmap, Carry } from '../src/index.js';

class Block extends Module {
  kernel: Param<tf.Tensor>;
  mean: BatchStat<tf.Tensor>;
  constructor(seed: tf.Tensor) {
    super();
    this.kernel = new Param(tf.add(tf.zeros([3, 4]), seed));
    this.mean = new BatchStat(tf.zeros([4]));
  }
}

function shapes(node: unknown): Record<string, number[]> {
  const flat = toFlatState(state(node));
  return Object.fromEntries(flat.paths.map((p, i) => [p.join('.'), (flat.leaves[i] as Param).shape]));
}

describe('evalShape with transforms (Flax nnx.eval_shape over lifted constructors)', () => {
  it('builds an abstract stacked model through vmap without keeping a tensor', () => {
    const before = tf.memory().numTensors;
    const abstract = evalShape(() => vmap((s: tf.Tensor) => new Block(s))(tf.range(0, 5)));
    expect(tf.memory().numTensors).toBe(before);
    expect(shapes(abstract)).toEqual({ kernel: [5, 3, 4], mean: [5, 4] });
    expect(abstract.kernel.raw).toBeInstanceOf(ShapeDtype);
    expect((abstract.kernel.raw as ShapeDtype).dtype).toBe('float32');
  });

  it('gives the shapes of a jitted call and of a scan over the stacked layers, abstractly', () => {
    const before = tf.memory().numTensors;
    const out = evalShape(() => {
      const layers = vmap((s: tf.Tensor) => new Block(s))(tf.range(0, 2));
      const forward = scan((b: Block, x: tf.Tensor) => tf.matMul(x, tf.slice(b.kernel.value, [0, 0], [3, 3])), { inAxes: [0, Carry], outAxes: Carry });
      const y = jit((x: tf.Tensor) => forward(layers, x))(tf.ones([7, 3]));
      return { layers, y };
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(out.y).toBeInstanceOf(ShapeDtype);
    expect((out.y as unknown as ShapeDtype).shape).toEqual([7, 3]);
    expect(shapes(out.layers)).toEqual({ kernel: [2, 3, 4], mean: [2, 4] });
  });
});
