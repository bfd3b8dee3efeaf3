// Port of flax v0.11.2 tests/nnx/transforms_test.py: TestScan, TestRemat (see ../PORTED.md).
// `@nnx.vmap` / `@nnx.split_rngs` on `__init__` become the same decorators on an `init` method (TS cannot decorate
// constructors): `new MLP().init(rngs)`, `this` being argument 0 as `self` is in Flax.
import * as tf from '@tensorflow/tfjs-core';
import { BatchStat, Module, Param, Pytree, RngState, State, Variable } from '@nnx-ts/module';
import { BatchNorm, Dropout, Linear, gelu, relu } from '@nnx-ts/layers';
import { KeyArray, Rngs, key, normal, split, splitRngs } from '@nnx-ts/rng';
import { describe, expect, it } from 'vitest';
import { Carry, StateAxes, scan, remat, valueAndGrad, vmap } from '../../src/index.js';
import { expectTypedError, val, vals, words } from './helpers.js';

const s = (x: unknown) => x as any;

class Block extends Module {
  linear: Linear;
  constructor(rngs: Rngs) {
    super();
    this.linear = new Linear(3, 3, { rngs });
  }
  call(x: tf.Tensor): tf.Tensor {
    return gelu(this.linear.call(x));
  }
}

const paramsAndRngs = () => new StateAxes([[[Param, RngState], 0], ['...', null]]);

describe('TestScan (transforms_test.py)', () => {
  it('test_basic: splitRngs + scan build 5 stacked Blocks; a scan over them stacks the outputs', () => {
    const createBlock = splitRngs({ splits: 5 })(scan((_: null, rngs: Rngs) => [null, new Block(rngs)], { inAxes: [Carry, 0], length: 5 }));
    const [, module] = s(createBlock(null, new Rngs(0)));
    expect(module.linear.kernel.value.shape).toEqual([5, 3, 3]);
    expect(module.linear.bias.value.shape).toEqual([5, 3]);
    const forwardBlock = scan((_: null, block: Block, x: tf.Tensor) => [null, block.call(x)], { inAxes: [Carry, 0, null], length: 5 });
    const [out, y] = s(forwardBlock(null, module, tf.ones([1, 3])));
    expect(y.shape).toEqual([5, 1, 3]);
    expect(out).toBeNull();
  });

  it('test_variables_in_scan: Variables created per step come back stacked; scan over them with a tensor carry', () => {
    const blockInit = (din: number, dout: number, rngs: Rngs) => [new Param(normal(rngs.params.call(), [din, dout])), new Param(tf.zeros([dout]))];
    const createBlock = splitRngs({ splits: 5 })(scan((rngs: Rngs) => blockInit(3, 3, rngs), { inAxes: 0, outAxes: 0, length: 5 }));
    const [w, b] = s(createBlock(new Rngs(0)));
    expect(w.shape).toEqual([5, 3, 3]);
    expect(b.shape).toEqual([5, 3]);
    const stackForward = scan((ww: Param<tf.Tensor>, bb: Param<tf.Tensor>, x: tf.Tensor) => gelu(tf.add(tf.matMul(x, ww.value), tf.expandDims(bb.value, 0))), {
      inAxes: [0, 0, Carry],
      outAxes: Carry,
    });
    const y = s(stackForward(w, b, tf.ones([1, 3])));
    expect(y.shape).toEqual([1, 3]);
  });

  it('test_variables_as_carries_in_scan: a tuple of Variables as carry; count incremented 5 times', () => {
    const rngs = new Rngs(0);
    const w = new Param(normal(rngs.params.call(), [3, 3]));
    const b = new Param(tf.zeros([3]));
    const count = new BatchStat(tf.scalar(0, 'int32'));
    expect(w.shape).toEqual([3, 3]);
    expect(b.shape).toEqual([3]);
    const stackForward = scan(
      (params: [Param<tf.Tensor>, Param<tf.Tensor>, BatchStat<tf.Tensor>], x: tf.Tensor) => {
        const [ww, bb, c] = params;
        const y = gelu(tf.add(tf.matMul(x, ww.value), tf.expandDims(bb.value, 0)));
        c.value = tf.add(c.value, tf.scalar(1, 'int32'));
        return [[ww, bb, c], y];
      },
      { inAxes: [Carry, 0], outAxes: [Carry, 0] },
    );
    const [[w2, b2, c2], y] = s(stackForward([w, b, count], tf.ones([5, 1, 3])));
    expect(w2).toBe(w);
    expect(b2).toBe(b);
    expect(c2).toBe(count);
    expect(y.shape).toEqual([5, 1, 3]);
    expect(val(c2)).toBe(5);
  });

  it('test_basic_no_carry: inAxes [0], outAxes 0 build a stacked Block; forward with a broadcast x', () => {
    const createBlock = splitRngs({ splits: 5 })(scan((rngs: Rngs) => new Block(rngs), { inAxes: [0], outAxes: 0, length: 5 }));
    const module = s(createBlock(new Rngs(0)));
    expect(module.linear.kernel.value.shape).toEqual([5, 3, 3]);
    expect(module.linear.bias.value.shape).toEqual([5, 3]);
    const forwardBlock = scan((block: Block, x: tf.Tensor) => block.call(x), { inAxes: [0, null], outAxes: 0, length: 5 });
    const y = s(forwardBlock(module, tf.ones([1, 3])));
    expect(y.shape).toEqual([5, 1, 3]);
  });

  class Counter extends Module {
    n: BatchStat<tf.Tensor>;
    constructor(n: BatchStat<tf.Tensor>) {
      super();
      this.n = n;
    }
  }

  it('test_all_carry: inAxes = outAxes = Carry, length 3; the same object comes back', () => {
    const foo = new Counter(new BatchStat(tf.scalar(0)));
    const loop = scan(
      (f: Counter) => {
        f.n.value = tf.add(f.n.value, 1);
        return f;
      },
      { inAxes: Carry, outAxes: Carry, length: 3 },
    );
    const foo2 = loop(foo);
    expect(foo2).toBe(foo);
    expect(val(foo.n)).toBe(3);
  });

  it('test_all_carry_one_argument_error', () => {
    const foo = new Counter(new BatchStat(tf.scalar(0)));
    const loop = scan((_f: Counter, _x: number) => undefined, { inAxes: Carry, outAxes: Carry, length: 3 });
    expectTypedError(() => loop(foo, 0), 'TransformError', /exactly one argument/);
  });

  it('test_all_carry_new_reference_error: a new module in the carry is an error', () => {
    const xs = tf.range(0, 3);
    const foo = new Counter(new BatchStat(tf.scalar(0)));
    const loop = scan((f: Counter, x: tf.Tensor) => [new Counter(new BatchStat(tf.add(f.n.value, 1))), tf.add(x, 1)], {
      inAxes: [Carry, 0],
      outAxes: [Carry, 0],
    });
    expectTypedError(() => loop(foo, xs), 'TransformError', /Carry references must be the same between iterations/);
  });

  it('test_all_scan: a module scanned on axis 0 next to xs; state comes back restacked', () => {
    const xs = tf.range(0, 3);
    const foo = new Counter(new BatchStat(tf.range(0, 3)));
    const loop = scan(
      (f: Counter, x: tf.Tensor) => {
        f.n.value = tf.add(f.n.value, 1);
        return tf.add(x, 1);
      },
      { inAxes: 0, outAxes: 0 },
    );
    const ys = s(loop(foo, xs));
    expect(vals(ys)).toEqual([1, 2, 3]);
    expect(vals(foo.n)).toEqual([1, 2, 3]);
  });

  it('test_all_broadcast: inAxes null, length 4', () => {
    const xs = tf.scalar(1);
    const foo = new Counter(new BatchStat(tf.scalar(2)));
    const loop = scan((f: Counter, x: tf.Tensor) => tf.add(x, f.n.value), { inAxes: null, outAxes: 0, length: 4 });
    const ys = s(loop(foo, xs));
    expect(vals(ys)).toEqual([3, 3, 3, 3]);
    expect(ys.shape).toEqual([4]);
  });

  it('test_input_output_carry_mismatch_error (at decoration)', () => {
    const fn = (_a: unknown, _b: unknown) => undefined;
    expectTypedError(() => scan(fn, { inAxes: 0, outAxes: [Carry, 0] }), 'TransformError', /one of inAxes\/outAxes has Carry, the other must/);
    expectTypedError(() => scan(fn, { inAxes: [Carry, 0], outAxes: 0 }), 'TransformError', /one of inAxes\/outAxes has Carry, the other must/);
  });

  it('test_double_carry_error (at decoration)', () => {
    expectTypedError(() => scan((_a: unknown, _b: unknown) => undefined, { inAxes: [Carry, Carry] }), 'TransformError', /multiple Carry definitions/);
  });

  it('test_broadcast_in_output_error (at decoration)', () => {
    const fn = (_a: unknown, _b: unknown) => undefined;
    expectTypedError(() => scan(fn, { inAxes: [Carry, 0], outAxes: [Carry, null] }), 'TransformError', /cannot broadcast output state/i);
    expectTypedError(() => scan(fn, { inAxes: [Carry, 0], outAxes: [Carry, new StateAxes([['...', null]])] }), 'TransformError', /StateAxes/);
  });

  it('test_only_carry: inAxes [Carry], length 5; scanned outputs 1..5', () => {
    class Foo extends Module {
      c = new BatchStat(tf.scalar(0, 'int32'));
    }
    const loop = scan(
      (foo: Foo) => {
        foo.c.value = tf.add(foo.c.value, tf.scalar(1, 'int32'));
        return [foo, foo.c.value];
      },
      { inAxes: [Carry], length: 5 },
    );
    const foo = new Foo();
    const [foo2, cs] = s(loop(foo));
    expect(foo2).toBe(foo);
    expect(vals(cs)).toEqual([1, 2, 3, 4, 5]);
  });

  it('test_out_axes: vmapped init (StateAxes), scan call with outAxes [Carry, 1, 2]', () => {
    const stateAxes = paramsAndRngs();
    class MLP extends Module {
      declare linear: Linear;
      declare node: BatchStat<tf.Tensor>;
      @splitRngs({ splits: 5 })
      @vmap({ inAxes: [stateAxes, stateAxes], axisSize: 5 })
      init(rngs: Rngs): void {
        this.linear = new Linear(3, 3, { rngs });
        this.node = new BatchStat(tf.ones([2]));
      }
      @scan({ inAxes: [stateAxes, Carry], outAxes: [Carry, 1, 2] })
      call(x: tf.Tensor): tf.Tensor[] {
        const y = gelu(this.linear.call(x));
        return [y, y, y];
      }
    }
    const module = new MLP();
    module.init(new Rngs(0));
    expect(module.linear.kernel.value.shape).toEqual([5, 3, 3]);
    expect(module.linear.bias!.value.shape).toEqual([5, 3]);
    expect(module.node.value.shape).toEqual([2]);
    const [c, y1, y2] = s(module.call(tf.ones([1, 3])));
    expect(c.shape).toEqual([1, 3]);
    expect(y1.shape).toEqual([1, 5, 3]);
    expect(y2.shape).toEqual([1, 3, 5]);
  });

  it('test_in_axes_simple: vmapped init over split keys, scan call with a Carry', () => {
    const stateAxes = paramsAndRngs();
    class MLP extends Module {
      declare linear: Linear;
      declare node: Variable<tf.Tensor>;
      @vmap({ inAxes: [stateAxes, 0] })
      init(k: KeyArray): void {
        const rngs = new Rngs(k);
        this.linear = new Linear(3, 3, { rngs });
        this.node = new Variable(tf.ones([2]));
      }
      @scan({ inAxes: [stateAxes, Carry], outAxes: Carry })
      call(x: tf.Tensor): tf.Tensor {
        return gelu(this.linear.call(x));
      }
    }
    const module = new MLP();
    module.init(split(key(0), 5));
    const y = s(module.call(tf.ones([1, 3])));
    expect(y.shape).toEqual([1, 3]);
  });

  it('test_in_axes: scan call with inAxes [stateAxes, Carry, 0]; a null scanned output stays null', () => {
    const stateAxes = paramsAndRngs();
    class MLP extends Module {
      declare linear: Linear;
      declare node: Variable<tf.Tensor>;
      @splitRngs({ splits: 5 })
      @vmap({ inAxes: [stateAxes, stateAxes] })
      init(rngs: Rngs): void {
        this.linear = new Linear(3, 3, { rngs });
        this.node = new Variable(tf.ones([2]));
      }
      @scan({ inAxes: [stateAxes, Carry, 0] })
      call(x: tf.Tensor, a: tf.Tensor): [tf.Tensor, null] {
        expect(x.shape).toEqual(a.shape);
        return [gelu(this.linear.call(tf.add(x, a))), null];
      }
    }
    const module = new MLP();
    module.init(new Rngs(0));
    expect(module.linear.kernel.value.shape).toEqual([5, 3, 3]);
    expect(module.linear.bias!.value.shape).toEqual([5, 3]);
    expect(module.node.value.shape).toEqual([2]);
    const [y, out] = s(module.call(tf.ones([1, 3]), tf.ones([5, 1, 3])));
    expect(y.shape).toEqual([1, 3]);
    expect(out).toBeNull();
  });

  it('test_in_axes_broadcast: a broadcast (null) tensor argument next to scanned and carried ones', () => {
    const stateAxes = paramsAndRngs();
    class MLP extends Module {
      declare linear: Linear;
      declare node: BatchStat<tf.Tensor>;
      @splitRngs({ splits: 5 })
      @vmap({ inAxes: [stateAxes, stateAxes] })
      init(rngs: Rngs): void {
        this.linear = new Linear(3, 3, { rngs });
        this.node = new BatchStat(tf.ones([2]));
      }
      @scan({ inAxes: [stateAxes, Carry, 0, null] })
      call(x: tf.Tensor, a: tf.Tensor, b: tf.Tensor): [tf.Tensor, null] {
        expect(x.shape).toEqual(a.shape);
        expect(x.shape).toEqual(b.shape);
        return [gelu(this.linear.call(tf.addN([x, a, b]))), null];
      }
    }
    const module = new MLP();
    module.init(new Rngs(0));
    expect(module.linear.kernel.value.shape).toEqual([5, 3, 3]);
    expect(module.linear.bias!.value.shape).toEqual([5, 3]);
    expect(module.node.value.shape).toEqual([2]);
    const [y, out] = s(module.call(tf.ones([1, 3]), tf.ones([5, 1, 3]), tf.ones([1, 3])));
    expect(y.shape).toEqual([1, 3]);
    expect(out).toBeNull();
  });

  function complexMLP(stateAxes: StateAxes, only: string | undefined, withD: boolean) {
    const splitOpts = only === undefined ? { splits: 5 } : { splits: 5, only };
    class MLP extends Module {
      declare d: number;
      declare linear: Linear;
      declare bn: BatchNorm;
      declare dropout: Dropout;
      declare node: Variable<tf.Tensor>;
      @splitRngs(splitOpts)
      @vmap({ inAxes: [stateAxes, stateAxes], axisSize: 5 })
      init(rngs: Rngs): void {
        if (withD) this.d = 3;
        this.linear = new Linear(3, 3, { rngs });
        this.bn = new BatchNorm(3, { rngs });
        this.dropout = new Dropout(0.5, { rngs });
        this.node = new Variable(tf.ones([2]));
      }
      @scan({ inAxes: [stateAxes, Carry] })
      scanCall(x: tf.Tensor): [tf.Tensor, null] {
        return [gelu(this.dropout.call(this.bn.call(this.linear.call(x)))), null];
      }
      call(x: tf.Tensor): [tf.Tensor, null] {
        return only === undefined ? this.scanCall(x) : splitRngs(splitOpts)((m: MLP, xx: tf.Tensor) => m.scanCall(xx))(this, x);
      }
    }
    return MLP;
  }

  it('test_complex: Linear + BatchNorm + Dropout stacked by a vmapped init, scanned call', () => {
    const MLP = complexMLP(paramsAndRngs(), undefined, false);
    const module = new MLP();
    module.init(new Rngs(0));
    module.setAttributes({ deterministic: false, useRunningAverage: false });
    expect(module.linear.kernel.value.shape).toEqual([5, 3, 3]);
    expect(module.linear.bias!.value.shape).toEqual([5, 3]);
    expect(module.node.value.shape).toEqual([2]);
    const [y] = s(module.call(tf.ones([1, 3])));
    expect(y.shape).toEqual([1, 3]);
  });

  it('test_complex_broadcast_dropout: only params split/scanned, dropout broadcast', () => {
    const MLP = complexMLP(new StateAxes([[[Param, 'params'], 0], ['...', null]]), 'params', false);
    const module = new MLP();
    module.init(new Rngs({ params: 0, dropout: 1 }));
    module.setAttributes({ deterministic: false, useRunningAverage: false });
    expect(module.linear.kernel.value.shape).toEqual([5, 3, 3]);
    expect(module.linear.bias!.value.shape).toEqual([5, 3]);
    expect(module.node.value.shape).toEqual([2]);
    const [y] = s(module.call(tf.ones([1, 3])));
    expect(y.shape).toEqual([1, 3]);
  });

  it('test_complex_decorator: a static attribute set in the vmapped init survives', () => {
    const Block5 = complexMLP(paramsAndRngs(), undefined, true);
    const module = new Block5();
    module.init(new Rngs(0));
    module.setAttributes({ deterministic: false, useRunningAverage: false });
    expect(module.d).toBe(3);
    expect(module.linear.kernel.value.shape).toEqual([5, 3, 3]);
    expect(module.linear.bias!.value.shape).toEqual([5, 3]);
    expect(module.node.value.shape).toEqual([2]);
    const [y, out] = s(module.call(tf.ones([1, 3])));
    expect(y.shape).toEqual([1, 3]);
    expect(out).toBeNull();
  });

  it('test_cache_tracing_simple (trace counter dropped: no tracing): default axes [Carry, 0]', () => {
    const x = tf.range(0, 5);
    let count: tf.Tensor = tf.scalar(0);
    const f = scan((c: tf.Tensor, xi: tf.Tensor) => [tf.add(c, 1), tf.square(xi)]);
    const [count1, y] = s(f(count, x));
    count = count1;
    expect(val(count)).toBe(5);
    expect(vals(y)).toEqual(vals(tf.square(x)));
    [count] = s(f(count, x));
    expect(val(count)).toBe(10);
  });

  it('test_cache_tracing_object (trace counter dropped): a Pytree built by a vmapped init is scanned on axis 0', () => {
    const x = tf.range(0, 5);
    let count: tf.Tensor = tf.scalar(0);
    class Foo extends Pytree {
      declare x: Param<tf.Tensor>;
      @splitRngs({ splits: 5 })
      @vmap({ axisSize: 5 })
      init(rngs: Rngs): void {
        this.x = new Param(normal(rngs.call(), [3]));
      }
    }
    const foo = new Foo();
    foo.init(new Rngs(0));
    expect(foo.x.value.shape).toEqual([5, 3]);
    const f = scan(
      (c: tf.Tensor, xi: tf.Tensor, fo: Foo) => {
        expect(fo.x.value.shape).toEqual([3]);
        return [tf.add(c, 1), tf.square(xi)];
      },
      { inAxes: [Carry, 0, 0] },
    );
    const [count1, y] = s(f(count, x, foo));
    count = count1;
    expect(val(count)).toBe(5);
    expect(vals(y)).toEqual(vals(tf.square(x)));
    [count] = s(f(count, x, foo));
    expect(val(count)).toBe(10);
  });

  it('test_scan_broadcast_keys: scanned params keys differ per step, broadcast dropout keys are equal', () => {
    const paramsKey = split(key(0), 3);
    const rngs = new Rngs({ params: paramsKey, dropout: 1 });
    const stateAxes = new StateAxes([['params', 0], ['...', null]]);
    const f = scan((_: unknown[], r: Rngs) => [[], [r.params.call(), r.dropout.call()]], { inAxes: [Carry, stateAxes], length: 3 });
    const [, [paramKeys, dropoutKeys]] = s(f([], rngs));
    const pk = (i: number) => words((paramKeys as KeyArray).index(i));
    const dk = (i: number) => words((dropoutKeys as KeyArray).index(i));
    expect(pk(0)).not.toEqual(pk(1));
    expect(pk(1)).not.toEqual(pk(2));
    expect(dk(0)).toEqual(dk(1));
    expect(dk(1)).toEqual(dk(2));
  });

  it('test_rnn_example: StateAxes {dropout: null, ...: Carry} over a cell, sequence on axis 1', () => {
    class RNNCell extends Module {
      linear: Linear;
      drop: Dropout;
      hiddenSize: number;
      constructor(inputSize: number, hiddenSize: number, rngs: Rngs) {
        super();
        this.linear = new Linear(hiddenSize + inputSize, hiddenSize, { rngs });
        this.drop = new Dropout(0.1, { rngs });
        this.hiddenSize = hiddenSize;
      }
      call(carry: tf.Tensor, x: tf.Tensor): [tf.Tensor, tf.Tensor] {
        const c = this.drop.call(carry);
        const y = relu(this.linear.call(tf.concat([c, x], -1)));
        return [y, y];
      }
      initialState(batchSize: number): tf.Tensor {
        return tf.zeros([batchSize, this.hiddenSize]);
      }
    }
    const cell = new RNNCell(20, 20, new Rngs({ params: 0, dropout: 1 }));
    const stateAxes = new StateAxes([['dropout', null], ['...', Carry]]);
    const rnnForward = (c: RNNCell, x: tf.Tensor) => {
      const carry = c.initialState(x.shape[0]);
      const unroll = scan((cc: RNNCell, h: tf.Tensor, xt: tf.Tensor) => cc.call(h, xt), { inAxes: [stateAxes, Carry, 1], outAxes: [Carry, 1] });
      const [, y] = s(unroll(c, carry, x));
      return y as tf.Tensor;
    };
    const y = rnnForward(cell, tf.ones([16, 10, 20]));
    expect(y.shape).toEqual([16, 10, 20]);
  });
});

describe('TestRemat (transforms_test.py)', () => {
  it('test_remat_basic (remat on call; constructors cannot be decorated): valueAndGrad through a remat block', () => {
    class RematLinear extends Module {
      linear: Linear;
      constructor(din: number, dout: number, rngs: Rngs) {
        super();
        this.linear = new Linear(din, dout, { rngs });
      }
      @remat
      call(x: tf.Tensor): tf.Tensor {
        return this.linear.call(x);
      }
    }
    const module = new RematLinear(2, 3, new Rngs(0));
    const lossFn = (m: RematLinear, x: tf.Tensor) => tf.sum(m.call(x));
    const [loss, grads] = s(valueAndGrad(lossFn)(module, tf.ones([1, 2])));
    expect(loss.shape).toEqual([]);
    expect(grads).toBeInstanceOf(State);
    expect(grads.linear.kernel.value.shape).toEqual([2, 3]);
  });

  it('test_remat_variables: bare Variables through remat; the BatchStat count is written once', () => {
    const rngs = new Rngs(0);
    const w = new Param(normal(rngs.call(), [2, 3]));
    const b = new Param(normal(rngs.call(), [3]));
    const count = new BatchStat(tf.scalar(0, 'int32'));
    const linear = remat((ww: Param<tf.Tensor>, bb: Param<tf.Tensor>, c: BatchStat<tf.Tensor>, x: tf.Tensor) => {
      c.value = tf.add(c.value, tf.scalar(1, 'int32'));
      return tf.add(tf.matMul(x, ww.value), tf.expandDims(bb.value, 0));
    });
    const lossFn = (ww: Param<tf.Tensor>, bb: Param<tf.Tensor>, c: BatchStat<tf.Tensor>, x: tf.Tensor) => tf.sum(linear(ww, bb, c, x));
    const [loss, grads] = s(valueAndGrad(lossFn, { argnums: [0, 1] })(w, b, count, tf.ones([1, 2])));
    expect(loss.shape).toEqual([]);
    expect(Array.isArray(grads)).toBe(true);
    expect(grads.length).toBe(2);
    expect(val(count)).toBe(1);
  });

  it('test_remat_with_scan_decorator (adapted: remat returns one tensor, so outAxes Carry)', () => {
    const stateAxes = paramsAndRngs();
    class ScanLinear extends Module {
      declare linear: Linear;
      @splitRngs({ splits: 5 })
      @vmap({ inAxes: [stateAxes, stateAxes], axisSize: 5 })
      init(rngs: Rngs): void {
        this.linear = new Linear(3, 3, { rngs });
      }
      @scan({ inAxes: [stateAxes, Carry], outAxes: Carry })
      @remat
      call(x: tf.Tensor): tf.Tensor {
        return this.linear.call(x);
      }
    }
    const m = new ScanLinear();
    m.init(new Rngs(0));
    expect(m.linear.kernel.value.shape).toEqual([5, 3, 3]);
    expect(m.linear.bias!.value.shape).toEqual([5, 3]);
    const y = s(m.call(tf.ones([1, 3])));
    expect(y.shape).toEqual([1, 3]);
  });
});
