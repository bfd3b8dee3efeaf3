import { describe, expect, it } from 'vitest';
import {
  All,
  Any,
  BatchStat,
  Everything,
  FilterError,
  filtersEqual,
  Intermediate,
  Module,
  Not,
  Nothing,
  OfType,
  Param,
  PathContains,
  Perturbation,
  RngCount,
  RngKey,
  RngState,
  split,
  state,
  toFlatState,
  toPredicate,
  WithTag,
} from '../src/index.js';
import { BatchNorm, Linear } from './helpers.js';

describe('filters (filters_test + §1.5)', () => {
  it('test_path_contains', () => {
    class Model extends Module {
      backbone = new Linear(2, 3);
      head = new Linear(3, 10);
    }
    const s = state(new Model(), PathContains('head'));
    expect('head' in s).toBe(true);
    expect('backbone' in s).toBe(false);
  });

  it('types match subclasses; strings match tags, not paths', () => {
    class Rng extends Module {
      key = new RngKey(1, { tag: 'dropout' });
      count = new RngCount(0, { tag: 'dropout' });
      p = new Perturbation(0);
      dropout = new Param(3);
    }
    const m = new Rng();
    expect(toFlatState(state(m, 'dropout')).paths).toEqual([['count'], ['key']]);
    expect(toFlatState(state(m, RngState)).paths).toEqual([['count'], ['key']]);
    expect(toFlatState(state(m, RngKey)).paths).toEqual([['key']]);
    expect(toFlatState(state(m, Intermediate)).paths).toEqual([['p']]);
    expect(m.key.tag).toBe('dropout');
  });

  it('All, Any, Not, OfType, WithTag, Everything, Nothing, true, false, null, arrays, predicates', () => {
    const m = { a: new Linear(1, 1), bn: new BatchNorm(1) };
    const count = (...f: Parameters<typeof state>[1][]) => toFlatState(state(m, f[0]!)).length;
    expect(count(All(Param, PathContains('bn')))).toBe(2);
    expect(count(Any(Param, BatchStat))).toBe(6);
    expect(count(Not(Param))).toBe(2);
    expect(count(OfType(BatchStat))).toBe(2);
    expect(count(WithTag('x'))).toBe(0);
    expect(count(Everything())).toBe(6);
    expect(count(Nothing())).toBe(0);
    expect(count(true)).toBe(6);
    expect(count('...')).toBe(6);
    expect(count(false)).toBe(0);
    expect(count(null)).toBe(0);
    expect(count([BatchStat, PathContains('a')])).toBe(4);
    expect(count((path) => path.at(-1) === 'kernel')).toBe(1);
    expect(toPredicate(Param)(['k'], new Param(1))).toBe(true);
    expect(() => toPredicate(42 as never)).toThrow(FilterError);
  });

  it('... only last; equality of filter objects', () => {
    const m = new Linear(1, 1);
    expect(() => split(m, Everything(), Param)).toThrow(/can only be used as the last/);
    expect(split(m, Param, true, '...').length).toBe(4);
    expect(filtersEqual(Not(Param), Not(Param))).toBe(true);
    expect(filtersEqual(All(Param, 'a'), All(Param, 'a'))).toBe(true);
    expect(filtersEqual(Not(Param), Not(BatchStat))).toBe(false);
    expect(filtersEqual('...', Everything())).toBe(true);
    expect(String(All(Param, PathContains('x')))).toBe('All(Param, PathContains("x"))');
  });
});
