import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  BatchStat,
  call,
  clone,
  findDuplicates,
  flatten,
  FilterError,
  GraphError,
  graphdef,
  iterGraph,
  merge,
  Module,
  Param,
  pop,
  split,
  State,
  state,
  toFlatState,
  toPureDict,
  unflatten,
  update,
  Variable,
  Intermediate,
} from '../src/index.js';
import { BatchNorm, Dict, Linear, List } from './helpers.js';

describe('flatten / unflatten (graph_utils_test)', () => {
  it('test_flatten: shared dict and Params, 2 Variable leaves', () => {
    const a = { a: 1, b: new Param(2) };
    const g = [a, 3, a, new Param(4)];
    const { leaves, paths, graphdef: gd } = flatten(g);
    expect(leaves.length).toBe(2);
    expect((leaves[0] as Param).value).toBe(2);
    expect((leaves[1] as Param).value).toBe(4);
    expect(paths).toEqual([[0, 'b'], [3]]);
    expect(gd.numLeaves).toBe(2);
  });

  it('test_flatten_no_paths: the Variables are the leaves, the ref map holds the 2 Variables', () => {
    const a = { a: 1, b: new Param(2) };
    const last = new Param(4);
    const g = [a, 3, a, last];
    const { leaves, paths, refs } = flatten(g, { withPaths: false, withRefs: true });
    expect(leaves).toEqual([a.b, last]);
    expect((leaves as Param[]).map((v) => v.value)).toEqual([2, 4]);
    expect(paths).toEqual([]);
    expect(refs).toHaveLength(2);
    expect(refs).toContain(a.b);
  });

  it('test_unflatten: a shared Module stays one object', () => {
    const a = new Dict({ a: 1, b: new Param(2) });
    const g = new List([a, 3, a, new Param(4)]);
    const [gd, s] = split(g);
    const g2 = merge<List>(gd, s);
    expect(g2.items[0]).toBe(g2.items[2]);
    expect(g2).toBeInstanceOf(List);
  });

  it('test_flatten_unflatten_unkown_leaves / test_split_merge_unkown_leaves(_with_filters)', () => {
    const x = tf.scalar(1);
    const { graphdef: gd, leaves } = flatten(x);
    expect(leaves[0]).toBe(x);
    expect(unflatten(gd, leaves)).toBe(x);
    const [g1, s1] = split(x);
    expect(s1).toBe(x);
    expect(merge(g1, s1)).toBe(x);
    const [g2, s2, rest] = split(x, (_p, v) => v instanceof tf.Tensor, '...');
    expect(s2).toBe(x);
    expect(rest).toEqual(new State());
    expect(merge(g2, s2, rest)).toBe(x);
    x.dispose();
  });

  it('test_unflatten_pure_dict: merge from a pure dict keeps sharing', () => {
    const a = new Dict({ a: 1, b: new Param(2) });
    const g = new List([a, 3, a, new Param(4)]);
    const [gd, s] = split(g);
    const g2 = merge<List>(gd, toPureDict(s));
    expect(g2.items[0]).toBe(g2.items[2]);
    expect(((g2.items[0] as Dict).items.b as Param).value).toBe(2);
  });

  it('test_unflatten_pytree: a shared plain dict becomes two dicts', () => {
    const a = { a: 1, b: new Param(2) };
    const g = [a, 3, a, new Param(4)];
    const [gd, s] = split(g);
    const g2 = merge<unknown[]>(gd, s);
    expect(g2[0]).not.toBe(g2[2]);
    expect(g2[0]).toEqual(g2[2]);
  });

  it('test_unflatten_empty: wrong leaf count', () => {
    const a = new Dict({ a: 1, b: new Param(2) });
    const g = new List([a, 3, a, new Param(4)]);
    const [gd] = split(g);
    expect(() => merge(gd, new State())).toThrow(GraphError);
    expect(() => merge(gd, new State())).toThrow(/Incorrect number of leaves/);
  });

  it('test_unflatten_return_variables: flatten with paths yields Params', () => {
    const a = new Dict({ a: 1, b: new Param(2) });
    const g = new List([a, 3, a, new Param(4)]);
    const { leaves } = flatten(g);
    expect(leaves.length).toBe(2);
    expect(leaves[0]).toBeInstanceOf(Param);
    expect(leaves[1]).toBeInstanceOf(Param);
  });

  it('test_update_dynamic: update through a shared dict is visible at both paths', () => {
    const a = { a: 1, b: new Param(2) };
    const g = [a, 3, a, new Param(4)];
    const [, s] = split(g);
    s[0].b.value = 3;
    update(g, s);
    expect(g[0]).toBe(g[2]);
    expect(((g[2] as typeof a).b as Param).value).toBe(3);
  });

  it('test_update_from_pure_dict', () => {
    const a = { a: 1, b: new Param(2) };
    const g = [a, 3, a, new Param(4)];
    const [, s] = split(g);
    const pure = toPureDict(s);
    pure[0].b = 3;
    update(g, pure);
    expect((a.b as Param).value).toBe(3);
    expect(Object.keys(g)).toEqual(['0', '1', '2', '3']);
  });

  it('test_module_list: state of [Linear, BatchNorm]', () => {
    const ls = [new Linear(2, 2), new BatchNorm(2)];
    const [, s] = split(ls);
    expect(s[0].kernel.value.shape).toEqual([2, 2]);
    expect(s[0].bias.value.shape).toEqual([2]);
    expect(s[1].scale.value.shape).toEqual([2]);
    expect(s[1].bias.value.shape).toEqual([2]);
    expect(s[1].mean.value.shape).toEqual([2]);
    expect(s[1].var.value.shape).toEqual([2]);
    expect(toFlatState(s).paths[0]).toEqual([0, 'bias']);
  });

  it('test_shared_variables: [v, v] has one leaf and merges back shared', () => {
    const v = new Param(1);
    const [gd, s] = split([v, v]);
    expect(toFlatState(s).length).toBe(1);
    const g2 = merge<Param[]>(gd, s);
    expect(g2[0]).toBe(g2[1]);
  });

  it('test_tied_weights: 3 leaves, kernel shared after merge', () => {
    class Foo extends Module {
      bar = new Linear(2, 2);
      baz = new Linear(2, 2);
      constructor() {
        super();
        this.baz.kernel = this.bar.kernel;
      }
    }
    const node = new Foo();
    const [gd, s] = split(node);
    expect(toFlatState(s).length).toBe(3);
    const node2 = merge<Foo>(gd, s);
    expect(node2.bar.kernel).toBe(node2.baz.kernel);
  });

  it('test_state_variables_shared_with_graph', () => {
    class Foo extends Module {
      a = new Param(1);
    }
    const m = new Foo();
    const [gd, s] = split(m);
    expect(s.a).toBeInstanceOf(Param);
    expect(m.a).toBe(s.a);
    const m2 = merge<Foo>(gd, s);
    expect(m2.a).toBe(s.a);
  });

  it('test_shared_state_variables_shared_with_graph', () => {
    class Foo extends Module {
      a: Param;
      b: Param;
      constructor() {
        super();
        const p = new Param(1);
        this.a = p;
        this.b = p;
      }
    }
    const m = new Foo();
    const [gd, s] = split(m);
    expect('b' in s).toBe(false);
    expect(m.b).toBe(s.a);
    const m2 = merge<Foo>(gd, s);
    expect(m2.a).toBe(s.a);
    expect(m2.a).toBe(m2.b);
  });

  it('test_split_variable / test_split_filter_variable: a Variable root is its own state', () => {
    const v = new Param(1);
    const [gd, s] = split(v);
    expect(gd.nodes[0]!.kind).toBe('variable');
    expect(s).toBe(v);
    expect(merge(gd, s)).toBe(v);
    const [g2, batchStats, params, rest] = split(v, BatchStat, Param, '...');
    expect(params).toBe(v);
    expect(batchStats).toEqual(new State());
    expect(rest).toEqual(new State());
    expect(merge(g2, batchStats, params, rest)).toBe(v);
  });

  it('test_split_update_variable / test_split_update_filter_variable', () => {
    const v = new Param(1);
    const [, batchStats, params, rest] = split(v, BatchStat, Param, '...');
    const other = new Param(2);
    update(v, batchStats!, other, rest!);
    expect(v.value).toBe(2);
    expect(params).toBe(v);
    expect(() => update(v, new Param(3), new Param(4))).toThrow(/exactly one/);
  });

  it('test_array_attributes: raw array attributes are leaves', () => {
    class Foo extends Module {
      a = tf.scalar(1);
      b = 'yes';
    }
    const m = new Foo();
    const [gd, s] = split(m);
    expect(Object.keys(s)).toEqual(['a']);
    expect(s.a).toBe(m.a);
    const m2 = merge<Foo>(gd, s);
    expect(m2.a).toBe(m.a);
    expect(m2.b).toBe('yes');
  });

  it('test_update_dict: update on dict-valued nodes', () => {
    const node = { a: { b: 1, c: new Param(2), d: 3 } };
    update(node, { a: { b: 4, c: 10 } });
    expect(node.a.b).toBe(4);
    expect(node.a.c.value).toBe(10);
    expect(node.a.d).toBe(3);
  });

  it('test_pop_dict: pop with (Param, predicate)', () => {
    const node: any = { a: { b: tf.scalar(1), c: new Param(2), d: tf.scalar(3) } };
    const lt2 = (_p: unknown, x: unknown) => x instanceof tf.Tensor && x.dataSync()[0]! < 2;
    const popped = pop(node, [Param, lt2]);
    expect(popped.a.b.dataSync()[0]).toBe(1);
    expect(popped.a.c.value).toBe(2);
    expect(Object.keys(node.a)).toEqual(['d']);
    expect(toFlatState(popped).length).toBe(2);
  });

  it('pop from a list parent raises GraphError', () => {
    const node = { xs: [new Intermediate(1)] };
    expect(() => pop(node, Intermediate)).toThrow(GraphError);
  });

  it('test_find_duplicates: a shared module is reported once with both paths', () => {
    class SharedModules extends Module {
      a = new Linear(1, 1);
      b = new Linear(1, 1);
      c = this.a;
    }
    expect(findDuplicates(new SharedModules())).toEqual([[['a'], ['c']]]);
  });

  it('test_fingerprint_* equivalent: GraphDef equality and key', () => {
    const m1 = new Linear(2, 3);
    const m2 = new Linear(2, 3);
    expect(graphdef(m1).equals(graphdef(m1))).toBe(true);
    expect(graphdef(m1).equals(graphdef(m2))).toBe(true); // structure only, not identity
    expect(graphdef(m1).hash).toBe(graphdef(m2).hash);
    m2.inFeatures = 5;
    expect(graphdef(m1).equals(graphdef(m2))).toBe(false);
    const m3 = new Linear(2, 3);
    m3.bias = m3.kernel; // topology change
    expect(graphdef(m1).key).not.toBe(graphdef(m3).key);
    const m4 = new Linear(2, 3);
    m4.kernel.metadata.sharding_names = ['in', 'out'];
    expect(graphdef(m1).equals(graphdef(m4))).toBe(false);
    const m5 = new Linear(2, 3);
    m5.kernel.metadata.sharding_names = ['in', 'out'];
    expect(graphdef(m4).equals(graphdef(m5))).toBe(true);
  });

  it('cycles: a module referencing itself', () => {
    class Foo extends Module {
      a = new Param(1);
      sub: Foo = this;
    }
    const m = new Foo();
    const [gd, s] = split(m);
    expect(toFlatState(s).paths).toEqual([['a']]);
    const m2 = merge<Foo>(gd, s);
    expect(m2.sub).toBe(m2);
  });

  it('cycles through non-graph containers raise GraphError naming the path', () => {
    const xs: unknown[] = [new Param(1)];
    xs.push({ inner: xs });
    expect(() => split({ xs })).toThrow(/xs\[1\]\.inner/);
  });

  it('merge reuses live Variables; clone copies them and preserves sharing', () => {
    class Foo extends Module {
      a = new Linear(2, 2);
      b = this.a;
      count = new Variable(tf.scalar(0));
    }
    const m = new Foo();
    const [gd, s] = split(m);
    const m2 = merge<Foo>(gd, s);
    expect(m2.a.kernel).toBe(m.a.kernel);
    const c = clone(m);
    expect(c.a.kernel).not.toBe(m.a.kernel);
    expect(c.a).toBe(c.b);
    expect(c.a.kernel.value).not.toBe(m.a.kernel.value);
    expect(c.a.kernel.value.dataSync()).toEqual(m.a.kernel.value.dataSync());
    c.a.kernel.value = tf.zeros([2, 2]); // disposes c's clone only
    expect(m.a.kernel.value.isDisposed).toBe(false);
    expect(Array.from(m.a.kernel.value.dataSync())).toEqual([1, 1, 1, 1]);
  });

  it('iterGraph is post-order with sorted keys; nodes once, leaves at every path', () => {
    class Foo extends Module {
      b = new Linear(1, 1);
      a = this.b;
      n = 3;
    }
    const got = [...iterGraph(new Foo())].map(([p]) => p.join('.'));
    expect(got).toEqual(['a.bias', 'a.inFeatures', 'a.kernel', 'a.outFeatures', 'a', 'n', '']);
  });

  it('split filters: first match wins, exhaustive, ... last', () => {
    const m = [new Linear(1, 1), new BatchNorm(1)];
    const [, params, rest] = split(m, Param, '...');
    expect(toFlatState(params).length).toBe(4);
    expect(toFlatState(rest).length).toBe(2);
    expect(() => split(m, Param)).toThrow(FilterError);
    expect(() => split(m, '...', Param)).toThrow(FilterError);
    const [, all, none] = split(m, [Param, BatchStat], Param);
    expect(toFlatState(all).length).toBe(6);
    expect(toFlatState(none).length).toBe(0);
    const [p1, p2] = state(m, Param, BatchStat);
    expect(toFlatState(p1!).length).toBe(4);
    expect(toFlatState(p2!).length).toBe(2);
  });
});

describe('call (graph_utils_test test_call_jit_update / test_stateful_linear / test_getitem)', () => {
  class StatefulLinear extends Module {
    w: Param<tf.Tensor>;
    b: Param<tf.Tensor>;
    count = new Variable(0);
    constructor(din: number, dout: number) {
      super();
      this.w = new Param(tf.ones([din, dout]));
      this.b = new Param(tf.zeros([dout]));
    }
    increment(): void {
      this.count.value += 1;
    }
    call(x: tf.Tensor): tf.Tensor {
      this.count.value += 1;
      return tf.add(tf.matMul(x, this.w.value), this.b.value);
    }
  }

  it('test_call_jit_update: method output and new state; counts accumulate', () => {
    class Counter extends Module {
      count = new Param(0);
      inc(): number {
        this.count.value += 1;
        return 1;
      }
    }
    let gs = split(new Counter()) as [ReturnType<typeof graphdef>, State];
    for (let i = 0; i < 2; i++) {
      const [out, next] = call(gs).inc();
      expect(out).toBe(1);
      gs = next;
    }
    expect(merge<Counter>(...gs).count.value).toBe(2);
  });

  it('test_stateful_linear: the original is untouched', () => {
    const linear = new StatefulLinear(3, 2);
    let gs = split(linear) as [ReturnType<typeof graphdef>, State];
    let y: tf.Tensor | undefined;
    for (let i = 0; i < 2; i++) [y, gs] = call(gs)(tf.ones([1, 3]));
    expect(Array.from(y!.dataSync())).toEqual([3, 3]);
    expect(linear.count.value).toBe(0);
    expect(merge<StatefulLinear>(...gs).count.value).toBe(2);
  });

  it('test_getitem: reach a nested node by key', () => {
    const nodes = { a: new StatefulLinear(3, 2), b: new StatefulLinear(2, 1) };
    const [, next] = call(split(nodes) as [ReturnType<typeof graphdef>, State]).b.increment();
    const merged = merge<typeof nodes>(...next);
    expect(merged.a.count.value).toBe(0);
    expect(merged.b.count.value).toBe(1);
    expect(() => call(split(nodes) as [ReturnType<typeof graphdef>, State]).b.nope()).toThrow(/b\.nope is not a method/);
  });
});

describe('host arrays written as object literals are leaves, not dicts', () => {
  it('split, toPureDict and merge treat a literal host array as one leaf', async () => {
    const { HOST_ARRAY, RngKey } = await import('../src/index.js');
    const key = { [HOST_ARRAY]: true as const, shape: [], dtype: 'key<fry>', data: new Uint32Array([0, 42]), clone: () => key };
    const m = { rng: new RngKey(key, { tag: 'default' }), raw: key };
    const [g, s] = split(m);
    expect(toFlatState(s).paths).toEqual([['raw'], ['rng']]);
    const pure = toPureDict(s);
    expect(pure.rng).toBe(key);
    const m2 = merge<typeof m>(g, pure);
    expect(m2.rng.value).toBe(key);
    expect(m2.raw).toBe(key);
  });
});
