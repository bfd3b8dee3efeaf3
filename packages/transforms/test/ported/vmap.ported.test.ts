// Port of flax v0.11.2 tests/nnx/transforms_test.py: TestVmap (see ../PORTED.md).
import * as tf from '@tensorflow/tfjs-core';
import { BatchStat, Module, Param, RngState, Variable, type Path } from '@nnx-ts/module';
import { BatchNorm, Dropout, Linear, relu } from '@nnx-ts/layers';
import { Rngs, key, normal, split, splitRngs, uniform } from '@nnx-ts/rng';
import { describe, expect, it } from 'vitest';
import { StateAxes, cond, vmap } from '../../src/index.js';
import { allClose, expectTypedError, val, vals, words } from './helpers.js';

const s = (x: unknown) => x as any;
const paramsAndRngs = () => new StateAxes([[[Param, RngState], 0], ['...', null]]);

class DropBlock extends Module {
  linear: Linear;
  dropout: Dropout;
  constructor(rngs: Rngs, din = 3, dout = 3) {
    super();
    this.linear = new Linear(din, dout, { rngs });
    this.dropout = new Dropout(0.5, { deterministic: false, rngs });
  }
  call(x: tf.Tensor): tf.Tensor {
    return this.dropout.call(relu(this.linear.call(x)));
  }
}

class BnBlock extends Module {
  linear: Linear;
  bn: BatchNorm;
  dropout: Dropout;
  constructor(rngs: Rngs) {
    super();
    this.linear = new Linear(2, 3, { rngs });
    this.bn = new BatchNorm(3, { rngs });
    this.dropout = new Dropout(0.1, { deterministic: false, rngs });
  }
  call(x: tf.Tensor): tf.Tensor {
    return relu(this.dropout.call(this.bn.call(this.linear.call(x))));
  }
}

const count = (r: Rngs) => r.default.count.value.data[0];

describe('TestVmap (transforms_test.py)', () => {
  it('test_basic: splitRngs + vmap build 5 stacked Linears; forward on inAxes [0, 1], outAxes 1', () => {
    const createBlock = splitRngs({ splits: 5 })(vmap((rngs: Rngs) => new Linear(2, 3, { rngs }), { inAxes: 0, outAxes: 0, axisSize: 5 }));
    const rngs = new Rngs(0);
    const block = s(createBlock(rngs));
    expect(block.kernel.value.shape).toEqual([5, 2, 3]);
    expect(count(rngs)).toBe(1);
    const forward = vmap(
      (b: Linear, x: tf.Tensor) => {
        expect(b.kernel.value.shape).toEqual([2, 3]);
        expect(b.bias!.value.shape).toEqual([3]);
        expect(x.shape).toEqual([2]);
        return b.call(x);
      },
      { inAxes: [0, 1], outAxes: 1 },
    );
    const x = uniform(rngs.call(), [2, 5]);
    const y = forward(block, x);
    expect(y.shape).toEqual([3, 5]);
  });

  it('test_basic_variables: bare Params built per replica come back stacked', () => {
    const createBlock = splitRngs({ splits: 5 })(
      vmap((rngs: Rngs) => [new Param(normal(rngs.call(), [2, 3])), new Param(normal(rngs.call(), [3]))], { inAxes: 0, outAxes: 0, axisSize: 5 }),
    );
    const rngs = new Rngs(0);
    const [w, b] = s(createBlock(rngs));
    expect(w.shape).toEqual([5, 2, 3]);
    expect(b.shape).toEqual([5, 3]);
    expect(count(rngs)).toBe(1);
    const forward = vmap(
      (ww: Param<tf.Tensor>, bb: Param<tf.Tensor>, x: tf.Tensor) => {
        expect(ww.shape).toEqual([2, 3]);
        expect(bb.shape).toEqual([3]);
        expect(x.shape).toEqual([2]);
        return tf.add(tf.dot(x, ww.value), bb.value);
      },
      { inAxes: [0, 0, 1], outAxes: 1 },
    );
    const y = forward(w, b, uniform(rngs.call(), [2, 5]));
    expect(y.shape).toEqual([3, 5]);
  });

  it('test_state_axes: split/restore around vmap with StateAxes out/in axes; dropout differs between calls', () => {
    const createBlock = vmap((rngs: Rngs) => new DropBlock(rngs), { inAxes: 0, outAxes: paramsAndRngs() });
    const rngs = new Rngs(0);
    const initialKey = words(rngs.default.key.value);
    let backups = splitRngs(rngs, { splits: 5 });
    const module = s(createBlock(rngs));
    backups.restore();
    expect(count(rngs)).toBe(1);
    expect(words(rngs.default.key.value)).toEqual(initialKey);
    expect(allClose(tf.gather(module.linear.kernel.value, 0), tf.gather(module.linear.kernel.value, 1))).toBe(false);
    expect(module.linear.kernel.value.shape).toEqual([5, 3, 3]);
    expect(module.linear.bias.value.shape).toEqual([5, 3]);
    const x = tf.ones([5, 1, 3]);
    const forwardBlock = vmap((m: DropBlock, xx: tf.Tensor) => m.call(xx), { inAxes: [paramsAndRngs(), 0] });
    backups = splitRngs(rngs, { splits: 5 });
    const y = forwardBlock(module, x);
    backups.restore();
    expect(y.shape).toEqual([5, 1, 3]);
    expect(count(rngs)).toBe(2);
    expect(words(rngs.default.key.value)).toEqual(initialKey);
    const y2 = forwardBlock(module, x);
    expect(allClose(y, y2)).toBe(false);
  });

  it('test_split_rngs_context_manager: rngs.fork({ split: 5 }) into a vmapped constructor', () => {
    const stateAxes = paramsAndRngs();
    const createBlock = vmap((rngs: Rngs) => new DropBlock(rngs), { inAxes: [stateAxes], outAxes: stateAxes });
    const rngs = new Rngs(0);
    const initialKey = words(rngs.default.key.value);
    const module = s(createBlock(rngs.fork({ split: 5 })));
    expect(count(rngs)).toBe(1);
    expect(words(rngs.default.key.value)).toEqual(initialKey);
    expect(allClose(tf.gather(module.linear.kernel.value, 0), tf.gather(module.linear.kernel.value, 1))).toBe(false);
    expect(module.linear.kernel.value.shape).toEqual([5, 3, 3]);
    expect(module.linear.bias.value.shape).toEqual([5, 3]);
    const x = tf.ones([5, 1, 3]);
    const forwardBlock = vmap((m: DropBlock, xx: tf.Tensor) => m.call(xx), { inAxes: [stateAxes, 0] });
    const y = forwardBlock(module, x);
    expect(y.shape).toEqual([5, 1, 3]);
    expect(words(rngs.default.key.value)).toEqual(initialKey);
    const y2 = forwardBlock(module, x);
    expect(allClose(y, y2)).toBe(false);
  });

  it('test_split_rngs_decorator: splitRngs decorator around a vmapped constructor', () => {
    const stateAxes = paramsAndRngs();
    const createBlock = splitRngs({ splits: 5 })(vmap((rngs: Rngs) => new DropBlock(rngs), { inAxes: [stateAxes], outAxes: stateAxes }));
    const rngs = new Rngs(0);
    const initialKey = words(rngs.default.key.value);
    const module = s(createBlock(rngs));
    expect(count(rngs)).toBe(1);
    expect(words(rngs.default.key.value)).toEqual(initialKey);
    expect(allClose(tf.gather(module.linear.kernel.value, 0), tf.gather(module.linear.kernel.value, 1))).toBe(false);
    expect(module.linear.kernel.value.shape).toEqual([5, 3, 3]);
    expect(module.linear.bias.value.shape).toEqual([5, 3]);
    const x = tf.ones([5, 1, 3]);
    const forwardBlock = vmap(
      (m: DropBlock, xx: tf.Tensor) => {
        expect(xx.shape).toEqual([1, 3]);
        return m.call(xx);
      },
      { inAxes: [stateAxes, 0] },
    );
    const y = forwardBlock(module, x);
    expect(y.shape).toEqual([5, 1, 3]);
    expect(words(rngs.default.key.value)).toEqual(initialKey);
    const y2 = forwardBlock(module, x);
    expect(allClose(y, y2)).toBe(false);
  });

  it('test_state_axes_simple: BatchStat and dropout mapped, params broadcast', () => {
    const stateAxes = new StateAxes([[[BatchStat, 'dropout'], 0], ['...', null]]);
    const createBlock = vmap((rngs: Rngs) => new BnBlock(rngs), { inAxes: [stateAxes], outAxes: stateAxes });
    const rngs = new Rngs({ params: 0, dropout: 1 });
    splitRngs(rngs, { splits: 5, only: 'dropout' });
    const module = s(createBlock(rngs));
    expect(module.linear.kernel.value.shape).toEqual([2, 3]);
    expect(module.bn.scale.value.shape).toEqual([3]);
    expect(module.bn.mean.value.shape).toEqual([5, 3]);
    const forwardBlock = vmap((m: BnBlock, x: tf.Tensor) => m.call(x), { inAxes: [stateAxes, 0], outAxes: 0 });
    const y = forwardBlock(module, tf.ones([5, 1, 2]));
    expect(y.shape).toEqual([5, 1, 3]);
  });

  it('test_split_rngs_decorator_simple: the dropout stream key is stacked outside, scalar inside', () => {
    const stateAxes = new StateAxes([[[BatchStat, 'dropout'], 0], ['...', null]]);
    const createBlock = splitRngs({ splits: 5, only: 'dropout' })(vmap((rngs: Rngs) => new BnBlock(rngs), { inAxes: [stateAxes], outAxes: stateAxes }));
    const module = s(createBlock(new Rngs({ params: 0, dropout: 1 })));
    expect(module.linear.kernel.value.shape).toEqual([2, 3]);
    expect(module.bn.scale.value.shape).toEqual([3]);
    expect(module.bn.mean.value.shape).toEqual([5, 3]);
    expect(module.dropout.rngs).toBeDefined();
    expect(module.dropout.rngs.key.value.shape).toEqual([5]);
    const forwardBlock = vmap(
      (m: BnBlock, x: tf.Tensor) => {
        expect(m.dropout.rngs.key.value.shape).toEqual([]);
        return m.call(x);
      },
      { inAxes: [stateAxes, 0], outAxes: 0 },
    );
    const y = forwardBlock(module, tf.ones([5, 1, 2]));
    expect(module.dropout.rngs.key.value.shape).toEqual([5]);
    expect(y.shape).toEqual([5, 1, 3]);
  });

  it('test_state_axes_super_simple: everything on axis 0', () => {
    const createBlock = vmap((rngs: Rngs) => new BnBlock(rngs), { inAxes: 0, outAxes: 0 });
    const rngs = new Rngs(0);
    splitRngs(rngs, { splits: 5 });
    const module = s(createBlock(rngs));
    expect(module.linear.kernel.value.shape).toEqual([5, 2, 3]);
    expect(module.bn.scale.value.shape).toEqual([5, 3]);
    expect(module.bn.mean.value.shape).toEqual([5, 3]);
    const forwardBlock = vmap((m: BnBlock, x: tf.Tensor) => m.call(x), { inAxes: [0, 0], outAxes: 0 });
    const y = forwardBlock(module, tf.ones([5, 1, 2]));
    expect(y.shape).toEqual([5, 1, 3]);
  });

  it('test_replicate: only RngState mapped (StateAxes {RngState: 0, ...: null}); dropout differs per replica and per call', () => {
    const [din, dout] = [3, 10];
    const stateAxes = new StateAxes([[RngState, 0], ['...', null]]);
    const forwardBlock = splitRngs({ splits: 5 })(vmap((m: DropBlock, x: tf.Tensor) => m.call(x), { inAxes: [stateAxes, 0], outAxes: 0 }));
    const module = new DropBlock(new Rngs(0), din, dout);
    const initialKey = words(module.dropout.rngs.key.value);
    expect(module.dropout.rngs.count.value.data[0]).toBe(0);
    expect(module.linear.kernel.value.shape).toEqual([din, dout]);
    expect(module.linear.bias!.value.shape).toEqual([dout]);
    const x = tf.ones([5, 1, din]);
    const y = forwardBlock(module, x) as tf.Tensor;
    expect(y.shape).toEqual([5, 1, dout]);
    expect(module.dropout.rngs.count.value.data[0]).toBe(1);
    expect(allClose(tf.gather(y, 0), tf.gather(y, 1))).toBe(false);
    const y2 = forwardBlock(module, x) as tf.Tensor;
    expect(allClose(y, y2)).toBe(false);
    expect(words(module.dropout.rngs.key.value)).toEqual(initialKey);
  });

  it('test_consistent_aliasing_inputs: the same module on axes 0 and 1 is an error', () => {
    class Foo extends Module {
      a = new Param(tf.zeros([5, 5]));
    }
    const m = new Foo();
    const f = vmap((_m1: Foo, _m2: Foo) => undefined, { inAxes: [0, 1] });
    expectTypedError(() => f(m, m), 'TransformError', /Inconsistent aliasing detected/);
  });

  it('test_consistent_aliasing_input_output: an input returned on another axis is an error', () => {
    class Foo extends Module {
      a = new Param(tf.zeros([2, 3]));
    }
    const m = new Foo();
    const f = vmap((mm: Foo) => mm, { inAxes: 0, outAxes: 1 });
    expectTypedError(() => f(m), 'TransformError', /Inconsistent aliasing detected/);
  });

  it('test_consistent_aliasing_shared: a shared submodule reached on axes 0 and 1 names the Param paths', () => {
    class Shared extends Module {
      a = new Param(tf.zeros([3, 3]));
    }
    class Foo extends Module {
      a: Shared;
      constructor(shared: Shared) {
        super();
        this.a = shared;
      }
    }
    const shared = new Shared();
    const f = vmap((_m1: Foo, _m2: Foo) => undefined, { inAxes: [0, 1] });
    expectTypedError(() => f(new Foo(shared), new Foo(shared)), 'TransformError', /Inconsistent aliasing detected[\s\S]*"a","a"[\s\S]*0[\s\S]*"a","a"[\s\S]*1/);
  });

  it('test_equivalent_state_axes_mapping: 0, {...: 0} and {Param: 0} on the same module are consistent', () => {
    const m = new Linear(3, 3, { rngs: new Rngs(0) });
    const sa1 = new StateAxes([['...', 0]]);
    const sa2 = new StateAxes([[Param, 0]]);
    let calls = 0;
    const f = vmap(
      (_m1: Linear, _m2: Linear, _m3: Linear) => {
        calls++;
      },
      { inAxes: [0, sa1, sa2] },
    );
    f(m, m, m);
    expect(calls).toBe(3);
  });

  it('test_captured_module_in_return_error: returning a module captured by closure is an error', () => {
    class Foo extends Module {
      a = tf.zeros([4, 4]);
    }
    const m = new Foo();
    const f = vmap((x: tf.Tensor) => [x, m], { inAxes: 0, outAxes: 0 });
    expectTypedError(() => f(tf.zeros([4])), 'TransformError');
  });

  class Broadcast extends Variable<tf.Tensor> {}
  class Vectorized extends Variable<tf.Tensor> {}
  class Env extends Module {
    broadcast = new Broadcast(tf.scalar(1, 'int32'));
    index = new Vectorized(tf.range(0, 8, 1, 'int32'));
    step = new Vectorized(tf.zeros([8], 'int32'));
  }

  it('test_vmap_and_cond_passthrough: StateAxes {Broadcast: null, Vectorized: 0}; cond updates even replicas', () => {
    const env = new Env();
    const f = vmap(
      (e: Env) => {
        expect(e.step.value.shape).toEqual([]);
        const increment = (en: Env) => {
          en.step.value = tf.add(en.step.value, tf.scalar(1, 'int32'));
        };
        cond(val(e.index) % 2 === 0, increment, () => undefined, e);
      },
      { inAxes: [new StateAxes([[Broadcast, null], [Vectorized, 0]])] },
    );
    f(env);
    expect(vals(env.step)).toEqual([1, 0, 1, 0, 1, 0, 1, 0]);
  });

  it('test_vmap_and_cond_passthrough_error: writing the broadcast Variable in some replicas is an error', () => {
    const env = new Env();
    const f = vmap(
      (e: Env) => {
        const increment = (en: Env) => {
          en.step.value = tf.add(en.step.value, tf.scalar(1, 'int32'));
          en.broadcast.value = tf.add(en.broadcast.value, tf.scalar(1, 'int32'));
        };
        cond(val(e.index) % 2 === 0, increment, () => undefined, e);
      },
      { inAxes: [new StateAxes([[Broadcast, null], [Vectorized, 0]])] },
    );
    expectTypedError(() => f(env), 'TransformError', /broadcast/);
    expect(vals(env.step)).toEqual(Array(8).fill(0));
  });

  it('test_example: an ensemble built from split keys; forward with a broadcast input', () => {
    class Model extends Module {
      linear: Linear;
      dropout: Dropout;
      bn: BatchNorm;
      constructor(din: number, dout: number, rngs: Rngs) {
        super();
        this.linear = new Linear(din, dout, { rngs });
        this.dropout = new Dropout(0.5, { rngs });
        this.bn = new BatchNorm(dout, { rngs });
      }
      call(x: tf.Tensor): tf.Tensor {
        return relu(this.dropout.call(this.bn.call(this.linear.call(x))));
      }
    }
    const initializeEnsemble = vmap((k) => new Model(2, 3, new Rngs(k)), { inAxes: 0, outAxes: 0 });
    const ensemble = s(initializeEnsemble(split(key(0), 5)));
    expect(ensemble.linear.kernel.shape).toEqual([5, 2, 3]);
    const forward = vmap((model: Model, x: tf.Tensor) => model.call(x), { inAxes: [0, null], outAxes: 0 });
    const y = forward(ensemble, tf.ones([4, 2]));
    expect(y.shape).toEqual([5, 4, 3]);
  });

  it('test_example_with_vectorization: a Param with a leading ensemble axis', () => {
    class LinearEnsemble extends Module {
      w: Param<tf.Tensor>;
      constructor(num: number, rngs: Rngs) {
        super();
        this.w = new Param(uniform(rngs.call(), [num, 2, 3]));
      }
    }
    const model = new LinearEnsemble(5, new Rngs(0));
    const forward = vmap(
      (m: LinearEnsemble, x: tf.Tensor) => {
        expect(m.w.shape).toEqual([2, 3]);
        return tf.matMul(x, m.w.value);
      },
      { inAxes: [0, null], outAxes: 0 },
    );
    const y = forward(model, tf.ones([4, 2]));
    expect(y.shape).toEqual([5, 4, 3]);
  });

  it('test_state_axes_from_state (adapted: StateAxes from path filters, TS has no StateAxes(state)): outAxes per path', () => {
    class Model extends Module {
      linear: Linear;
      bn: BatchNorm;
      constructor(din: number, dout: number, rngs: Rngs) {
        super();
        this.linear = new Linear(din, dout, { rngs });
        this.bn = new BatchNorm(dout, { rngs });
      }
    }
    const at = (...p: string[]) => (path: Path) => path.length === p.length && p.every((k, i) => path[i] === k);
    const stateAxes = new StateAxes([
      [at('linear', 'kernel'), 0],
      [at('linear', 'bias'), 1],
      [at('bn', 'scale'), 0],
      [at('bn', 'mean'), 1],
      [at('bn', 'var'), 0],
      [at('bn', 'bias'), null],
    ]);
    expect(stateAxes.axisFor(['linear', 'kernel'], null, 't')).toBe(0);
    expect(stateAxes.axisFor(['linear', 'bias'], null, 't')).toBe(1);
    expect(stateAxes.axisFor(['bn', 'bias'], null, 't')).toBeNull();
    const createBlock = vmap(() => new Model(2, 3, new Rngs(0)), { outAxes: stateAxes, axisSize: 5 });
    const model = s(createBlock());
    expect(model.linear.kernel.shape).toEqual([5, 2, 3]);
    expect(model.linear.bias.shape).toEqual([3, 5]);
    expect(model.bn.scale.shape).toEqual([5, 3]);
    expect(model.bn.mean.shape).toEqual([3, 5]);
    expect(model.bn.var.shape).toEqual([5, 3]);
    expect(model.bn.bias.shape).toEqual([3]);
  });
});
