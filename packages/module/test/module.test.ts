import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  BatchStat,
  clone,
  formatSize,
  Intermediate,
  markData,
  markStatic,
  merge,
  Module,
  NnxError,
  Param,
  pop,
  Pytree,
  pytreeAttributes,
  RngCount,
  RngKey,
  Sequential,
  split,
  State,
  state,
  StateError,
  tabulate,
  toFlatState,
  Variable,
} from '../src/index.js';
import { BatchNorm, Dict, Linear, List, values } from './helpers.js';

class Dropout extends Module {
  deterministic = false;
  rate: number;
  constructor(rate: number) {
    super();
    this.rate = rate;
  }
}

describe('Module (module_test)', () => {
  it('test_split_2: an empty first filter', () => {
    const m = new Dict({ a: new Param(1) });
    const [, empty, some] = split(m, null, '...');
    expect(empty).toEqual(new State());
    expect(toFlatState(some!).paths).toEqual([['items', 'a']]);
  });

  it('test_split_merge equivalent (no jax.jit): merge, change a static attribute, split again', () => {
    const m = new Dict({ a: new Param(1) }) as Dict & { b?: number };
    const m1 = merge<Dict & { b?: number }>(...(split(m) as [any, any]));
    m1.b = 2;
    const [g, s] = split(m1);
    const m2 = merge<Dict & { b?: number }>(g, s);
    expect(m2.b).toBe(2);
    expect(g.equals(split(m)[0])).toBe(false);
  });

  it('test_shared_module / test_module_graph (self cycle)', () => {
    class Foo extends Module {
      a = new Linear(1, 1);
      b = this.a;
      sub: Foo = this;
    }
    const m = new Foo();
    const [g, s] = split(m);
    const m2 = merge<Foo>(g, s);
    expect(m2.a).toBe(m2.b);
    expect(m2.sub).toBe(m2);
  });

  it('test_deref_number_of_fields: static ints are not in state', () => {
    const r1 = new Variable(1);
    const r2 = new Variable(2);
    const m = new Dict({ a: new List([r1, r2, 3]), b: new Dict({ c: r1, d: r2 }) });
    const [, p] = split(m);
    expect(toFlatState(p).length).toBe(2);
  });

  it('test_clone', () => {
    const m = new Dict({ a: new List([new Param(1), new Param(2), 3]), b: new Dict({ c: new Param(1), d: new Param(2) }) });
    const m2 = clone(m);
    expect(m2).not.toBe(m);
    const a2 = (m2.items.a as List).items as Param[];
    expect(a2[0]!.value).toBe(1);
    expect(a2[0]).not.toBe(((m.items.a as List).items as Param[])[0]);
    expect((m2.items.b as Dict).items.d).toBeInstanceOf(Param);
  });

  it('test_deepcopy equivalent: clone copies lists and Variables, keeps the self reference', () => {
    class Foo extends Module {
      a = new Param(1);
      b = [1, 2, 3];
      c = new Param(tf.tensor1d([1]));
      self: Foo = this;
    }
    const m1 = new Foo();
    const m2 = clone(m1);
    expect(m2.a.value).toBe(1);
    expect(m2.a).not.toBe(m1.a);
    expect(m2.b).not.toBe(m1.b);
    expect(m2.b).toEqual([1, 2, 3]);
    expect(m2.c).not.toBe(m1.c);
    expect(m2.self).toBe(m2);
  });

  it('test_sow_basic / existing non-variable / wrong collection', () => {
    class Foo extends Module {
      call(x: number): number {
        const y = x + 1;
        this.sow(Intermediate, 'y', y);
        return y;
      }
    }
    const m = new Foo() as Foo & { y?: Intermediate };
    expect(m.call(2)).toBe(3);
    expect(m.call(10)).toBe(11);
    expect(m.y!.value).toEqual([3, 11]);
    const inter = pop(m, Intermediate);
    expect(inter.y).toBeInstanceOf(Intermediate);
    expect(inter.y.value).toEqual([3, 11]);
    expect('y' in m).toBe(false);

    class Bad extends Foo {
      y = 10;
    }
    expect(() => new Bad().call(2)).toThrow(/to be a Variable, got/);
    class Wrong extends Foo {
      y = new Param(10);
    }
    expect(() => new Wrong().call(2)).toThrow(/to be of type/);
    expect(() => new Wrong().call(2)).toThrow(StateError);
  });

  it('sow with a collection name registers a Variable type; custom reduce', () => {
    class Foo extends Module {
      call(x: number): number {
        this.sow('my_stats', 's', x, { reduce: (a: number, v: number) => a + v, init: () => 0 });
        return x;
      }
    }
    const m = new Foo() as Foo & { s?: Variable };
    m.call(2);
    m.call(5);
    expect(m.s!.value).toBe(7);
    expect(m.s!.constructor.name).toBe('my_stats');
  });

  it('perturb creates a zero Perturbation on the first call and adds it', () => {
    class Foo extends Module {
      call(x: tf.Tensor): tf.Tensor {
        return this.perturb('h', x);
      }
    }
    const m = new Foo() as Foo & { h?: Variable<tf.Tensor> };
    expect('h' in m).toBe(false);
    const y = m.call(tf.tensor1d([1, 2]));
    expect(values(y)).toEqual([1, 2]);
    expect(values(m.h!.value)).toEqual([0, 0]);
  });

  it('test_set_attributes / test_set_attribute_error / train / eval', () => {
    class Block extends Module {
      linear = new Linear(2, 5);
      dropout = new Dropout(0.5);
      batchNorm = new BatchNorm(5);
    }
    const block = new Block();
    block.setAttributes({ deterministic: true, useRunningAverage: true });
    expect(block.dropout.deterministic).toBe(true);
    expect(block.batchNorm.useRunningAverage).toBe(true);
    const b2 = new Block();
    b2.setAttributes([Dropout], { deterministic: true });
    expect(b2.dropout.deterministic).toBe(true);
    expect(b2.batchNorm.useRunningAverage).toBe(false);
    expect(() => b2.setAttributes({ deterministic: true, unknown: true })).toThrow(
      /Could not find at least one instance of the following attributes: unknown/,
    );
    expect(() => b2.setAttributes({ deterministic: true, unknown: true })).toThrow(NnxError);
    b2.setAttributes({ unknown: true }, { raiseIfNotFound: false });
    b2.train();
    expect(b2.dropout.deterministic).toBe(false);
    expect(b2.batchNorm.useRunningAverage).toBe(false);
    b2.eval();
    expect(b2.dropout.deterministic).toBe(true);
    expect(b2.batchNorm.useRunningAverage).toBe(true);
    expect('useRunningAverage' in b2.linear).toBe(false);
  });

  it('test_modules_iterator / test_children_modules_iterator: post-order, sorted', () => {
    class Foo extends Module {
      submodules = [{ a: new Linear(1, 1) }, { b: new BatchNorm(1) }];
      linear = new Linear(1, 1);
      dropout = new Dropout(0.5);
    }
    const m = new Foo();
    const mods = [...m.iterModules()];
    expect(mods.map(([p]) => p)).toEqual([['dropout'], ['linear'], ['submodules', 0, 'a'], ['submodules', 1, 'b'], []]);
    expect(mods[0]![1]).toBeInstanceOf(Dropout);
    expect(mods[3]![1]).toBeInstanceOf(BatchNorm);
    expect(mods[4]![1]).toBe(m);
    const children = [...m.iterChildren()];
    expect(children.map(([k]) => k)).toEqual(['dropout', 'linear']);
  });

  it('test_state_in_module', () => {
    class Foo extends Module {
      a = new State({ b: new Param(tf.scalar(1)) });
    }
    const [g, s] = split(new Foo());
    expect(s).toBeInstanceOf(State);
    expect(s.a).toBeInstanceOf(State);
    expect(merge<Foo>(g, s).a).toBeInstanceOf(State);
  });

  it('test_repr equivalent: tabulate lists per-type totals, rows and is toString()', () => {
    class Block extends Module {
      linear = new Linear(2, 3);
      bn = new BatchNorm(3);
      rngs = { key: new RngKey({ shape: [] }, { tag: 'default' }), count: new RngCount(0, { tag: 'default' }) };
    }
    const b = new Block();
    const text = b.toString();
    const lines = text.split('\n');
    expect(lines[0]).toBe('Block  # Param: 15 (60 B), BatchStat: 6 (24 B), RngState: 2 (8 B), Total: 23 (92 B)');
    expect(lines[1]).toMatch(/^path\s+type\s+shape\s+dtype\s+size$/);
    expect(lines).toContain('linear.kernel  Param      [2, 3]  float32  6');
    expect(tabulate(b)).toBe(text);
    expect(formatSize(1234567, 4938268)).toBe('1,234,567 (4.9 MB)');
  });

  it('Sequential applies layers in order', () => {
    const seq = new Sequential(new Linear(2, 2, 1), (x: tf.Tensor) => tf.mul(x, 2), new Linear(2, 1, 1));
    const y = seq.call(tf.ones([1, 2]));
    expect(values(y)).toEqual([8]);
    expect(toFlatState(state(seq)).paths.map((p) => p.join('.'))).toEqual([
      'layers.0.bias',
      'layers.0.kernel',
      'layers.2.bias',
      'layers.2.kernel',
    ]);
  });

  it('data/static inference (0.11): containers of data are data; marks override; data never reverts', () => {
    class Foo extends Pytree {
      ls: unknown[] = [];
      n = 3;
      name = 'x';
      w = new Param(1);
      nums = [1, 2];
      constructor() {
        super();
        this.ls.push(tf.scalar(1));
      }
    }
    const f = new Foo();
    expect(pytreeAttributes(f)).toEqual({ data: ['ls', 'w'], statics: ['n', 'name', 'nums'] });
    markData(f, 'nums');
    markStatic(f, 'w');
    expect(pytreeAttributes(f)).toEqual({ data: ['ls', 'nums'], statics: ['n', 'name', 'w'] });
    f.ls = [];
    expect(pytreeAttributes(f).data).toContain('ls');
  });

  it('brands: instanceof works for objects from another copy (same Symbol.for brand)', () => {
    const foreign = Object.create({ [Symbol.for('nnx-ts.Variable')]: true, [Symbol.for('nnx-ts.Param')]: true });
    expect(foreign instanceof Param).toBe(true);
    expect(foreign instanceof Variable).toBe(true);
    expect(foreign instanceof BatchStat).toBe(false);
    const foreignModule = Object.create({ [Symbol.for('nnx-ts.Pytree')]: true, [Symbol.for('nnx-ts.Module')]: true });
    expect(foreignModule instanceof Module).toBe(true);
    expect(foreignModule instanceof Pytree).toBe(true);
    class Local extends Module {}
    expect(new Local() instanceof Local).toBe(true);
    expect(new Linear(1, 1) instanceof Local).toBe(false);
  });
});

describe('TestModuleDef (module_test)', () => {
  // Flax draws `w` and the noise from Rngs (@nnx-ts/rng builds on this package); here both are given.
  class Foo extends Module {
    w: Param<tf.Tensor>;
    c: number;
    constructor(c: number) {
      super();
      this.w = new Param(tf.scalar(0.5));
      this.c = c;
    }
    call(x: number, noise: tf.Tensor): tf.Tensor {
      return tf.add(tf.add(tf.mul(this.w.value, x), noise), this.c);
    }
  }

  it('test_apply: graphdef.apply(state)(...) returns the output and a new (graphdef, state)', async () => {
    const foo = new Foo(1);
    const [g, states] = split(foo);
    expect(states).toBeInstanceOf(State);
    expect(states.w).toBeInstanceOf(Param);
    const [y, [g2, s2]] = g.apply(states)(2, tf.scalar(0.25));
    expect(y).toBeInstanceOf(tf.Tensor);
    expect(await (y as tf.Tensor).data()).toEqual(new Float32Array([2.25]));
    expect(g2.equals(g)).toBe(true);
    expect(s2.w).toBeInstanceOf(Param);
    expect(s2.w).not.toBe(states.w); // the given state is not touched
  });

  it('test_derefed_mod_apply: a Variable attribute; several states are merged; nested methods', async () => {
    class Bar extends Module {
      w = new Param(tf.scalar(0.5));
      c = new Variable(tf.scalar(1));
      call(x: number, noise: tf.Tensor): tf.Tensor {
        return tf.add(tf.add(tf.mul(this.w.value, x), noise), this.c.value);
      }
      bump(): void {
        this.c.value = tf.add(this.c.value, 1);
      }
    }
    const [g, st] = split(new Bar());
    expect(g.nodes[0]!.kind).toBe('node');
    expect(st).toBeInstanceOf(State);
    expect(st.w).toBeInstanceOf(Param);
    expect(st.c).toBeInstanceOf(Variable);
    const [y, [g2, s2]] = g.apply(st)(2, tf.scalar(0.25));
    expect(await (y as tf.Tensor).data()).toEqual(new Float32Array([2.25]));
    expect(g2.equals(g)).toBe(true);
    const [, params, rest] = split(new Bar(), Param, '...');
    const [, [, bumped]] = g.apply(params, rest).bump();
    const [y3] = g.apply(bumped)(2, tf.scalar(0));
    expect(await (y3 as tf.Tensor).data()).toEqual(new Float32Array([3]));
    expect(await ((rest.c as Variable<tf.Tensor>).value.data())).toEqual(new Float32Array([1]));
    expect(s2.c).toBeInstanceOf(Variable);
  });
});
