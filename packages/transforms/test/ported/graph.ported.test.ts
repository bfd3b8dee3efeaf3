// Port of flax v0.11.2 tests/nnx/graph_utils_test.py: the tests that need transforms (see ../PORTED.md).
import * as tf from '@tensorflow/tfjs-core';
import {
  BatchStat,
  Module,
  Param,
  Sequential,
  Variable,
  flatten,
  isVariable,
  iterGraph,
  merge,
  split,
  toFlatState,
  unflatten,
  type GraphDef,
  type NodeDef,
} from '@nnx-ts/module';
import { BatchNorm, Linear } from '@nnx-ts/layers';
import { Rngs, normal } from '@nnx-ts/rng';
import { describe, expect, it } from 'vitest';
import { StateAxes, jit, jitCacheInfo, vmap } from '../../src/index.js';
import { Dict, expectTypedError, val, vals } from './helpers.js';

const s = (x: unknown) => x as any;
const raw = (leaf: unknown): unknown => (isVariable(leaf) ? (leaf as Variable).value : leaf);

/**
 * The lifting the Flax `test_cached_unflatten*` tests write by hand around `jax.jit(static_argnums=(0,))`, in our
 * graph API: the outer flatten records the objects by index (`refs`, Flax's RefMap); the jitted function gets the
 * GraphDef and the pure leaves, unflattens fresh inner objects (what jax.jit's copy gives), remembers each inner
 * object's outer index, runs `f`, and flattens again, returning for each new index the outer index (Flax's
 * `ref_outer_index`); the outer unflatten merges into the existing objects by that index.
 */
function liftedByHand<T>(m: T, f: (inner: T) => void): { out: T; fPure: (...args: any[]) => any } {
  const outer = flatten(m, { withRefs: true });
  const fPure = jit(
    (g: GraphDef, leaves: unknown[]) => {
      const inner = unflatten(g, leaves, { cloneRawValues: true }) as T;
      expect(inner).not.toBe(m);
      const outerIndexOf = new Map(flatten(inner, { withRefs: true }).refs!.map((r, i) => [r, i] as const));
      f(inner);
      const innerOut = flatten(inner, { withRefs: true });
      return [innerOut.graphdef, innerOut.leaves.map(raw), innerOut.refs!.map((r) => outerIndexOf.get(r))] as const;
    },
    { staticArgnums: [0] },
  );
  const [g, leaves, outerIndex] = fPure(outer.graphdef, outer.leaves.map(raw));
  const existing = outerIndex.map((i) => (i === undefined ? undefined : outer.refs![i]));
  return { out: unflatten(g, leaves as unknown[], { existing }) as T, fPure };
}

describe('graph_utils_test.py (transform parts)', () => {
  it('test_cached_unflatten: a Linear/BatchNorm swap made on fresh inner objects lands on the caller (outer-index merge)', () => {
    class Foo extends Module {
      a: Module;
      b: Module;
      constructor(rngs: Rngs) {
        super();
        this.a = new Linear(2, 2, { rngs });
        this.b = new BatchNorm(2, { rngs });
      }
    }
    const m = new Foo(new Rngs(0));
    const a = m.a as Linear;
    const b = m.b as BatchNorm;
    const before = [a.kernel, a.bias!, b.scale!, b.bias!, b.mean, b.var].map((v) => vals(v));
    const { out: m2, fPure } = liftedByHand(m, (mm) => {
      [mm.a, mm.b] = [mm.b, mm.a];
    });
    expect(m2).toBe(m);
    expect(m2.a).toBe(b);
    expect(m2.b).toBe(a);
    expect([a.kernel, a.bias!, b.scale!, b.bias!, b.mean, b.var].map((v) => vals(v))).toEqual(before);
    expect(jitCacheInfo(fPure).misses).toBe(1);

    // Swapping back and forth keeps memory flat (after a warm-up call).
    const swap = (mm: Foo) => {
      [mm.a, mm.b] = [mm.b, mm.a];
    };
    liftedByHand(m, swap);
    const n0 = tf.memory().numTensors;
    for (let i = 0; i < 4; i++) liftedByHand(m, swap);
    expect(tf.memory().numTensors).toBe(n0);
    expect(m.a).toBe(a);
    expect(m.b).toBe(b);
  });

  it('test_cached_unflatten_swap_variables: swapped Params come back as the caller\'s own Params', () => {
    class Foo extends Module {
      a = new Param(tf.scalar(1));
      b = new Param(tf.scalar(2));
    }
    const m = new Foo();
    const [a, b] = [m.a, m.b];
    const { out: m2 } = liftedByHand(m, (mm) => {
      [mm.a, mm.b] = [mm.b, mm.a];
    });
    expect(m2).toBe(m);
    expect(m2.a).toBe(b);
    expect(m2.b).toBe(a);
    expect(val(m2.a)).toBe(2);
    expect(val(m2.b)).toBe(1);
  });

  it('test_cached_unflatten_add_self_reference: m.ref = m on the inner object becomes a self-reference of the caller', () => {
    class Foo extends Module {
      ref: Foo | null = null;
    }
    const m = new Foo();
    const { out: m2 } = liftedByHand(m, (mm) => {
      mm.ref = mm;
    });
    expect(m2).toBe(m);
    expect(m2.ref).toBe(m2);
  });

  it('split/merge contexts (test_split_merge_context, _nested, test_to_tree_simple: not portable, the idea): the second occurrence of a node is a NodeRef without state, and merges back to the same object', () => {
    // One split of a tree holding `m` twice stands for two splits in one split_context / one to_tree call.
    const m = new Linear(2, 3, { rngs: new Rngs(0) });
    const [g, st] = split([m, 1, { b: m }]);
    const nodes = g.nodes;
    const first = nodes.findIndex((n) => n.kind === 'node' && n.type === Linear);
    const refAt = nodes.findIndex((n) => n.kind === 'ref' && n.index === (nodes[first] as NodeDef).index);
    expect(first).toBeGreaterThan(0);
    expect(refAt).toBeGreaterThan(first);
    expect(toFlatState(st).length).toBe(2);
    const tree = merge<[Linear, number, { b: Linear }]>(g, st);
    expect(tree[0]).toBe(tree[2].b);
    expect(tree[1]).toBe(1);

    // Nested: a Sequential and its layer; the layer's second occurrence is a reference to the first.
    const m2 = new Linear(2, 3, { rngs: new Rngs(0) });
    const m1 = new Sequential(m2);
    const [g2, st2] = split([m1, m2]);
    expect(g2.nodes.filter((n) => n.kind === 'ref').length).toBe(1);
    expect(toFlatState(st2).length).toBe(2);
    const [n1, n2] = merge<[Sequential, Linear]>(g2, st2);
    expect(n2).toBe(n1.layers[0]);

    // Through a transform that builds fresh inner objects (vmap), the sharing holds inside and outside.
    const seen: unknown[] = [];
    const f = vmap(
      (t: [Linear, number, { b: Linear }]) => {
        expect(t[0]).toBe(t[2].b);
        expect(t[0]).not.toBe(m);
        expect(t[1]).toBe(1);
        seen.push(t[0]);
        return t;
      },
      { inAxes: null, outAxes: null, axisSize: 2 },
    );
    const out = f([m, 1, { b: m }]);
    expect(seen.length).toBe(2);
    expect(seen[0]).not.toBe(seen[1]);
    expect(out[0]).toBe(m);
    expect(out[2].b).toBe(m);
    expect(out[1]).toBe(1);
  });

  it('test_split_merge_context_example (not portable, the idea): adding an attribute and a reference cycle on the inner object shows on the caller', () => {
    const m1 = new Dict({});
    const f = vmap(
      (m2: Dict) => {
        expect(m2).not.toBe(m1);
        m2.a = 1;
        m2.ref = m2;
      },
      { inAxes: null, axisSize: 1 },
    );
    f(m1);
    expect(m1.a).toBe(1);
    expect(m1.ref).toBe(m1);
  });

  it('test_split_merge_update_context / test_to_tree_update_context (not portable, the idea): swapping a Param and a number on shared inner objects updates the caller', () => {
    class Foo extends Module {
      a: any = new Param(tf.scalar(1));
      b: any = 2;
    }
    const m = new Foo();
    const p = m.a;
    const f = vmap(
      (t: [Foo, number, { b: Foo }]) => {
        const [m1, , d] = t;
        expect(m1).toBe(d.b);
        expect(m1).not.toBe(m);
        [m1.a, m1.b] = [m1.b, m1.a];
      },
      { inAxes: null, axisSize: 2 },
    );
    f([m, 1, { b: m }]);
    expect(m.a).toBe(2);
    expect(m.b).toBe(p);
    expect(val(m.b)).toBe(1);
  });

  it('test_to_tree_consistent_prefix (no to_tree; the same prefixes through vmap inAxes): one module under axes 0 and 1 is inconsistent aliasing', () => {
    // Linear(3, 3) instead of (2, 3): vmap really maps, so kernel and bias must agree on the size of axis 0.
    const m = new Linear(3, 3, { rngs: new Rngs(0) });
    const f = (inAxes: unknown[]) => vmap((_m: Linear, _n: number, _d: { b: Linear }) => undefined, { inAxes: inAxes as any });
    f([0, null, { b: 0 }])(m, 1, { b: m });
    expectTypedError(() => f([0, null, { b: 1 }])(m, 1, { b: m }), 'TransformError', /Inconsistent aliasing detected/);
  });

  it('test_simple_vmap (adapted: to_tree/from_tree around jax.vmap is what our vmap does; StateAxes for the prefixes)', () => {
    class Foo extends Module {
      a: Param<tf.Tensor>;
      b: BatchStat<tf.Tensor>;
      constructor(a: tf.Tensor, b: tf.Tensor) {
        super();
        this.a = new Param(a);
        this.b = new BatchStat(b);
      }
    }
    const m1 = new Foo(tf.scalar(0), tf.range(0, 5, 1, 'float32'));
    const m2 = new Foo(tf.scalar(1), tf.scalar(2));
    const m1Axes = new StateAxes([
      [Param, null],
      [BatchStat, 0],
    ]);
    const inAxes = [m1Axes, null, { b: m1Axes }];
    const f = vmap(
      (a1: Foo, a2: Foo, d: { b: Foo }) => {
        const args = [a1, a2, d] as const;
        expect(args[0]).toBe(args[2].b);
        let y = tf.scalar(0);
        for (const [, node] of iterGraph(args)) {
          if (node instanceof Foo) {
            expect(node.a.value.shape).toEqual([]);
            expect(node.b.value.shape).toEqual([]);
            y = tf.add(y, tf.add(node.a.value, node.b.value));
          }
        }
        return [args, y] as const;
      },
      { inAxes, outAxes: [inAxes, 0] },
    );
    const [argsOut, y] = s(f(m1, m2, { b: m1 }));
    expect(y.shape).toEqual([5]);
    expect(vals(tf.sum(y))[0]).toBeGreaterThan(5);
    expect(vals(y)).toEqual([3, 4, 5, 6, 7]);
    expect(argsOut[0]).toBe(m1);
    expect(argsOut[2].b).toBe(m1);
    expect(argsOut[1]).toBe(m2);
    expect(m1.b.value.shape).toEqual([5]);
  });

  it('test_jit_variable: a Variable argument updated inside jit', () => {
    const v = new Param(tf.scalar(1));
    const f = jit((vv: Param<tf.Tensor>) => {
      vv.value = tf.add(vv.value, 1);
    });
    f(v);
    expect(val(v)).toBe(2);
  });

  it('test_jit_pytree_of_variables: [v1, v1, v2] keeps its aliasing inside and outside jit', () => {
    const v1 = new Param(tf.scalar(1));
    const v2 = new Param(tf.scalar(2));
    const vs = [v1, v1, v2];
    const f = jit((ws: Array<Param<tf.Tensor>>) => {
      expect(ws[0]).toBe(ws[1]);
      expect(ws[0]).not.toBe(ws[2]);
      ws[0]!.value = tf.add(ws[0]!.value, 10);
    });
    f(vs);
    expect(vs[0]).toBe(vs[1]);
    expect(vs[0]).not.toBe(vs[2]);
    expect(val(vs[0])).toBe(11);
    expect(val(vs[2])).toBe(2);
  });

  it('test_variable_reference_in_module: a Variable passed alone and inside a module is one object', () => {
    class Foo extends Module {
      var: Param<tf.Tensor>;
      constructor(v: Param<tf.Tensor>) {
        super();
        this.var = v;
      }
    }
    const v = new Param(tf.scalar(1));
    const foo = new Foo(v);
    const incrementVar = jit((vv: Param<tf.Tensor>, ff: Foo) => {
      expect(vv).toBe(ff.var);
      vv.value = tf.add(vv.value, 1);
    });
    incrementVar(v, foo);
    expect(val(foo.var)).toBe(2);
  });

  it('test_variables_example: bare Variables as the state of a jitted function', () => {
    const statefulLinearInit = (din: number, dout: number, rngs: Rngs) => {
      const w = new Param(normal(rngs.call(), [din, dout]));
      const b = new Param(tf.zeros([dout]));
      const count = new Variable(tf.scalar(0, 'int32'));
      return [w, b, count] as const;
    };
    const rngs = new Rngs(0);
    const [w, b, count] = statefulLinearInit(2, 3, rngs);
    const statefulLinear = jit((ww: Param<tf.Tensor>, bb: Param<tf.Tensor>, c: Variable<tf.Tensor>, x: tf.Tensor) => {
      c.value = tf.add(c.value, 1);
      return tf.add(tf.matMul(x, ww.value), tf.expandDims(bb.value, 0));
    });
    const x = normal(rngs.call(), [1, 2]);
    let y = statefulLinear(w, b, count, x);
    expect(val(count)).toBe(1);
    y.dispose();
    y = statefulLinear(w, b, count, x);
    expect(val(count)).toBe(2);
    expect(y.shape).toEqual([1, 3]);
    const expected = tf.matMul(x, w.value);
    expect(vals(y)).toEqual(vals(expected));
    tf.dispose([x, y, expected]);
  });

  it('test_transform_array_attributes: a raw array attribute updated inside jit; the static string is kept', () => {
    class Foo extends Module {
      a: tf.Tensor = tf.scalar(1, 'int32');
      b = 'yes';
    }
    const m = new Foo();
    const f = jit((mm: Foo) => {
      mm.a = tf.add(mm.a, 1);
      expect(mm.b).toBe('yes');
    });
    f(m);
    expect(val(m.a)).toBe(2);
    expect(m.b).toBe('yes');
  });
});
