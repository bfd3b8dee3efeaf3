// Port of flax v0.11.2 tests/nnx/transforms_test.py: TestJIT, TestEvalShape (see ../PORTED.md).
import * as tf from '@tensorflow/tfjs-core';
import { Module, Param, Variable, evalShape, graphdef, isShapeDtype, isVariable } from '@nnx-ts/module';
import { BatchNorm, Linear } from '@nnx-ts/layers';
import { Rngs } from '@nnx-ts/rng';
import { describe, expect, it } from 'vitest';
import { jit, jitCacheInfo } from '../../src/index.js';
import { Dict, val, vals } from './helpers.js';

describe('TestJIT (transforms_test.py)', () => {
  it('test_jit: replacing a Param attribute with a number inside jit is reflected on the caller', () => {
    const m = new Dict({ a: new Param(tf.scalar(1)) });
    const g = jit((mm: Dict) => {
      mm.a = 2;
      return 1.0;
    });
    const out = g(m);
    expect(m.a).toBe(2);
    expect(out).toBe(1.0);
  });

  it('test_mutable_array_input_output (Variable equivalent: ArrayRef is JAX-only): an input returned is identical, a new one is new', () => {
    const m = new Variable(tf.scalar(1));
    const f = jit((v: Variable<tf.Tensor>) => {
      v.value = tf.add(v.value, 1);
      const m2 = new Variable(tf.scalar(10));
      return [m2, v] as const;
    });
    const [m2, mOut] = f(m);
    expect(val(m)).toBe(2);
    expect(mOut).toBe(m);
    expect(isVariable(m2)).toBe(true);
    expect(val(m2)).toBe(10);
  });

  it('test_simple_double_call (the trace count is jit\'s cache misses)', () => {
    let n = 0;
    const m = new Linear(2, 3, { rngs: new Rngs(0) });
    const f = jit((mm: Linear, x: tf.Tensor) => {
      n += 1;
      return mm.call(x);
    });
    const x = tf.ones([1, 2]);
    const before = graphdef(m);
    let y = f(m, x);
    expect(n).toBe(1);
    expect(y.shape).toEqual([1, 3]);
    expect(jitCacheInfo(f).misses).toBe(1);
    y = f(m, x);
    // Eager TF.js: the function body runs on every call; what JAX's trace count measures is the cache: one miss.
    expect(n).toBe(2);
    expect(jitCacheInfo(f).misses).toBe(1);
    expect(y.shape).toEqual([1, 3]);
    expect(graphdef(m).equals(before)).toBe(true);
  });

  it('test_jit_on_init: jit with staticArgnums on an init method (this is argument 0)', () => {
    let n = 0;
    class Foo extends Module {
      declare w: Param<tf.Tensor>;
      declare din: number;
      declare dout: number;
      @jit({ staticArgnums: [1, 2] })
      init(din: number, dout: number, rngs: Rngs): this {
        n += 1;
        this.w = new Param(rngs.params.normal([din, dout]));
        this.din = din;
        this.dout = dout;
        return this;
      }
    }
    let m = new Foo().init(2, 3, new Rngs(0));
    expect(n).toBe(1);
    expect(m.w.value.shape).toEqual([2, 3]);
    expect(m.din).toBe(2);
    expect(m.dout).toBe(3);
    expect(typeof m.din).toBe('number');
    expect(typeof m.dout).toBe('number');
    expect(m.w.value).toBeInstanceOf(tf.Tensor);
    expect(m.w.value.isDisposed).toBe(false);
    m = new Foo().init(2, 3, new Rngs(0));
    expect(m.w.value.shape).toEqual([2, 3]);
    // JAX finds its trace for the equal GraphDef (n == 1); jit's cache also keys on the objects (a hit reuses them),
    // so a new Foo is a miss: one flatten, not a trace.
    expect(jitCacheInfo(Foo.prototype.init).misses).toBe(2);
  });

  it('test_jit_on_call: @jit on the call method', () => {
    let n = 0;
    class Foo extends Module {
      w: Param<tf.Tensor>;
      din: number;
      dout: number;
      constructor(din: number, dout: number, rngs: Rngs) {
        super();
        this.w = new Param(rngs.params.normal([din, dout]));
        this.din = din;
        this.dout = dout;
      }
      @jit
      call(x: tf.Tensor): tf.Tensor {
        n += 1;
        return tf.matMul(x, this.w.value);
      }
    }
    const m = new Foo(2, 3, new Rngs(0));
    expect(m.w.value.shape).toEqual([2, 3]);
    expect(m.din).toBe(2);
    expect(m.dout).toBe(3);
    const y = m.call(tf.ones([1, 2]));
    expect(y.shape).toEqual([1, 3]);
    expect(n).toBe(1);
    expect(vals(y)).toEqual(vals(tf.matMul(tf.ones([1, 2]), m.w.value)));
    m.call(tf.ones([1, 2]));
    expect(jitCacheInfo(Foo.prototype.call)).toMatchObject({ hits: 1, misses: 1 });
  });

  it('test_cached_unflatten: swapping a Linear and a BatchNorm inside jit swaps them on the caller, values untouched', () => {
    class Foo extends Module {
      a: Module;
      b: Module;
      constructor(rngs: Rngs) {
        super();
        this.a = new Linear(2, 2, { rngs });
        this.b = new BatchNorm(2, { rngs });
      }
    }
    const f = jit((m: Foo) => {
      [m.a, m.b] = [m.b, m.a];
    });
    const m = new Foo(new Rngs(0));
    const a = m.a as Linear;
    const b = m.b as BatchNorm;
    const snapshot = [a.kernel, a.bias!, b.scale!, b.bias!, b.mean, b.var].map((v) => vals(v));
    const misses = () => jitCacheInfo(f).misses;
    f(m);
    expect(misses()).toBe(1);
    expect(m.a).toBe(b);
    expect(m.b).toBe(a);
    expect([a.kernel, a.bias!, b.scale!, b.bias!, b.mean, b.var].map((v) => vals(v))).toEqual(snapshot);
    f(m);
    expect(misses()).toBe(2);
    expect(m.a).toBe(a);
    expect(m.b).toBe(b);
    f(m);
    expect(misses()).toBe(2);
    expect(m.a).toBe(b);
    expect(m.b).toBe(a);
    f(m);
    expect(misses()).toBe(2);
    expect(m.a).toBe(a);
    expect(m.b).toBe(b);
  });

  it('test_cached_unflatten_same_type: swapping two Linears', () => {
    class Foo extends Module {
      a: Linear;
      b: Linear;
      constructor(rngs: Rngs) {
        super();
        this.a = new Linear(2, 2, { rngs });
        this.b = new Linear(2, 2, { rngs });
      }
    }
    const f = jit((m: Foo) => {
      [m.a, m.b] = [m.b, m.a];
    });
    const m = new Foo(new Rngs(0));
    const [a, b] = [m.a, m.b];
    f(m);
    expect(m.a).toBe(b);
    expect(m.b).toBe(a);
    f(m);
    expect(m.a).toBe(a);
    expect(m.b).toBe(b);
    // JAX: one trace (the swapped GraphDef is equal). The cache keys on the objects too: the swap is a miss.
    expect(jitCacheInfo(f).misses).toBe(2);
    f(m);
    expect(jitCacheInfo(f).misses).toBe(2);
  });

  it('test_objects_in_pytree: a module inside [{ foo: m }] is updated in place', () => {
    class Foo extends Module {
      a: Linear;
      b: Linear;
      constructor(rngs: Rngs) {
        super();
        this.a = new Linear(2, 2, { rngs });
        this.b = new Linear(2, 2, { rngs });
      }
    }
    const f = jit((tree: [{ foo: Foo }]) => {
      const m = tree[0].foo;
      [m.a, m.b] = [m.b, m.a];
    });
    const m = new Foo(new Rngs(0));
    const [a, b] = [m.a, m.b];
    f([{ foo: m }]);
    expect(m.a).toBe(b);
    expect(m.b).toBe(a);
    f([{ foo: m }]);
    expect(m.a).toBe(a);
    expect(m.b).toBe(b);
    // New wrapping containers every call are fine; the swap of same-type modules is a miss (see above).
    expect(jitCacheInfo(f).misses).toBe(2);
    f([{ foo: m }]);
    expect(jitCacheInfo(f).misses).toBe(2);
  });

  it('test_cached_unflatten_swap_variables: swapping two Params', () => {
    class Foo extends Module {
      a = new Param(tf.scalar(1));
      b = new Param(tf.scalar(2));
    }
    const f = jit((m: Foo) => {
      [m.a, m.b] = [m.b, m.a];
    });
    const m = new Foo();
    const [a, b] = [m.a, m.b];
    f(m);
    expect(m.a).toBe(b);
    expect(m.b).toBe(a);
    expect(val(m.a)).toBe(2);
  });

  it('test_cached_unflatten_add_self_reference: m.ref = m inside jit', () => {
    class Foo extends Module {
      ref: Foo | null = null;
    }
    const f = jit((m: Foo) => {
      m.ref = m;
    });
    const m = new Foo();
    f(m);
    expect(m.ref).toBe(m);
    expect(jitCacheInfo(f).misses).toBe(1);
    f(m);
    expect(m.ref).toBe(m);
    expect(jitCacheInfo(f).misses).toBe(2);
    f(m);
    expect(m.ref).toBe(m);
    expect(jitCacheInfo(f).misses).toBe(2);
  });

  it('test_cached_unflatten_ref_in_output: m.ref = m, returning m gives the identical object', () => {
    class Foo extends Module {
      ref: Foo | null = null;
    }
    const f = jit((m: Foo) => {
      m.ref = m;
      return m;
    });
    const m = new Foo();
    const before = tf.memory().numTensors;
    for (const misses of [1, 2, 2]) {
      const m2 = f(m);
      expect(m.ref).toBe(m);
      expect(m2).toBe(m);
      expect(jitCacheInfo(f).misses).toBe(misses);
      expect(tf.memory().numTensors).toBe(before);
    }
  });
});

describe('TestEvalShape (transforms_test.py)', () => {
  it('test_eval_shape: a Linear built under evalShape holds shape/dtype placeholders', () => {
    const absModel = evalShape(() => new Linear(1, 2, { rngs: new Rngs(0) }));
    expect(absModel).toBeInstanceOf(Linear);
    expect(isShapeDtype(absModel.kernel.raw)).toBe(true);
    expect(absModel.kernel.shape).toEqual([1, 2]);
  });
});
