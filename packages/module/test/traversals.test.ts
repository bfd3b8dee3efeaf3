import { describe, expect, it } from 'vitest';
import { Param, State, traversals } from '../src/index.js';

const { flattenMapping, unflattenMapping, emptyNode } = traversals;

describe('traversals (test_traversals)', () => {
  it('test_flatten_mapping (pairs, sep)', () => {
    const xs = { foo: 1, bar: { a: 2, b: {} } };
    expect(flattenMapping(xs)).toEqual([
      [['bar', 'a'], 2],
      [['foo'], 1],
    ]);
    expect(Object.fromEntries(flattenMapping(xs, { sep: '/' }))).toEqual({ foo: 1, 'bar/a': 2 });
  });

  it('test_unflatten_mapping', () => {
    const expected = { foo: 1, bar: { a: 2 } };
    expect(unflattenMapping([[['foo'], 1], [['bar', 'a'], 2]])).toEqual(expected);
    expect(unflattenMapping({ foo: 1, 'bar/a': 2 }, { sep: '/' })).toEqual(expected);
  });

  it('test_flatten_mapping_keep_empty', () => {
    const xs = { foo: 1, bar: { a: 2, b: {} } };
    const flatYs = flattenMapping({ a: {} }, { keepEmptyNodes: true });
    expect(flatYs).toEqual([[['a'], emptyNode]]);
    const flat = flattenMapping(xs, { keepEmptyNodes: true });
    expect(flat).toEqual([
      [['bar', 'a'], 2],
      [['bar', 'b'], emptyNode],
      [['foo'], 1],
    ]);
    expect(unflattenMapping(flat)).toEqual(xs);
    expect(flattenMapping({}, { keepEmptyNodes: true })).toEqual([]);
  });

  it('test_flatten_mapping_is_leaf', () => {
    const xs = { foo: { c: 4 }, bar: { a: 2, b: {} } };
    const flat = flattenMapping(xs, { isLeaf: (k, x) => k.length === 1 && Object.keys(x).length === 2 });
    expect(flat).toEqual([
      [['bar'], { a: 2, b: {} }],
      [['foo', 'c'], 4],
    ]);
    expect(unflattenMapping(flat)).toEqual(xs);
  });

  it('States are mappings and Variables are leaves; sep paths map numeric parts back to indices', () => {
    const p = new Param(1);
    const s = new State({ layers: new State({ 0: new State({ kernel: p }) }) });
    expect(flattenMapping(s)).toEqual([[['layers', 0, 'kernel'], p]]);
    expect(unflattenMapping({ 'layers/0/kernel': 1 }, { sep: '/' })).toEqual({ layers: { 0: { kernel: 1 } } });
  });

  it('seed program 2 shape: drop rngs paths, strip trailing value', () => {
    const old = {
      linear: { kernel: { value: 1 }, bias: { value: 2 } },
      dropout: { rngs: { default: { count: { value: 4 }, key: { value: 5 } } } },
    };
    const flat = flattenMapping(old)
      .filter(([path]) => !path.includes('rngs'))
      .map(([path, v]) => [path.at(-1) === 'value' ? path.slice(0, -1) : path, v] as const);
    expect(unflattenMapping(flat)).toEqual({ linear: { kernel: 1, bias: 2 } });
  });
});
