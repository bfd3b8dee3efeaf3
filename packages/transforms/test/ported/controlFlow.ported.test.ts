// Port of flax v0.11.2 tests/nnx/transforms_test.py: TestCond, TestSwitch, TestWhileLoop (see ../PORTED.md).
// Predicates are host values in TS (cond/switchCase/whileLoop take booleans/numbers); where Flax computes a traced
// predicate from a Variable, the port reads the same value on the host first.
import * as tf from '@tensorflow/tfjs-core';
import { Module, Param, Pytree, Sequential, Variable, state, toFlatState } from '@nnx-ts/module';
import { Linear } from '@nnx-ts/layers';
import { Rngs, key, normal } from '@nnx-ts/rng';
import { describe, expect, it } from 'vitest';
import { cond, foriLoop, jit, switchCase, vmap, whileLoop } from '../../src/index.js';
import { expectTypedError, val, vals } from './helpers.js';

const host = (t: unknown) => val(t);

describe('TestCond (transforms_test.py)', () => {
  it('test_basic: branches replace a data attribute with new Variables; the caller sees the new ones', () => {
    interface TimeStep {
      step: Variable<tf.Tensor>;
      reward: Variable<tf.Tensor>;
    }
    const zero = (): TimeStep => ({ step: new Variable(tf.scalar(0, 'int32')), reward: new Variable(tf.scalar(0)) });
    class Foo extends Pytree {
      timestep: TimeStep;
      constructor(timestep: TimeStep) {
        super();
        this.timestep = timestep;
      }
      update(): void {
        const reward2 = (self: Foo) => {
          self.timestep = { step: new Variable(tf.add(self.timestep.step.value, 1)), reward: new Variable(tf.scalar(2)) };
        };
        const reward0 = (self: Foo) => {
          self.timestep = { step: new Variable(tf.add(self.timestep.step.value, 1)), reward: new Variable(tf.scalar(0)) };
        };
        cond(host(this.timestep.step) % 2 === 0, reward2, reward0, this);
      }
    }
    const foo = new Foo(zero());
    const expected: [number, number][] = [
      [1, 2],
      [2, 0],
      [3, 2],
      [4, 0],
    ];
    // Each step replaces the Variables (as Flax's test does); replacing a Variable never disposes the old one, inside
    // or outside a transform, so this loop holds 2 more tensors per step by construction (no memory check here;
    // the collatz test below updates values and checks memory stays flat).
    for (const [step, reward] of expected) {
      foo.update();
      expect(val(foo.timestep.step)).toBe(step);
      expect(val(foo.timestep.reward)).toBe(reward);
    }
  });

  it('test_basic_variable: collatz on a bare Variable', () => {
    const collatz = (x: Variable<tf.Tensor>) => {
      const even = (v: Variable<tf.Tensor>) => {
        v.value = tf.floorDiv(v.value, tf.scalar(2, 'int32'));
      };
      const odd = (v: Variable<tf.Tensor>) => {
        v.value = tf.add(tf.mul(v.value, 3), 1);
      };
      return cond(host(x) % 2 === 0, even, odd, x);
    };
    const x = new Variable(tf.scalar(8, 'int32'));
    let warm: number | undefined;
    for (const expected of [4, 2, 1, 4]) {
      collatz(x);
      expect(val(x)).toBe(expected);
      warm ??= tf.memory().numTensors;
      expect(tf.memory().numTensors).toBe(warm);
    }
  });

  it('test_cond_and_vmap: cond inside vmap updates the mapped Variable of the even replicas only', () => {
    class Env extends Pytree {
      index = new Variable(tf.range(0, 8, 1, 'int32'));
      step = new Variable(tf.zeros([8], 'int32'));
    }
    const env = new Env();
    const model = new Linear(2, 3, { rngs: new Rngs(0) });
    const f = vmap(
      (e: Env, _model: Linear) => {
        expect(e.index.value.shape).toEqual([]);
        const increment = (en: Env) => {
          en.step.value = tf.add(en.step.value, tf.scalar(1, "int32"));
        };
        const doNothing = (_en: Env) => {};
        cond(host(e.index) % 2 === 0, increment, doNothing, e);
      },
      { inAxes: [0, null], outAxes: null },
    );
    f(env, model);
    expect(vals(env.step)).toEqual([1, 0, 1, 0, 1, 0, 1, 0]);
  });
});

describe('TestSwitch (transforms_test.py)', () => {
  it('test_basic: the taken branch updates state; a static index advances outside', () => {
    class RoundTable extends Module {
      nextIndex = 0;
      linear: Linear;
      roundsCount = new Variable(tf.scalar(0, 'int32'));
      constructor() {
        super();
        this.linear = new Linear(10, 10, { rngs: new Rngs(0) });
        this.linear.kernel.value = tf.eye(10);
      }
      call(x: tf.Tensor): tf.Tensor {
        const fn0 = (m: RoundTable, xx: tf.Tensor) => {
          m.roundsCount.value = tf.add(m.roundsCount.value, 1);
          return m.linear.call(xx);
        };
        const fn1 = (m: RoundTable, xx: tf.Tensor) => tf.mul(m.linear.call(xx), 2);
        const fn2 = (m: RoundTable, xx: tf.Tensor) => {
          m.linear.kernel.value = tf.zeros([10, 10]);
          return m.linear.call(xx);
        };
        const y = switchCase(this.nextIndex, [fn0, fn1, fn2], this, x);
        this.nextIndex = (this.nextIndex + 1) % 3;
        return y;
      }
    }
    const model = new RoundTable();
    const x = tf.ones([10]);
    expect(vals(model.call(x))).toEqual(vals(x));
    expect(val(model.roundsCount)).toBe(1);
    expect(model.nextIndex).toBe(1);
    expect(vals(model.call(x))).toEqual(vals(tf.mul(x, 2)));
    expect(val(model.roundsCount)).toBe(1);
    expect(model.nextIndex).toBe(2);
    expect(vals(model.call(x))).toEqual(Array(10).fill(0));
    expect(val(model.roundsCount)).toBe(1);
    expect(model.nextIndex).toBe(0);
    expect(vals(model.call(x))).toEqual(Array(10).fill(0));
    expect(val(model.roundsCount)).toBe(2);
    expect(model.nextIndex).toBe(1);
  });
});

const randomX = (scale = 1e1) => tf.mul(normal(key(0), [10]), scale);

describe('TestWhileLoop (transforms_test.py)', () => {
  it('test_basic: three applications of a doubling Linear', () => {
    const fwd = ([m, x, c]: [Linear, tf.Tensor, number]): [Linear, tf.Tensor, number] => [m, m.call(x), c - 1.0];
    const module = new Linear(10, 10, { rngs: new Rngs(0) });
    module.kernel.value = tf.mul(tf.eye(10), 2);
    const x = randomX();
    const [, y] = whileLoop((input) => input[2] > 0, fwd, [module, x, 3.0]);
    expect(vals(y)).toEqual(vals(tf.mul(x, 8)));
  });

  it('test_multiple_objects: a module and a Variable in a nested tuple', () => {
    type Carry = [Linear, [Variable<tf.Tensor>], tf.Tensor, number];
    const fwd = ([m1, [w2], x, c]: Carry): Carry => [m1, [w2], tf.dot(m1.call(x), w2.value), c - 1.0];
    const m1 = new Linear(10, 10, { rngs: new Rngs(0) });
    m1.kernel.value = tf.mul(tf.eye(10), 2);
    const w2 = new Variable(tf.mul(tf.eye(10), 0.5));
    const x = randomX();
    const [, , y] = whileLoop((input) => input[3] > 0, fwd, [m1, [w2], x, 3.0]);
    const [got, want] = [vals(y), vals(x)];
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
  });

  it('test_nested_module: a Linear inside Sequential', () => {
    const fwd = ([m, x, c]: [Sequential, tf.Tensor, number]): [Sequential, tf.Tensor, number] => [m, m.call(x), c - 1.0];
    const linear = new Linear(10, 10, { rngs: new Rngs(0) });
    linear.kernel.value = tf.mul(tf.eye(10), 2);
    const module = new Sequential(linear);
    const x = randomX();
    const [, y] = whileLoop((input) => input[2] > 0, fwd, [module, x, 3.0]);
    expect(vals(y)).toEqual(vals(tf.mul(x, 8)));
  });

  it('test_shared_module: a kernel shared by two Linears is written once, seen by both', () => {
    const m1 = new Linear(10, 10, { rngs: new Rngs(0) });
    const m2 = new Linear(10, 10, { useBias: false, rngs: new Rngs(0) });
    m2.kernel = m1.kernel;
    const module = new Sequential(m1, m2);
    expect(toFlatState(state(module)).length).toBe(2);
    const fwd = ([m, x, c]: [Sequential, tf.Tensor, number]): [Sequential, tf.Tensor, number] => {
      const y = m.call(x);
      const first = m.layers[0] as Linear;
      first.kernel.value = tf.zerosLike(first.kernel.value);
      return [m, y, c - 1.0];
    };
    const x = randomX();
    const [, y] = whileLoop((input) => input[2] > 0, fwd, [module, x, 2.0]);
    expect(toFlatState(state(module)).length).toBe(2);
    expect(vals(m1.kernel)).toEqual(Array(100).fill(0));
    expect(vals(m2.kernel)).toEqual(Array(100).fill(0));
    expect(vals(y)).toEqual(Array(10).fill(0));
  });

  it('test_value_changed: Variable values may change', () => {
    const fwd = ([m, x, c]: [Linear, tf.Tensor, number]): [Linear, tf.Tensor, number] => {
      m.kernel.value = tf.zerosLike(m.kernel.value);
      return [m, m.call(x), c - 1.0];
    };
    const module = new Linear(10, 10, { rngs: new Rngs(0) });
    const x = randomX();
    const [, y] = whileLoop((input) => input[2] > 0, fwd, [module, x, 3.0]);
    expect(vals(module.kernel)).toEqual(Array(100).fill(0));
    expect(vals(y)).toEqual(Array(10).fill(0));
  });

  it('test_ref_changed: replacing a Variable object in the body is an error', () => {
    const fwd = ([m, x, c]: [Linear, tf.Tensor, number]): [Linear, tf.Tensor, number] => {
      const y = m.call(x);
      m.kernel = new Param(tf.zerosLike(m.kernel.value));
      return [m, y, c - 1.0];
    };
    const module = new Linear(10, 10, { rngs: new Rngs(0) });
    const x = randomX();
    expectTypedError(() => whileLoop((input) => input[2] > 0, fwd, [module, x, 2.0]), 'TransformError', /same reference/);
  });

  it('test_structure_changed: returning a different module is an error', () => {
    const fwd = ([, x, c]: [Linear, tf.Tensor, number]): [Linear, tf.Tensor, number] => {
      const m = new Linear(10, 10, { useBias: false, rngs: new Rngs(1) });
      m.kernel.value = tf.mul(tf.eye(10), 2);
      return [m, m.call(x), c - 1.0];
    };
    const module = new Linear(10, 10, { useBias: true, rngs: new Rngs(0) });
    const x = randomX();
    expectTypedError(() => whileLoop((input) => input[2] > 0, fwd, [module, x, 3.0]), 'TransformError', /same reference/);
  });

  it('test_repeated_object: the same module twice in the carry', () => {
    const m = new Linear(10, 10, { rngs: new Rngs(0) });
    const [count, mOut, mOut2] = whileLoop((v: [number, Linear, Linear]) => v[0] < 2, ([c, mm]) => [c + 1, mm, mm], [0, m, m]);
    expect(count).toBe(2);
    expect(mOut).toBe(m);
    expect(mOut2).toBe(m);
  });

  it('test_fori_loop_basic: kernel set from the loop index', () => {
    const fwd = (i: number, [m, x]: [Linear, tf.Tensor]): [Linear, tf.Tensor] => {
      m.kernel.value = tf.mul(tf.eye(10), i);
      return [m, m.call(x)];
    };
    const module = new Linear(10, 10, { rngs: new Rngs(0) });
    const x = normal(key(0), [10]);
    const [, y] = foriLoop(2, 4, fwd, [module, x]);
    expect(vals(y)).toEqual(vals(tf.mul(tf.mul(x, 2), 3)));
  });

  it('test_fori_loop_with_sharing: a Param shared by three Pytrees, foriLoop inside jit', () => {
    class A extends Pytree {
      params = new Param(tf.zeros([10], 'int32'));
    }
    class B extends Pytree {
      constructor(public a: A) {
        super();
      }
    }
    class C extends Pytree {
      constructor(public a: A) {
        super();
      }
    }
    class D extends Pytree {
      a: A;
      b: B;
      c: C;
      constructor() {
        super();
        this.a = new A();
        this.b = new B(this.a);
        this.c = new C(this.a);
      }
    }
    const increment = (_i: number, d: D): D => {
      d.a.params.value = tf.add(d.a.params.value, 1);
      return d;
    };
    const rollout = jit((d: D) => {
      foriLoop(0, 10, increment, d);
    });
    const d = new D();
    rollout(d);
    expect(vals(d.a.params)).toEqual(Array(10).fill(10));
    expect(d.b.a).toBe(d.a);
    expect(d.c.a).toBe(d.a);
  });

  it('test_loops_multiple_modules: whileLoop and foriLoop over a tuple of two modules', () => {
    class Foo extends Module {
      param = new Param(tf.zeros([1]));
      call(): tf.Tensor {
        return this.param.value;
      }
    }
    const a = new Foo();
    const b = new Foo();
    const [a1, b1, n] = whileLoop((input: [Foo, Foo, number]) => input[2] > 0, (input) => [input[0], input[1], input[2] - 1], [a, b, 2]);
    expect([a1, b1, n]).toEqual([a, b, 0]);
    const [a2, b2] = foriLoop(0, 2, (_i, inputs: [Foo, Foo]) => inputs, [a, b]);
    expect(a2).toBe(a);
    expect(b2).toBe(b);
  });
});
