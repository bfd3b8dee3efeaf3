// Port of flax v0.11.2 tests/nnx/transforms_test.py: TestGrad (see ../PORTED.md).
import * as tf from '@tensorflow/tfjs-core';
import { BatchStat, Param, PathContains, State, Variable, isState, isVariable, toFlatState, update } from '@nnx-ts/module';
import { Linear } from '@nnx-ts/layers';
import { Rngs } from '@nnx-ts/rng';
import { describe, expect, it } from 'vitest';
import { DiffState, grad, valueAndGrad } from '../../src/index.js';
import { Dict, List, val, vals } from './helpers.js';

const s = (x: unknown) => x as any;

describe('TestGrad (transforms_test.py)', () => {
  it('test_grad: a Param shared at two paths gets one summed gradient; update writes through', () => {
    const p1 = new Param(tf.scalar(10));
    const p2 = new Param(tf.scalar(20));
    const m = new Dict({ a: new List([p1, p2]), b: p1, c: 7, d: 5.0 });
    const f = grad((mm: Dict) => tf.addN([mm.a['0'].value, mm.a['1'].value, mm.b.value]));
    const grads = s(f(m));
    expect(m.a['0']).toBe(m.b);
    expect(isState(grads)).toBe(true);
    expect(val(grads.a['0'])).toBe(2.0);
    expect(isVariable(grads.a['0'])).toBe(true);
    expect(val(grads.a['1'])).toBe(1.0);
    expect(isVariable(grads.a['1'])).toBe(true);
    expect(toFlatState(grads).length).toBe(2);

    update(m, grads);
    expect(m.a['0']).toBe(m.b);
    expect(val(m.a['0'])).toBe(2.0);
    expect(val(m.a['1'])).toBe(1.0);
    expect(val(m.b)).toBe(2.0);
    expect(m.c).toBe(7);
    expect(m.d).toBe(5.0);
  });

  it('test_grad_with_multiple_ref_types: the default filter differentiates Params only', () => {
    const m = new Dict({ a: new List([new Param(tf.scalar(10)), new BatchStat(tf.scalar(20))]), b: new Param(tf.scalar(10)), c: 7, d: 5.0 });
    const f = grad((mm: Dict) => tf.addN([mm.a['0'].value, mm.a['1'].value, mm.b.value]));
    const grads = s(f(m));
    expect(isState(grads)).toBe(true);
    expect(val(grads.a['0'])).toBe(1.0);
    expect(grads.a['0']).toBeInstanceOf(Param);
    expect(Object.keys(grads).length).toBe(2);

    update(m, grads);
    expect(val(m.a['0'])).toBe(1.0);
    expect(val(m.a['1'])).toBe(20.0);
    expect(val(m.b)).toBe(1.0);
    expect(m.c).toBe(7);
    expect(m.d).toBe(5.0);
  });

  it('test_grad_with_type_predicate: DiffState(0, BatchStat) differentiates the BatchStat only', () => {
    const m = new Dict({ a: new List([new Param(tf.scalar(10)), new BatchStat(tf.scalar(20))]), b: new Param(tf.scalar(10)), c: 7, d: 5.0 });
    const f = grad((mm: Dict) => tf.addN([mm.a['0'].value, mm.a['1'].value, mm.b.value]), { argnums: new DiffState(0, BatchStat) });
    const grads = s(f(m));
    expect(isState(grads)).toBe(true);
    expect(val(grads.a['1'])).toBe(1.0);
    expect(grads.a['1']).toBeInstanceOf(BatchStat);
    expect(Object.keys(grads).length).toBe(1);

    update(m, grads);
    expect(val(m.a['0'])).toBe(10.0);
    expect(val(m.a['1'])).toBe(1.0);
    expect(val(m.b)).toBe(10.0);
    expect(m.c).toBe(7);
    expect(m.d).toBe(5.0);
  });

  it('test_multiple_inputs: Linear + tensors, grads for kernel and bias', () => {
    const rngs = new Rngs(0);
    const m = new Linear(2, 3, { rngs });
    const lossFn = (mm: Linear, x: tf.Tensor, y: tf.Tensor) => tf.mean(tf.square(tf.sub(mm.call(x), y)));
    const x = rngs.uniform([1, 2]);
    const y = tf.ones([1, 3]);
    const grads = s(grad(lossFn)(m, x, y));
    expect('kernel' in grads).toBe(true);
    expect(grads.kernel.value.shape).toEqual([2, 3]);
    expect('bias' in grads).toBe(true);
    expect(grads.bias.value.shape).toEqual([3]);
  });

  for (const [label, lossFn, argnums] of [
    ['(m1, m2, x, y), argnums (0, 1)', (m1: Linear, m2: Linear, x: tf.Tensor, y: tf.Tensor) => tf.mean(tf.square(tf.sub(m2.call(m1.call(x)), y))), [0, 1]],
    ['(x, m1, y, m2), argnums (1, 3)', (x: tf.Tensor, m1: Linear, y: tf.Tensor, m2: Linear) => tf.mean(tf.square(tf.sub(m2.call(m1.call(x)), y))), [1, 3]],
  ] as const) {
    it(`test_multiple_graph_nodes ${label}`, () => {
      const rngs = new Rngs(0);
      const m1 = new Linear(2, 3, { rngs });
      const m2 = new Linear(3, 3, { rngs });
      const gradFn = grad(lossFn as (...a: any[]) => tf.Scalar, { argnums: [...argnums] });
      const x = rngs.uniform([1, 2]);
      const y = tf.ones([1, 3]);
      const inputs: unknown[] = [x, y];
      inputs.splice(argnums[0], 0, m1);
      inputs.splice(argnums[1], 0, m2);
      const [g1, g2] = s(gradFn(...inputs));
      expect('kernel' in g1).toBe(true);
      expect(g1.kernel.value.shape).toEqual([2, 3]);
      expect('bias' in g1).toBe(true);
      expect(g1.bias.value.shape).toEqual([3]);
      expect('kernel' in g2).toBe(true);
      expect(g2.kernel.value.shape).toEqual([3, 3]);
      expect('bias' in g2).toBe(true);
      expect(g2.bias.value.shape).toEqual([3]);
    });
  }

  const crossLoss = (k1: Linear, k2: Linear) =>
    tf.add(tf.mean(tf.mul(k1.kernel.value, k2.kernel.value)), tf.mean(tf.mul(k1.bias!.value, k2.bias!.value)));
  const diffStates = () => [new DiffState(0, PathContains('kernel')), new DiffState(1, PathContains('bias'))];

  it('test_multiple_args: DiffState per argument with PathContains filters', () => {
    const m1 = new Linear(2, 3, { rngs: new Rngs(0) });
    const m2 = new Linear(2, 3, { rngs: new Rngs(1) });
    const [g1, g2] = s(grad(crossLoss, { argnums: diffStates() })(m1, m2));
    expect('kernel' in g1).toBe(true);
    expect('bias' in g1).toBe(false);
    expect('kernel' in g2).toBe(false);
    expect('bias' in g2).toBe(true);
  });

  it('test_multiple_args_in_pytrees: modules inside lists', () => {
    const m1 = new Linear(2, 3, { rngs: new Rngs(0) });
    const m2 = new Linear(2, 3, { rngs: new Rngs(1) });
    const lossFn = (l1: Linear[], l2: Linear[]) => crossLoss(l1[0]!, l2[0]!);
    const [g1, g2] = s(grad(lossFn, { argnums: diffStates() })([m1], [m2]));
    expect('kernel' in g1[0]).toBe(true);
    expect('bias' in g1[0]).toBe(false);
    expect('kernel' in g2[0]).toBe(false);
    expect('bias' in g2[0]).toBe(true);
  });

  it('test_value_and_grad_multiple_args_in_pytrees', () => {
    const m1 = new Linear(2, 3, { rngs: new Rngs(0) });
    const m2 = new Linear(2, 3, { rngs: new Rngs(1) });
    const lossFn = (l1: Linear[], l2: Linear[]) => crossLoss(l1[0]!, l2[0]!);
    const [loss, [g1, g2]] = s(valueAndGrad(lossFn, { argnums: diffStates() })([m1], [m2]));
    expect(loss.shape).toEqual([]);
    expect('kernel' in g1[0]).toBe(true);
    expect('bias' in g1[0]).toBe(false);
    expect('kernel' in g2[0]).toBe(false);
    expect('bias' in g2[0]).toBe(true);
  });

  it('test_value_and_grad_with_aux: in-place kernel write propagates; a new Linear comes back as aux', () => {
    const m1 = new Linear(2, 3, { rngs: new Rngs(0) });
    const m2 = new Linear(2, 3, { rngs: new Rngs(1) });
    const lossFn = (l1: Linear[], l2: Linear[]) => {
      const loss = crossLoss(l1[0]!, l2[0]!);
      l1[0]!.kernel.value = tf.fill(l1[0]!.kernel.value.shape, -1);
      const m3 = new Linear(2, 3, { rngs: new Rngs(2) });
      return [loss, m3] as const;
    };
    const [[loss, m3], [g1, g2]] = s(valueAndGrad(lossFn, { argnums: diffStates(), hasAux: true })([m1], [m2]));
    expect(vals(m1.kernel)).toEqual(Array(6).fill(-1));
    expect(loss.shape).toEqual([]);
    expect(m3).toBeInstanceOf(Linear);
    expect(m3.kernel.value.isDisposed).toBe(false);
    expect('kernel' in g1[0]).toBe(true);
    expect('bias' in g1[0]).toBe(false);
    expect('kernel' in g2[0]).toBe(false);
    expect('bias' in g2[0]).toBe(true);
  });

  it('test_variables_in_grad: bare Variables in a plain object, shared p1 appears once', () => {
    const p1 = new Param(tf.scalar(10));
    const p2 = new Param(tf.scalar(20));
    const m = { a: [p1, p2], b: p1 };
    const f = grad((mm: typeof m) => tf.addN([mm.a[0]!.value, mm.a[1]!.value, mm.b.value]));
    const grads = s(f(m));
    expect(m.a[0]).toBe(m.b);
    expect(grads instanceof State || typeof grads === 'object').toBe(true);
    expect(isVariable(grads.a[0])).toBe(true);
    expect(val(grads.a[1])).toBe(1.0);
    expect(isVariable(grads.a[1])).toBe(true);
    expect(toFlatState(grads).length).toBe(2);

    update(m, grads);
    expect(m.a[0]).toBe(m.b);
    expect(val(m.a[0])).toBe(2.0);
    expect(val(m.a[1])).toBe(1.0);
    expect(val(m.b)).toBe(2.0);
    expect(m.b).toBeInstanceOf(Variable);
  });
});
