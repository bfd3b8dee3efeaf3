import '@tensorflow/tfjs-backend-cpu';
import { OfType, Param, RngCount, RngKey, split as nnxSplit, merge, state } from '@nnx-ts/module';
import { describe, expect, it } from 'vitest';
import { foldIn, key, normalValues, Rngs, RngStream, RngStreamError } from '../src/index.js';
import { fixture } from './fixtures.js';

const seq = fixture('rngs');
const words = (k: { data: Uint32Array }) => Array.from(k.data);

describe('Rngs (Flax sequences from tooling/reference/rng.py)', () => {
  it('Rngs(0) yields foldIn(key(0), 0..3) from default and params', () => {
    const r = new Rngs(0);
    expect([0, 1, 2, 3].map(() => words(r.call()))).toEqual(seq.default);
    const p = new Rngs(0);
    expect([0, 1, 2].map(() => words(p.params.call()))).toEqual(seq.params);
  });

  it('Rngs(100, { params: 42 }) follows Flax call order with fallback to default', () => {
    const r = new Rngs(100, { params: 42 });
    expect([words(r.params.call()), words(r.dropout.call()), words(r.call()), words(r.params.call())]).toEqual(
      seq.mixed_100_params42,
    );
  });

  it('fork consumes one count of each parent stream; split forks are stacked', () => {
    const r = new Rngs({ params: 0, dropout: 1 });
    const f = r.fork();
    expect(words(f.params.key.value)).toEqual(seq.fork.child_params_key);
    expect(words(f.dropout.key.value)).toEqual(seq.fork.child_dropout_key);
    expect(words(f.params.call())).toEqual(seq.fork.child_params_first);
    expect(r.params.count.value.data[0]).toBe(seq.fork.parent_params_count);
    expect(words(r.params.call())).toEqual(seq.fork.parent_params_next);

    const s = new Rngs({ params: 0, dropout: 1 }).fork({ split: 4 });
    expect(s.params.key.value.shape).toEqual(seq.fork_split4.params_shape);
    expect(words(s.params.key.value)).toEqual(seq.fork_split4.params_key);
    expect(Array.from(s.params.count.value.data)).toEqual(seq.fork_split4.params_count);

    const per = new Rngs({ params: 0, dropout: 1 }).fork({ split: [['params', 4]] });
    expect(per.params.key.value.shape).toEqual([4]);
    expect(per.dropout.key.value.shape).toEqual([]);
  });

  it('stream.fork() and stream helpers', () => {
    const s = new Rngs(5).default.fork();
    expect(words(s.key.value)).toEqual(seq.stream_fork_seed5.key);
    expect(words(s.call())).toEqual(seq.stream_fork_seed5.first);
    const r = new Rngs({ params: 3 });
    const expected = normalValues(foldIn(key(3), 0), [2, 2]);
    const got = r.params.normal([2, 2]);
    expect(got.dataSync()).toEqual(expected);
    got.dispose();
  });

  it('passing a stream into Rngs keeps its key and resets its count', () => {
    const a = new Rngs(9);
    a.call();
    a.call();
    const b = new Rngs({ params: a.default });
    expect(words(b.params.key.value)).toEqual(words(key(9)));
    expect(b.params.count.value.data[0]).toBe(0);
  });

  it('is graph state: RngKey/RngCount Variables tagged with the stream name', () => {
    const r = new Rngs({ params: 0, dropout: 1 });
    r.params.call();
    const keys = state(r, RngKey);
    const counts = state(r, OfType(RngCount));
    expect(Object.keys(keys).sort()).toEqual(['dropout', 'params']);
    expect((counts as any).params.count.value.data[0]).toBe(1);
    expect(state(r, 'dropout')).toHaveProperty('dropout');
    expect(state(r, Param)).toEqual({});
    const [g, s] = nnxSplit(r);
    const r2 = merge(g, s) as Rngs;
    expect(r2).toBeInstanceOf(Rngs);
    expect(r2.params).toBeInstanceOf(RngStream);
    expect(words(r2.params.call())).toEqual(words(foldIn(key(0), 1)));
    expect(words(r2.dropout.call())).toEqual(words(foldIn(key(1), 0)));
  });

  it('a missing stream without default is a typed error listing the streams', () => {
    const r = new Rngs({ params: 0 });
    expect(() => r.dropout).toThrow(RngStreamError);
    expect(() => r.stream('noise')).toThrow(/no RNG stream 'noise'.*streams: \[params\]/);
  });
});
