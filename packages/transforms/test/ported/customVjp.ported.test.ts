// Port of flax v0.11.2 tests/nnx/transforms_test.py: TestCustomVJP (see ../PORTED.md).
// TS API differences (README "customVjp"): one tensor output (TF.js customGrad), `bwd(residuals, g)` receives the
// output cotangent only (no input-update cotangents), and `fwd` computes the primal itself (calling the customVjp
// function from its own fwd would re-enter customGrad).
import * as tf from '@tensorflow/tfjs-core';
import { BatchStat, Module, Param, PathContains, State } from '@nnx-ts/module';
import { Linear, normal } from '@nnx-ts/layers';
import { Rngs, key, normal as randomNormal } from '@nnx-ts/rng';
import { describe, expect, it } from 'vitest';
import { DiffState, customVjp, grad, jit, remat, valueAndGrad } from '../../src/index.js';
import { val } from './helpers.js';

class Foo extends Module {
  x: Param<tf.Tensor>;
  y: Param<tf.Tensor>;
  z: number;
  constructor(x: Param<tf.Tensor>, y: Param<tf.Tensor>, z: number) {
    super();
    this.x = x;
    this.y = y;
    this.z = z;
  }
}

const newFoo = () => new Foo(new Param(tf.scalar(1)), new Param(tf.scalar(2)), 0);
const s = (x: unknown) => x as any;

describe('TestCustomVJP (transforms_test.py)', () => {
  it('test_basic_call: a Variable write inside the primal reaches the caller', () => {
    const m1 = new Linear(1, 1, { rngs: new Rngs(0) });
    const m2 = new Linear(1, 1, { rngs: new Rngs(1) });
    const primal = (a: Linear, b: Linear) => {
      const y = tf.mul(a.kernel.value, b.kernel.value);
      a.kernel.value = tf.fill([1, 1], -1);
      return y;
    };
    const f = customVjp(primal);
    f.defvjp(
      (a, b) => [primal(a, b), [a, b]],
      () => [new State({}), new State({})],
    );
    const y = f(m1, m2);
    expect(val(m1.kernel)).toBe(-1.0);
    expect(y.shape).toEqual([1, 1]);
  });

  it('test_jax_example: State tangents for a module; a static attribute change propagates', () => {
    let seen: unknown[] = [];
    const primal = (m: Foo) => {
      m.z += 1;
      return tf.mul(tf.sin(m.x.value), m.y.value);
    };
    const f = customVjp(primal);
    f.defvjp(
      (m) => [primal(m), [tf.cos(m.x.value), tf.sin(m.x.value), m]],
      ([cosX, sinX, m]: [tf.Tensor, tf.Tensor, Foo], g) => {
        seen = [g.shape, m instanceof Foo];
        return [new State({ x: new Param(tf.mul(tf.mul(cosX, g), m.y.value)), y: new Param(tf.mul(sinX, g)) })];
      },
    );
    const m = newFoo();
    const g = s(grad(f, { argnums: new DiffState(0, '...') })(m));
    expect(seen).toEqual([[], true]);
    expect(val(g.x)).toBeCloseTo(Math.cos(1) * 2, 6);
    expect(val(g.y)).toBeCloseTo(Math.sin(1), 6);
    expect(m.z).toBe(1);
  });

  it('test_diff_state: bwd returns a tangent for x only (missing y counts as zero); grad picks x', () => {
    const xInPath = PathContains('x');
    const primal = (m: Foo) => {
      m.z += 1;
      return tf.mul(tf.sin(m.x.value), m.y.value);
    };
    const f = customVjp(primal);
    f.defvjp(
      (m) => [primal(m), [tf.cos(m.x.value), m]],
      ([cosX, m]: [tf.Tensor, Foo], g) => {
        expect(m).toBeInstanceOf(Foo);
        return [new State({ x: new Param(tf.mul(tf.mul(cosX, g), m.y.value)) })];
      },
    );
    const m = newFoo();
    const g = s(grad(f, { argnums: new DiffState(0, xInPath) })(m));
    expect(val(g.x)).toBeCloseTo(Math.cos(1) * 2, 6);
    expect('y' in g).toBe(false);
    expect(m.z).toBe(1);
  });

  it('test_jax_example_with_remat: customVjp(remat(f)) under jit and grad', () => {
    const primal = remat((m: Foo) => {
      m.z += 1;
      return tf.mul(tf.sin(m.x.value), m.y.value);
    });
    const f = customVjp(primal);
    f.defvjp(
      (m) => [primal(m), [tf.cos(m.x.value), tf.sin(m.x.value), m]],
      ([cosX, sinX, m]: [tf.Tensor, tf.Tensor, Foo], g) => [
        new State({ x: new Param(tf.mul(tf.mul(cosX, g), m.y.value)), y: new Param(tf.mul(sinX, g)) }),
      ],
    );
    const m = newFoo();
    const lossFn = jit((mm: Foo) => f(mm));
    const g = s(grad(lossFn, { argnums: new DiffState(0, '...') })(m));
    expect(val(g.x)).toBeCloseTo(Math.cos(1) * 2, 6);
    expect(val(g.y)).toBeCloseTo(Math.sin(1), 6);
    expect(m.z).toBe(1);
  });

  it('test_two_args (adapted: one tensor output, so m2 is not returned through f): State tangents for two modules', () => {
    const primal = (a: Foo, b: Foo) => {
      a.z += 1;
      expect(b).toBeInstanceOf(Foo);
      return tf.mul(tf.sin(a.x.value), a.y.value);
    };
    const f = customVjp(primal);
    f.defvjp(
      (a, b) => [primal(a, b), [tf.cos(a.x.value), tf.sin(a.x.value), a]],
      ([cosX, sinX, m]: [tf.Tensor, tf.Tensor, Foo], g) => {
        expect(g.shape).toEqual([]);
        return [new State({ x: tf.mul(tf.mul(cosX, g), m.y.value), y: tf.mul(sinX, g) }), new State({})];
      },
    );
    const m1 = newFoo();
    const m2 = new Foo(new Param(tf.scalar(3)), new Param(tf.scalar(4)), 0);
    const lossFn = (a: Foo, b: Foo) => tf.add(f(a, b), tf.mul(b.x.value, b.y.value));
    const [g1, g2] = s(grad(lossFn, { argnums: [new DiffState(0, '...'), new DiffState(1, '...')] })(m1, m2));
    expect(val(g1.x)).toBeCloseTo(Math.cos(1) * 2, 6);
    expect(val(g1.y)).toBeCloseTo(Math.sin(1), 6);
    expect(m1.z).toBe(1);
    expect(val(g2.x)).toBeCloseTo(4, 6);
    expect(val(g2.y)).toBeCloseTo(3, 6);
  });

  it('test_non_diff_args: nondiffArgnums [0, 2] pass host values through', () => {
    const primal = (a: number, m: Foo, b: number) => {
      expect(a).toBe(1);
      expect(b).toBe(2);
      m.z += 1;
      return tf.mul(tf.sin(m.x.value), m.y.value);
    };
    const f = customVjp(primal, { nondiffArgnums: [0, 2] });
    f.defvjp(
      (a, m, b) => {
        expect(a).toBe(1);
        expect(b).toBe(2);
        return [primal(a, m, b), [tf.cos(m.x.value), tf.sin(m.x.value), m]];
      },
      ([cosX, sinX, m]: [tf.Tensor, tf.Tensor, Foo], g) => {
        expect(g.shape).toEqual([]);
        expect(m).toBeInstanceOf(Foo);
        return [new State({ x: new Param(tf.mul(tf.mul(cosX, g), m.y.value)), y: new Param(tf.mul(sinX, g)) })];
      },
    );
    const m = newFoo();
    const lossFn = (mm: Foo) => f(1, mm, 2);
    const g = s(grad(lossFn, { argnums: new DiffState(0, '...') })(m));
    expect(val(g.x)).toBeCloseTo(Math.cos(1) * 2, 6);
    expect(val(g.y)).toBeCloseTo(Math.sin(1), 6);
    expect(m.z).toBe(1);
  });

  it('test_docs_example: tangent State built from plain tensors; default grad (Params)', () => {
    class Bar extends Module {
      x: Param<tf.Tensor>;
      y: Param<tf.Tensor>;
      constructor(x: tf.Tensor, y: tf.Tensor) {
        super();
        this.x = new Param(x);
        this.y = new Param(y);
      }
    }
    const primal = (m: Bar) => tf.mul(tf.sin(m.x.value), m.y.value);
    const f = customVjp(primal);
    f.defvjp(
      (m) => [primal(m), [tf.cos(m.x.value), tf.sin(m.x.value), m]],
      ([cosX, sinX, m]: [tf.Tensor, tf.Tensor, Bar], g) => [new State({ x: tf.mul(tf.mul(cosX, g), m.y.value), y: tf.mul(sinX, g) })],
    );
    const m = new Bar(tf.scalar(1), tf.scalar(2));
    const grads = s(grad(f)(m));
    // Flax's test only runs it; the gradient values are those of the rule.
    expect(val(grads.x)).toBeCloseTo(Math.cos(1) * 2, 6);
    expect(val(grads.y)).toBeCloseTo(Math.sin(1), 6);
  });

  for (const useCustomVjp of [false, true]) {
    it(`test_issue (useCustomVjp: ${useCustomVjp}): jit + valueAndGrad w.r.t. a tensor; BatchStat count updated once`, () => {
      class MyLinear extends Module {
        kernel: Param<tf.Tensor>;
        bias: Param<tf.Tensor>;
        n: BatchStat<tf.Tensor>;
        constructor(inFeatures: number, outFeatures: number, rngs: Rngs) {
          super();
          const kernelInit = normal(inFeatures ** -0.5);
          this.kernel = new Param(kernelInit(rngs.params.call(), [inFeatures, outFeatures], 'float32'));
          this.bias = new Param(tf.zeros([outFeatures]));
          this.n = new BatchStat(tf.scalar(0, 'int32'));
        }
      }
      const plain = (m: MyLinear, x: tf.Tensor): tf.Tensor => {
        m.n.value = tf.add(m.n.value, tf.scalar(1, 'int32'));
        return tf.add(tf.dot(x, m.kernel.value), m.bias.value);
      };
      let linear: (m: MyLinear, x: tf.Tensor) => tf.Tensor = plain;
      if (useCustomVjp) {
        const custom = customVjp(plain);
        custom.defvjp(
          (m, x) => [plain(m, x), [m, x]],
          ([m, x]: [MyLinear, tf.Tensor], g) => {
            const kernelGrad = tf.mul(tf.expandDims(g, 0), tf.expandDims(x, 1));
            const biasGrad = g;
            const xGrad = tf.dot(m.kernel.value, g);
            expect(xGrad.shape).toEqual(x.shape);
            expect(m.kernel.value.shape).toEqual(kernelGrad.shape);
            expect(m.bias.value.shape).toEqual(biasGrad.shape);
            return [new State({ kernel: kernelGrad, bias: biasGrad }), xGrad];
          },
        );
        linear = custom;
      }
      const lossFn = jit((x: tf.Tensor, mod: MyLinear) => tf.mean(linear(mod, x)));
      const mod = new MyLinear(10, 5, new Rngs(0));
      expect(val(mod.n)).toBe(0);
      const x = randomNormal(key(0), [10]);
      const [loss, g] = s(valueAndGrad(lossFn)(x, mod));
      expect(loss.shape).toEqual([]);
      expect(g.shape).toEqual([10]);
      expect(val(mod.n)).toBe(1);
    });
  }
});
