import * as tf from '@tensorflow/tfjs-core';
import { expect, it, vi } from 'vitest';
import * as a from '../src/index.js';
import './helpers.js';

// A second, independently evaluated copy of the package (as when two versions are installed side by side).
vi.resetModules();
const b = (await import('../src/index.js')) as typeof a;

it('two installed copies interoperate through Symbol.for brands and globalThis registries', () => {
  expect(b.Param).not.toBe(a.Param);
  const pb = new b.Param(tf.ones([2]));
  expect(pb).toBeInstanceOf(a.Param);
  expect(pb).toBeInstanceOf(a.Variable);
  expect(pb).not.toBeInstanceOf(a.BatchStat);
  expect(a.isVariable(pb)).toBe(true);

  class Mixed extends b.Module {
    w = new a.Param(tf.ones([1]));
    s = new b.BatchStat(tf.zeros([1]));
    child = new a.Module();
  }
  const m = new Mixed();
  expect(m).toBeInstanceOf(a.Module);
  expect(m.child).toBeInstanceOf(b.Pytree);
  const [g, params, rest] = a.split(m, b.Param, '...');
  expect(g).toBeInstanceOf(b.GraphDef);
  expect(params).toBeInstanceOf(b.State);
  expect(a.toFlatState(params!).paths).toEqual([['w']]);
  expect(b.toFlatState(rest!).paths).toEqual([['s']]);
  const m2 = b.merge<Mixed>(g, params, rest);
  expect(m2.w).toBe(m.w);
  expect(b.variableTypeFromName('params')).toBe(a.variableTypeFromName('params'));
  expect(() => b.split(m, a.Param)).toThrow(a.FilterError);
  expect(() => b.split(m, a.Param)).toThrow(a.NnxError);
  expect(new b.ShapeError('x')).not.toBeInstanceOf(a.FilterError);
  expect(new b.ShapeError('x')).toBeInstanceOf(Error);
});
