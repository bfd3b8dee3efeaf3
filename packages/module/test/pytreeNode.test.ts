import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { leaves, registerNode } from '@nnx-ts/pytree';
import { describe, expect, it } from 'vitest';
import {
  BatchStat,
  clone,
  findDuplicates,
  GraphError,
  graphdef,
  iterGraph,
  merge,
  Module,
  Param,
  pop,
  pytreeAttributes,
  split,
  State,
  state,
  StateError,
  toFlatState,
  update,
  Variable,
} from '../src/index.js';
import { rebuildRegisteredNode, registeredNodeParts } from '../src/pytreeNode.js';

await tf.setBackend('cpu');

/** A `struct.dataclass` stand-in: `a` is a pytree child, `b` is static (aux). */
class Tree {
  constructor(
    readonly a: unknown,
    readonly b: string,
  ) {}
}
registerNode((x): x is Tree => x instanceof Tree, {
  flatten: (t) => ({ children: [t.a], keys: [{ kind: 'attr', name: 'a' }], aux: t.b }),
  unflatten: (b: string, [a]) => new Tree(a, b),
}, 'test.Tree');

/** Children declared in unsorted order (z before a) and keyed by dict key and index. */
class Mixed {
  constructor(
    readonly z: unknown,
    readonly a: unknown,
    readonly items: readonly unknown[],
  ) {}
}
registerNode((x): x is Mixed => x instanceof Mixed, {
  flatten: (m) => ({
    children: [m.z, m.a, ...m.items],
    keys: [{ kind: 'key', key: 'z' }, { kind: 'key', key: 'a' }, ...m.items.map((_, index) => ({ kind: 'index' as const, index }))],
    aux: m.items.length,
  }),
  unflatten: (n: number, [z, a, ...items]) => new Mixed(z, a, items.slice(0, n)),
}, 'test.Mixed');

class Foo extends Module {
  tree = new Tree(new Param(1), 'a');
}

describe('registered pytree nodes inside graphs (graph_utils_test test_pytree_node)', () => {
  it('test_pytree_flatten: one level apart (static aux not a child) and back together', () => {
    const parts = registeredNodeParts(new Tree(1, 'a'))!;
    expect(parts.keys).toEqual(['a']);
    expect(parts.children).toEqual([1]);
    const p2 = rebuildRegisteredNode(parts.metadata, parts.children) as Tree;
    expect(p2).toBeInstanceOf(Tree);
    expect(p2.a).toBe(1);
    expect(p2.b).toBe('a');
    expect(registeredNodeParts({ a: 1 })).toBeUndefined();
    expect(registeredNodeParts(new Foo())).toBeUndefined();
  });

  it('test_pytree_node: children are state, aux is static, rebuilt as a new object around the same Variables', () => {
    const m = new Foo();
    const [g, s] = split(m);
    expect('tree' in s).toBe(true);
    expect('a' in (s.tree as State)).toBe(true);
    const m2 = merge<Foo>(g, s);
    expect(m2.tree).toBeInstanceOf(Tree);
    expect((m2.tree.a as Param<number>).raw).toBe(1);
    expect(m2.tree.b).toBe('a');
    expect(m2.tree.a).toBe(m.tree.a);
    expect(m2.tree).not.toBe(m.tree);
  });

  it('an attribute holding a registered node with a Variable inside is data (jax.tree.leaves sees through it)', () => {
    const m = new Foo();
    expect(pytreeAttributes(m).data).toEqual(['tree']);
    expect(leaves(m)).toEqual([1]);
  });

  it('keys are converted (dict key → key, index → number) and sorted; the original order is restored', () => {
    const node = new Mixed(new Param(tf.scalar(1)), new Param(tf.scalar(2)), [new Param(tf.scalar(3)), 'static']);
    const { paths } = toFlatState(state({ m: node }));
    expect(paths).toEqual([['m', 0], ['m', 'a'], ['m', 'z']]);
    const def = graphdef({ m: node }).nodes[1]!;
    expect(def).toMatchObject({ kind: 'node', type: 'registered', index: -1, numAttributes: 4 });
    const back = merge<{ m: Mixed }>(...(split({ m: node }) as [ReturnType<typeof graphdef>, State])).m;
    expect(back).toBeInstanceOf(Mixed);
    expect(back.z).toBe(node.z);
    expect(back.a).toBe(node.a);
    expect(back.items).toEqual([node.items[0], 'static']);
  });

  it('a registered node at the root splits and merges', () => {
    const t = new Tree(new Param(tf.scalar(5)), 'root');
    const [g, s] = split(t);
    expect(toFlatState(s).paths).toEqual([['a']]);
    const back = merge<Tree>(g, s);
    expect(back).toBeInstanceOf(Tree);
    expect(back.a).toBe(t.a);
    expect(back.b).toBe('root');
  });

  it('GraphDef equality sees the registered type, its aux data and its children', () => {
    const key = (t: unknown) => graphdef({ t }).key;
    expect(key(new Tree(new Param(1), 'x'))).toBe(key(new Tree(new Param(2), 'x')));
    expect(graphdef({ t: new Tree(new Param(1), 'x') }).equals(graphdef({ t: new Tree(new Param(1), 'y') }))).toBe(false);
    expect(graphdef({ t: new Tree(new Param(1), 'x') }).equals(graphdef({ t: new Tree(new BatchStat(1), 'x') }))).toBe(false);
    expect(graphdef({ t: new Tree(new Param(1), 'x') }).equals(graphdef({ t: { a: new Param(1) } }))).toBe(false);
  });

  it('not identity-tracked: a node reached twice becomes two objects; its Variable is shared (NodeRef)', () => {
    const shared = new Tree(new Param(tf.scalar(1)), 's');
    const root = { x: shared, y: shared };
    const [g, s] = split(root);
    expect(toFlatState(s).paths).toEqual([['x', 'a']]);
    expect(findDuplicates({ p: shared.a, t: shared })).toEqual([[['p'], ['t', 'a']]]);
    const back = merge<typeof root>(g, s);
    expect(back.x).not.toBe(back.y);
    expect(back.x.a).toBe(back.y.a);
  });

  it('state filters, clone and iterGraph go through registered nodes', async () => {
    const m = { t: new Tree({ p: new Param(tf.scalar(1)), s: new BatchStat(tf.scalar(2)) }, 'k') };
    const [, params, stats] = split(m, Param, '...');
    expect(toFlatState(params).paths).toEqual([['t', 'a', 'p']]);
    expect(toFlatState(stats).paths).toEqual([['t', 'a', 's']]);
    const c = clone(m);
    const inner = c.t.a as { p: Param<tf.Tensor> };
    expect(c.t).toBeInstanceOf(Tree);
    expect(inner.p).not.toBe((m.t.a as { p: Param<tf.Tensor> }).p);
    expect(await inner.p.value.data()).toEqual(new Float32Array([1]));
    expect([...iterGraph(m)].map(([p]) => p)).toEqual([['t', 'a', 'p'], ['t', 'a', 's'], ['t', 'a'], ['t'], []]);
  });

  it('update writes Variables inside a registered node in place; immutable nodes reject new keys and raw arrays', async () => {
    const p = new Param(tf.scalar(1));
    const m = { t: new Tree(p, 'k'), raw: new Tree(tf.scalar(3), 'r') };
    update(m, { t: { a: tf.scalar(7) } });
    expect(m.t.a).toBe(p);
    expect(await p.value.data()).toEqual(new Float32Array([7]));
    expect(() => update(m, { t: { b: new Param(tf.scalar(0)) } })).toThrow(StateError);
    expect(() => update(m, { raw: { a: tf.scalar(4) } })).toThrow(/immutable pytree node of type Tree/);
    expect(await (m.raw.a as tf.Tensor).data()).toEqual(new Float32Array([3]));
    tf.dispose(m.raw.a as tf.Tensor);
  });

  it('pop cannot remove a child of an immutable registered node', () => {
    const m = { t: new Tree(new Variable(1), 'k') };
    expect(() => pop(m, Variable)).toThrow(GraphError);
  });
});
