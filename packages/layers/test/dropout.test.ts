import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { toFlatState, state, pathToString } from '@nnx-ts/module';
import { Rngs } from '@nnx-ts/rng';
import { Dropout } from '../src/index.js';
import { fixture } from './fixtures.js';

const fx = fixture<{ rate: number; seed: number; shape: number[]; y1: number[]; y2: number[] }>('dropout');

describe('Dropout', () => {
  it('matches Flax masks for two consecutive calls', async () => {
    const dropout = new Dropout(fx.rate, { rngs: new Rngs(fx.seed) });
    const x = tf.ones(fx.shape);
    const y1 = dropout.call(x);
    const y2 = dropout.call(x);
    expect(Array.from(await y1.data())).toEqual(fx.y1);
    expect(Array.from(await y2.data())).toEqual(fx.y2);
    tf.dispose([x, y1, y2]);
  });

  it('holds its forked RNG stream in its state', () => {
    const dropout = new Dropout(0.5, { rngs: new Rngs(0) });
    const paths = toFlatState(state(dropout)).paths.map((p) => pathToString(p));
    expect(paths).toEqual(expect.arrayContaining(['rngs.count', 'rngs.key']));
  });

  it('is the identity in eval mode', async () => {
    const dropout = new Dropout(0.5, { rngs: new Rngs(0) });
    dropout.eval();
    expect(dropout.deterministic).toBe(true);
    const x = tf.tensor([1, 2, 3]);
    const y = dropout.call(x);
    expect(Array.from(await y.data())).toEqual([1, 2, 3]);
    tf.dispose([x, y]);
  });
});
