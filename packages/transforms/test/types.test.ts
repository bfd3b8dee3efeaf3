import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { Module, Param, State, type Variable } from '@nnx-ts/module';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { DiffState, cond, customVjp, grad, jit, remat, scan, valueAndGrad, vmap, type ArgGrad, type GradsOf } from '../src/index.js';

// Type-level checks: `pnpm typecheck` compiles this file with tsc, so a signature that loses argument or return
// types (or leaks `any`) fails the build. The runtime assertions check that the values have the promised shape.

class Linear extends Module {
  kernel = new Param(tf.ones([2, 2]));
  call(x: tf.Tensor): tf.Tensor {
    return tf.matMul(x, this.kernel.value);
  }
}

const loss = (m: Linear, x: tf.Tensor): tf.Scalar => tf.sum(m.call(x));
const lossWithAux = (m: Linear, x: tf.Tensor): [tf.Scalar, { logits: tf.Tensor }] => {
  const logits = m.call(x);
  return [tf.sum(logits), { logits }];
};

describe('transform types keep argument and return types', () => {
  it('jit, vmap, scan, remat and cond keep the function type', () => {
    expectTypeOf(jit(loss)).toEqualTypeOf<typeof loss>();
    expectTypeOf(jit(loss, { staticArgnums: [] })).toEqualTypeOf<typeof loss>();
    expectTypeOf(vmap(loss)).parameters.toEqualTypeOf<[Linear, tf.Tensor]>();
    expectTypeOf(vmap(loss)).returns.toEqualTypeOf<tf.Scalar>();
    expectTypeOf(scan(loss, { inAxes: [null, 0], outAxes: 0 })).parameters.toEqualTypeOf<[Linear, tf.Tensor]>();
    expectTypeOf(remat(loss)).returns.toEqualTypeOf<tf.Scalar>();
    expectTypeOf(cond(true, (a: number) => a + 1, (a: number) => a - 1, 1)).toEqualTypeOf<number>();
    // @ts-expect-error: the wrong argument type is rejected, not accepted as `any`.
    void (() => jit(loss)('not a module', tf.ones([1])));
    expect(jit(loss)(new Linear(), tf.ones([1, 2])).shape).toEqual([]);
  });

  it('grad types its result per argnum: State for a Module, a tensor for a tensor, a tuple for a list', () => {
    const m = new Linear();
    const x = tf.ones([1, 2]);
    const gm = grad(loss)(m, x);
    expectTypeOf(gm).toEqualTypeOf<State>();
    const gx = grad(loss, { argnums: 1 })(m, x);
    expectTypeOf(gx).toEqualTypeOf<tf.Tensor>();
    const both = grad(loss, { argnums: [0, 1] })(m, x);
    expectTypeOf(both).toEqualTypeOf<[State, tf.Tensor]>();
    const diff = grad(loss, { argnums: new DiffState(1, Param) })(m, x);
    expectTypeOf(diff).toEqualTypeOf<tf.Tensor>();
    const bareVariable = grad((v: Param<tf.Tensor>) => tf.sum(v.value))(m.kernel);
    expectTypeOf(bareVariable).toEqualTypeOf<Variable<tf.Tensor>>();
    expectTypeOf<GradsOf<typeof loss, { argnums: readonly [1, 0] }>>().toEqualTypeOf<[tf.Tensor, State]>();
    // A wide argnum (a number only known at run time) types as any of the argument gradients.
    expectTypeOf<GradsOf<typeof loss, { argnums: number }>>().toEqualTypeOf<State | tf.Tensor>();
    expectTypeOf<State | tf.Tensor>().toExtend<ArgGrad>();
    expect(gm).toBeInstanceOf(State);
    expect(gx).toBeInstanceOf(tf.Tensor);
    expect(both[0]).toBeInstanceOf(State);
    expect(both[1]).toBeInstanceOf(tf.Tensor);
  });

  it('hasAux: grad returns [grads, aux] and valueAndGrad [[loss, aux], grads], typed from the function', () => {
    const m = new Linear();
    const x = tf.ones([1, 2]);
    const [g, aux] = grad(lossWithAux, { hasAux: true })(m, x);
    expectTypeOf(g).toEqualTypeOf<State>();
    expectTypeOf(aux).toEqualTypeOf<{ logits: tf.Tensor }>();
    const [[value, aux2], g2] = valueAndGrad(lossWithAux, { hasAux: true, argnums: [1] })(m, x);
    expectTypeOf(value).toEqualTypeOf<tf.Scalar>();
    expectTypeOf(aux2).toEqualTypeOf<{ logits: tf.Tensor }>();
    expectTypeOf(g2).toEqualTypeOf<[tf.Tensor]>();
    expect(g).toBeInstanceOf(State);
    expect(aux.logits.shape).toEqual([1, 2]);
    expect(g2[0].shape).toEqual([1, 2]);
  });

  it('customVjp keeps the function type, and bwd residuals take the annotated type (unknown otherwise)', () => {
    const f = customVjp((x: tf.Tensor) => tf.exp(x));
    expectTypeOf(f).parameters.toEqualTypeOf<[tf.Tensor]>();
    expectTypeOf(f).returns.toEqualTypeOf<tf.Tensor>();
    f.defvjp(
      (x) => [tf.exp(x), tf.exp(x)],
      (residuals, g) => {
        expectTypeOf(residuals).toEqualTypeOf<unknown>();
        return [tf.mul(residuals as tf.Tensor, g)];
      },
    );
    f.defvjp(
      (x) => [tf.exp(x), [tf.exp(x)]],
      ([e]: [tf.Tensor], g) => {
        expectTypeOf(e).toEqualTypeOf<tf.Tensor>();
        return [tf.mul(e, g)];
      },
    );
    const [, dx] = valueAndGrad((x: tf.Tensor) => tf.sum(f(x)))(tf.zeros([2]));
    expect(Array.from(dx.dataSync())).toEqual([1, 1]);
  });
});
