import '@tensorflow/tfjs-backend-cpu';
import { Module } from '@nnx-ts/module';
import { describe, expect, it } from 'vitest';
import { foldIn, forkRngs, key, KeyError, reseed, Rngs, RngStream, splitRngs } from '../src/index.js';
import { fixture } from './fixtures.js';

const seq = fixture('rngs');
const words = (k: { data: Uint32Array }) => Array.from(k.data);

describe('splitRngs (Flax split_rngs / restore_rngs)', () => {
  it('splits matching streams, consumes one count, and restores the key with the count advanced', () => {
    const r = new Rngs({ params: 0, dropout: 1 });
    const backups = splitRngs(r, { splits: 5, only: 'params' });
    const expected = seq.split_rngs_5_params;
    expect(words(r.params.key.value)).toEqual(expected.params_key);
    expect(Array.from(r.params.count.value.data)).toEqual(expected.params_count);
    expect(r.dropout.key.value.shape).toEqual(expected.dropout_key_shape);
    expect(backups.size).toBe(1);
    backups.restore();
    expect(words(r.params.key.value)).toEqual(expected.restored_params_key);
    expect(r.params.count.value.data[0]).toBe(expected.restored_params_count);
  });

  it('wraps a function: streams reachable from the arguments are split during the call only', () => {
    const r = new Rngs(0);
    const shapes = splitRngs({ splits: 3 })((rngs: Rngs) => rngs.default.key.value.shape);
    expect(shapes(r)).toEqual([3]);
    expect(r.default.key.value.shape).toEqual([]);
    expect(r.default.count.value.data[0]).toBe(1);
  });

  it('works as a TC39 method decorator with `this` as the first argument', () => {
    class Builder extends Module {
      rngs = new Rngs(0);
      @splitRngs({ splits: 4 })
      keyShape(): readonly number[] {
        return this.rngs.default.key.value.shape;
      }
    }
    const b = new Builder();
    expect(b.keyShape()).toEqual([4]);
    expect(b.rngs.default.key.value.shape).toEqual([]);
  });

  it('restores when the wrapped function throws, and supports `using`-style disposal', () => {
    const r = new Rngs(0);
    const failing = splitRngs({ splits: 2 })((_rngs: Rngs) => {
      throw new Error('boom');
    });
    expect(() => failing(r)).toThrow('boom');
    expect(r.default.key.value.shape).toEqual([]);
    const backups = splitRngs(r, { splits: 2 });
    backups[Symbol.dispose]();
    expect(r.default.key.value.shape).toEqual([]);
    expect(r.default.count.value.data[0]).toBe(2);
  });

  it('rejects splitting already-stacked streams with an explanation of the 0.11 change', () => {
    const stacked = new Rngs(0).fork({ split: 5 });
    expect(() => splitRngs(stacked, { splits: 5 })).toThrow(/already stacked.*needs no second splitRngs/);
    expect(() => splitRngs(new Rngs(0), { splits: 2, squeeze: true })).toThrow(KeyError);
  });

  it('squeeze with splits 1 keeps scalar keys', () => {
    const r = new Rngs(3);
    const b = splitRngs(r, { splits: 1, squeeze: true });
    expect(r.default.key.value.shape).toEqual([]);
    expect(words(r.default.key.value)).toEqual(words(foldIn(foldIn(key(3), 0), 0)));
    b.restore();
  });
});

describe('forkRngs and reseed', () => {
  it('forkRngs replaces streams by their forks until restore', () => {
    const r = new Rngs({ params: 0, dropout: 1 });
    const b = forkRngs(r, { split: [['dropout', 4]] });
    expect(r.dropout.key.value.shape).toEqual([4]);
    expect(words(r.params.key.value)).toEqual(words(foldIn(key(0), 0)));
    b.restore();
    expect(words(r.params.key.value)).toEqual(words(key(0)));
    expect(r.params.count.value.data[0]).toBe(1);
  });

  it('reseed gives matching streams foldIn(key(seed), i) in traversal order (Flax reseed)', () => {
    const r = new Rngs({ params: 0, dropout: 7 });
    const a = r.dropout.fork();
    const b = r.dropout.fork();
    a.key.value = key(999);
    reseed({ a, b }, { dropout: 7 });
    expect(words(a.key.value)).toEqual(seq.reseed_dropout7.a_key);
    expect(words(b.key.value)).toEqual(seq.reseed_dropout7.b_key);
    expect(a.count.value.data[0]).toBe(seq.reseed_dropout7.a_count);
  });

  it('reseed policies for stacked keys', () => {
    const s = new RngStream(key(1), { tag: 'dropout' }).fork({ split: 3 });
    expect(() => reseed({ s }, { dropout: 0 })).toThrow(/stacked key.*matchShape/);
    reseed({ s }, { dropout: 0 }, 'matchShape');
    expect(s.key.value.shape).toEqual([3]);
    expect(Array.from(s.count.value.data)).toEqual([0, 0, 0]);
  });
});
