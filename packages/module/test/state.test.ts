import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  BatchStat,
  diff,
  disposeTree,
  filterState,
  FlatState,
  fromFlatState,
  mapState,
  mergeState,
  Module,
  Param,
  replaceByPureDict,
  ShapeError,
  splitState,
  State,
  state,
  StateError,
  toFlatState,
  toPureDict,
  update,
  Variable,
} from '../src/index.js';
import { BatchNorm, Linear, values } from './helpers.js';

const make = () => new State({ a: new Param(1), b: { c: new Param(2) } });

describe('State (state_test)', () => {
  it('test_create_state / test_get_attr', () => {
    const s = make();
    expect(s['a'].value).toBe(1);
    expect(s.b.c.value).toBe(2);
  });

  it('test_set_attr / test_set_attr_variables', () => {
    const s = make();
    s.a.value = 3;
    s.b.c.value = 4;
    expect(s.a).toBeInstanceOf(Param);
    expect(s.a.value).toBe(3);
    expect(s.b.c.value).toBe(4);
  });

  it('test_add_nested_attr / test_delete_nested_attr', () => {
    const s = make();
    s.b.d = new Param(5);
    expect(s.b.d.value).toBe(5);
    delete s.b.c;
    expect('c' in s.b).toBe(false);
  });

  it('test_integer_access: list children are State keys 0, 1 and paths hold numbers', () => {
    class Foo extends Module {
      layers = [new Linear(1, 2), new Linear(2, 3)];
    }
    const m = new Foo();
    const s = state(m);
    expect(s.layers[0].kernel.value.shape).toEqual([1, 2]);
    expect(s.layers[1].kernel.value.shape).toEqual([2, 3]);
    expect(toFlatState(s).paths).toEqual([
      ['layers', 0, 'bias'],
      ['layers', 0, 'kernel'],
      ['layers', 1, 'bias'],
      ['layers', 1, 'kernel'],
    ]);
  });

  it('test_pure_dict: toPureDict, replaceByPureDict keeps Param, update zeroes the output', () => {
    const m = new Linear(4, 5);
    const s = state(m);
    const pure = toPureDict(s);
    expect(pure.kernel).toBeInstanceOf(tf.Tensor);
    expect(pure.kernel).not.toBe(m.kernel.value); // a second owner
    const zeros = { kernel: tf.zerosLike(pure.kernel), bias: tf.zerosLike(pure.bias) };
    replaceByPureDict(s, zeros);
    expect(s.kernel).toBeInstanceOf(Param);
    expect(s.kernel.constructor).toBe(Param);
    expect(values(s.kernel.value)).toEqual(new Array(20).fill(0));
    update(m, s);
    expect(values(m.call(tf.ones([3, 4])))).toEqual(new Array(15).fill(0));
    disposeTree(pure);
  });

  it('replaceByPureDict maps "0" back to list index 0 and rejects unknown keys without changes', () => {
    class Foo extends Module {
      layers = [new Linear(1, 1)];
    }
    const s = state(new Foo());
    const before = s.layers[0].kernel;
    replaceByPureDict(s, { layers: { '0': { kernel: tf.fill([1, 1], 7) } } });
    expect(values(s.layers[0].kernel.value)).toEqual([7]);
    expect(s.layers[0].kernel).not.toBe(before);
    const current = s.layers[0].kernel;
    expect(() => replaceByPureDict(s, { layers: { '0': { kernel: tf.ones([1, 1]) }, 1: { kernel: tf.ones([1, 1]) } } })).toThrow(
      StateError,
    );
    expect(s.layers[0].kernel).toBe(current);
  });

  it('flat state round trip, filter/split/merge/map/diff', () => {
    const m = [new Linear(1, 1), new BatchNorm(1)];
    const s = state(m);
    const flat = toFlatState(s);
    expect(flat).toBeInstanceOf(FlatState);
    expect(flat.paths).toEqual([
      [0, 'bias'],
      [0, 'kernel'],
      [1, 'bias'],
      [1, 'mean'],
      [1, 'scale'],
      [1, 'var'],
    ]);
    const back = fromFlatState(flat);
    expect(toFlatState(back).leaves).toEqual(flat.leaves);
    const params = filterState(s, Param);
    expect(toFlatState(params).length).toBe(4);
    const [p, stats] = splitState(s, Param, BatchStat);
    expect(toFlatState(stats!).paths).toEqual([
      [1, 'mean'],
      [1, 'var'],
    ]);
    expect(() => splitState(s, Param)).toThrow(/Non-exhaustive/);
    const merged = mergeState(p!, stats!);
    expect(toFlatState(merged).leaves).toEqual(flat.leaves);
    const shapes = mapState((_path, v: Variable) => v.shape, s);
    expect(shapes[0].kernel).toEqual([1, 1]);
    expect(toFlatState(diff(s, params)).paths).toEqual([
      [1, 'mean'],
      [1, 'var'],
    ]);
  });

  it('update: missing path, leaf/mapping mismatch and shape mismatch raise and leave the module unchanged', () => {
    class Foo extends Module {
      layers = [new Linear(2, 2)];
      head = new Linear(2, 1);
    }
    const m = new Foo();
    const kernel = m.head.kernel.value;
    const bad1 = { head: { kernel: tf.zeros([2, 1]) }, layers: { 0: { kernel: tf.zeros([3, 3]) } } };
    expect(() => update(m, bad1)).toThrow(ShapeError);
    expect(() => update(m, bad1)).toThrow(/layers\[0\]\.kernel: expected shape \[2, 2\], got \[3, 3\]/);
    expect(m.head.kernel.value).toBe(kernel);
    expect(() => update(m, { head: { nope: tf.zeros([1]) } })).toThrow(/head\.nope does not exist/);
    expect(() => update(m, { layers: { 1: { kernel: tf.zeros([2, 2]) } } })).toThrow(/layers\[1\] does not exist/);
    expect(() => update(m, { head: { kernel: { x: tf.zeros([1]) } } })).toThrow(/Expected a leaf/);
    expect(() => update(m, { head: tf.zeros([1]) })).toThrow(/Expected a mapping/);
    expect(m.head.kernel.value).toBe(kernel);
    // the "0" key of a pure dict addresses the list element, never a new attribute
    update(m, { layers: { '0': { bias: tf.ones([2]) } } });
    expect(values(m.layers[0]!.bias.value)).toEqual([1, 1]);
    expect(Object.keys(m.layers)).toEqual(['0']);
    expect(Object.keys(m)).toEqual(['layers', 'head']);
  });

  it('update clones incoming tensors; the caller keeps ownership', () => {
    const m = new Linear(1, 1);
    const t = tf.fill([1, 1], 5);
    update(m, { kernel: t });
    t.dispose();
    expect(values(m.kernel.value)).toEqual([5]);
  });
});
