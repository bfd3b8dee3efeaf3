import * as tf from '@tensorflow/tfjs-core';
import { flattenWithPath, keyPathToString, leaves, map } from '@nnx-ts/pytree';
import { describe, expect, it } from 'vitest';
import { Module, Param, Pytree, State, Variable, state } from '../src/index.js';
import { BatchNorm, Linear } from './helpers.js';

describe('modules, Variables and States are pytrees (@nnx-ts/pytree)', () => {
  it('test_pytree (variable_test): tree.map over a Variable returns a new Variable', () => {
    const r1 = new Param(1);
    const r2 = map((x: number) => x + 1, r1);
    expect(r1.value).toBe(1);
    expect(r2.value).toBe(2);
    expect(r2).toBeInstanceOf(Param);
    expect(r2).not.toBe(r1);
  });

  it('leaves of a Linear are bias then kernel, with paths .bias.value / .kernel.value', () => {
    const lin = new Linear(2, 3);
    const [pairs] = flattenWithPath(lin);
    expect(pairs.map(([p]) => keyPathToString(p))).toEqual(['.bias.value', '.kernel.value']);
    expect(pairs[1]![1]).toBe(lin.kernel.value);
  });

  it('tree.map over a module returns a new module and leaves the original untouched', () => {
    const lin = new Linear(1, 2);
    const doubled = map((x: tf.Tensor) => tf.mul(x, 2), lin);
    expect(doubled).toBeInstanceOf(Linear);
    expect(doubled).not.toBe(lin);
    expect(doubled.inFeatures).toBe(1);
    expect(Array.from(doubled.kernel.value.dataSync())).toEqual([2, 2]);
    expect(Array.from(lin.kernel.value.dataSync())).toEqual([1, 1]);
  });

  it('test_tree_map (module_test): tree.map over a State maps the values inside Variables', () => {
    const s = state(new BatchNorm(2));
    const mapped = map((x: tf.Tensor) => tf.add(x, 1), s);
    expect(mapped).toBeInstanceOf(State);
    expect(mapped.mean).toBeInstanceOf(Variable);
    expect(Array.from((mapped.mean as Variable<tf.Tensor>).value.dataSync())).toEqual([1, 1]);
  });

  it('seed program 4: isLeaf treats modules as leaves', () => {
    const modules = [new Linear(3, 3), new BatchNorm(3)];
    expect(map((m: Module) => m.constructor.name, modules, { isLeaf: (x) => x instanceof Pytree })).toEqual([
      'Linear',
      'BatchNorm',
    ]);
  });

  it('static attributes are not leaves; a list that gained arrays after construction is data', () => {
    class Foo extends Module {
      ls: tf.Tensor[] = [];
      n = 3;
    }
    const f = new Foo();
    f.ls.push(tf.scalar(1));
    expect(leaves(f).length).toBe(1);
  });
});
