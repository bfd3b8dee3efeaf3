import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  HOST_ARRAY,
  Module,
  Param,
  RngCount,
  RngKey,
  split,
  state,
  toFlatState,
  toPureDict,
  disposeTree,
  type HostArray,
  type State,
} from '../src/index.js';
import { BatchNorm, Linear } from './helpers.js';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/state_paths.json', import.meta.url), 'utf8'));

const host = (shape: number[], dtype: string, words: number): HostArray => ({
  [HOST_ARRAY]: true,
  shape,
  dtype,
  data: new Uint32Array(words),
  clone: () => host(shape, dtype, words),
});

/** Stand-in for the rng package's forked stream: a Pytree holding RngKey/RngCount with a tag. */
class Stream extends Module {
  key = new RngKey(host([], 'key<fry>', 2), { tag: 'default' });
  count = new RngCount(host([], 'uint32', 1), { tag: 'default' });
}
class Dropout extends Module {
  rate = 0.5;
  rngs = new Stream();
}
class Model extends Module {
  linear = new Linear(2, 3);
  bn = new BatchNorm(3);
  dropout = new Dropout();
}
class Stack extends Module {
  layers = [new Linear(2, 2), new Linear(2, 1)];
  head = new Linear(1, 1);
  tied = this.head;
}

function describeState(s: State) {
  const flat = toFlatState(s);
  return flat.leaves.map((v, i) => ({
    path: flat.paths[i],
    type: (v as object).constructor.name,
    shape: (v as Param).shape,
  }));
}

function layout(d: Record<string, unknown>): unknown {
  if (d instanceof tf.Tensor) return d.shape;
  return Object.fromEntries(Object.entries(d).map(([k, v]) => [k, layout(v as Record<string, unknown>)]));
}

describe('Flax fixtures (Appendix A model, list + shared module)', () => {
  it('state paths, types and shapes match Flax', () => {
    const model = new Model();
    expect(describeState(state(model))).toEqual(fixture.model_state);
    const [, params, rest] = split(model, Param, '...');
    expect(describeState(params!)).toEqual(fixture.model_params);
    expect(describeState(rest!)).toEqual(fixture.model_rest);
    expect(describeState(state(model, 'default'))).toEqual(fixture.model_tag_default);
    expect(describeState(state(new Stack()))).toEqual(fixture.stack_state);
  });

  it('toPureDict layout matches Flax (list indices as integer-like keys)', () => {
    const dict = toPureDict(state(new Stack()));
    expect(layout(dict)).toEqual(fixture.stack_pure_dict_shapes);
    expect(fixture.stack_pure_dict_key_types).toEqual(['int']);
    expect(toFlatState(state(new Stack())).paths[2]).toEqual(['layers', 0, 'bias']);
    disposeTree(dict);
  });
});
