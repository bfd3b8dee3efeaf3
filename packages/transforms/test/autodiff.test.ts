import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { ensureGradients } from '@nnx-ts/backend';

ensureGradients();
import { BatchStat, Module, Param, TransformError, type State } from '@nnx-ts/module';
import { describe, expect, it } from 'vitest';
import { DiffState, grad, valueAndGrad } from '../src/index.js';
import fixture from './fixtures/grad_mlp.json' with { type: 'json' };
import { flatState } from './flatState.js';

const F = fixture.mlp;
type Nested = number | Nested[];

function param(path: string): Param<tf.Tensor> {
  return new Param(tf.tensor((F.params as Record<string, unknown>)[path] as number[]));
}

class Dense extends Module {
  kernel: Param<tf.Tensor>;
  bias: Param<tf.Tensor>;
  constructor(name: string) {
    super();
    this.kernel = param(`${name}/kernel`);
    this.bias = param(`${name}/bias`);
  }
  call(x: tf.Tensor): tf.Tensor {
    return tf.add(tf.matMul(x, this.kernel.value), this.bias.value);
  }
}

class MLP extends Module {
  l1 = new Dense('l1');
  l2 = new Dense('l2');
  l3 = new Dense('l3');
  mean = new BatchStat<tf.Tensor>(tf.zeros([8]));
  count = new BatchStat<tf.Tensor>(tf.scalar(0, 'int32'));
  call(x: tf.Tensor): tf.Tensor {
    const h = tf.tanh(this.l1.call(x));
    this.mean.value = tf.add(tf.mul(this.mean.value, 0.9), tf.mul(tf.mean(h, 0), 0.1));
    this.count.value = tf.add(this.count.value, 1);
    return this.l3.call(tf.relu(this.l2.call(h)));
  }
}

function expectClose(actual: tf.Tensor, expected: Nested, tol = 2e-6): void {
  const flatA = Array.from(actual.dataSync());
  const flatE = ([expected] as unknown[]).flat(Infinity as 1) as number[];
  expect(actual.size).toBe(flatE.length);
  flatA.forEach((v, i) => expect(Math.abs(v - flatE[i]!)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(flatE[i]!))));
}

describe('valueAndGrad on an MLP (fixture from real Flax nnx.value_and_grad)', () => {
  it('matches loss, aux and Param grads; returns a State of Params; propagates BatchStat updates', () => {
    const model = new MLP();
    const x = tf.tensor(F.x);
    const y = tf.tensor(F.y);
    const lossFn = (m: MLP, xb: tf.Tensor, yb: tf.Tensor): [tf.Tensor, tf.Tensor] => {
      const pred = m.call(xb);
      return [tf.mean(tf.square(tf.sub(pred, yb))), pred];
    };
    const [[loss, pred], grads] = valueAndGrad(lossFn, { hasAux: true })(model, x, y);
    expectClose(loss, F.loss);
    expectClose(pred, F.pred);
    const flat = flatState(grads as State);
    expect(Object.keys(flat).sort()).toEqual(Object.keys(F.grads).sort());
    for (const [path, expected] of Object.entries(F.grads)) {
      expect(flat[path]).toBeInstanceOf(Param);
      expect(flat[path]).not.toBe((flatState(model as unknown as State) as any)[path]);
      expectClose(flat[path]!.value as tf.Tensor, expected as Nested);
    }
    expectClose(model.mean.value, F.stateAfter.mean);
    expect(model.count.value.arraySync()).toBe(F.stateAfter.count);
  });

  it('grad with hasAux returns [grads, aux] with the grads of valueAndGrad, and frees the loss', () => {
    const x = tf.tensor(F.x);
    const y = tf.tensor(F.y);
    const lossFn = (m: MLP, xb: tf.Tensor, yb: tf.Tensor): [tf.Tensor, { pred: tf.Tensor; tag: string }] => {
      const pred = m.call(xb);
      return [tf.mean(tf.square(tf.sub(pred, yb))), { pred, tag: 'aux' }];
    };
    const reference = new MLP();
    const [[, refAux], refGrads] = valueAndGrad(lossFn, { hasAux: true })(reference, x, y);
    const model = new MLP();
    const before = tf.memory().numTensors;
    const result = grad(lossFn, { hasAux: true })(model, x, y) as unknown as [State, { pred: tf.Tensor; tag: string }];
    // 6 Param grads and the aux prediction stay allocated; the loss does not (BatchStat updates replaced their old values).
    expect(tf.memory().numTensors).toBe(before + 6 + 1);
    expect(Array.isArray(result)).toBe(true);
    expect(result).toHaveLength(2);
    const [grads, aux] = result;
    expect(aux.tag).toBe('aux');
    expect(Array.from(aux.pred.dataSync())).toEqual(Array.from(refAux.pred.dataSync()));
    expectClose(aux.pred, F.pred);
    const flat = flatState(grads);
    const refFlat = flatState(refGrads);
    expect(Object.keys(flat).sort()).toEqual(Object.keys(refFlat).sort());
    expect(Object.keys(flat).sort()).toEqual(Object.keys(F.grads).sort());
    for (const [path, g] of Object.entries(flat)) {
      expect(g).toBeInstanceOf(Param);
      expect(Array.from((g.value as tf.Tensor).dataSync())).toEqual(Array.from((refFlat[path]!.value as tf.Tensor).dataSync()));
      expectClose(g.value as tf.Tensor, (F.grads as Record<string, Nested>)[path]!);
    }
    // State written by fn stays on the caller, as with valueAndGrad.
    expectClose(model.mean.value, F.stateAfter.mean);
    expect(model.count.value.arraySync()).toBe(F.stateAfter.count);
  });

  it('differentiates a model and an array argument with argnums [0, 1]', () => {
    const model = new MLP();
    const x = tf.tensor(F.x);
    const [gModel, gx] = grad((m: MLP, xb: tf.Tensor) => tf.sum(tf.square(m.call(xb))), { argnums: [0, 1] })(model, x) as unknown as [
      State,
      tf.Tensor,
    ];
    const flat = flatState(gModel);
    for (const [path, expected] of Object.entries(F.sumSquares.modelGrads)) expectClose(flat[path]!.value as tf.Tensor, expected as Nested, 1e-5);
    expectClose(gx, F.sumSquares.xGrad, 1e-5);
  });

  it('frees intermediates: only loss, grads and the updated state stay allocated', () => {
    const model = new MLP();
    const x = tf.tensor(F.x);
    const y = tf.tensor(F.y);
    const before = tf.memory().numTensors;
    const [loss, grads] = valueAndGrad((m: MLP) => tf.mean(tf.square(tf.sub(m.call(x), y))))(model);
    // loss + 6 Param grads; BatchStat mean/count were replaced (old ones disposed), so they add nothing.
    expect(tf.memory().numTensors).toBe(before + 1 + 6);
    tf.dispose([loss, ...Object.values(flatState(grads)).map((v) => v.value as tf.Tensor)]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

class Tied extends Module {
  a: Param<tf.Tensor>[];
  b = new BatchStat<tf.Tensor>(tf.scalar(3));
  constructor() {
    super();
    const p = new Param(tf.scalar(1));
    this.a = [p, p, new Param(tf.scalar(2))];
  }
}

describe('grad with shared Variables and DiffState (Flax test_grad)', () => {
  it('a Param reached at two paths appears once with the summed gradient', () => {
    const m = new Tied();
    const g = grad((t: Tied) => tf.add(tf.add(t.a[0]!.value, tf.mul(t.a[1]!.value, t.a[2]!.value)), t.b.value))(m) as State;
    const flat = flatState(g);
    expect(Object.keys(flat).sort()).toEqual(Object.keys(fixture.tied.paramGrads).sort());
    for (const [path, v] of Object.entries(fixture.tied.paramGrads)) expect((flat[path]!.value as tf.Tensor).arraySync()).toBe(v);
  });

  it('DiffState(0, BatchStat) differentiates BatchStat only and returns BatchStat grads', () => {
    const m = new Tied();
    const g = grad((t: Tied) => tf.mul(tf.mul(t.a[0]!.value, t.b.value), t.b.value), { argnums: new DiffState(0, BatchStat) })(m) as State;
    const flat = flatState(g);
    expect(Object.keys(flat)).toEqual(Object.keys(fixture.tied.batchStatGrads));
    expect(flat.b).toBeInstanceOf(BatchStat);
    expect((flat.b!.value as tf.Tensor).arraySync()).toBe(fixture.tied.batchStatGrads.b);
  });

  it('differentiates graph nodes inside a pytree argument (paths keep list indices)', () => {
    const pair = [new Tied(), new Tied()];
    const g = grad((ms: Tied[]) => tf.add(tf.mul(ms[0]!.a[2]!.value, 3), tf.mul(ms[1]!.a[0]!.value, 5)))(pair) as State;
    const flat = flatState(g);
    expect(Object.keys(flat).sort()).toEqual(['0/a/0', '0/a/2', '1/a/0', '1/a/2']);
    expect((flat['0/a/2']!.value as tf.Tensor).arraySync()).toBe(3);
    expect((flat['1/a/0']!.value as tf.Tensor).arraySync()).toBe(5);
    expect((flat['0/a/0']!.value as tf.Tensor).arraySync()).toBe(0);
  });

  it('rejects bad argnums, non-scalar losses and async functions with TransformError', () => {
    const m = new Tied();
    expect(() => grad((t: Tied) => t.b.value, { argnums: [0, 0] })).toThrow(TransformError);
    expect(() => grad((t: Tied) => t.b.value, { argnums: 1 })(m)).toThrow(TransformError);
    expect(() => grad((t: Tied) => tf.stack([t.a[0]!.value, t.a[2]!.value]))(m)).toThrow(/scalar/);
    expect(() => grad(async (t: Tied) => t.b.value)).toThrow(TransformError);
  });
});
