import * as tf from '@tensorflow/tfjs-core';
import { registerNode } from '@nnx-ts/pytree';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchStat, flatten, FlattenCache, GraphError, Module, Param, State, type Flattened } from '../src/index.js';
import { Linear } from './helpers.js';

class Block extends Module {
  layers: Linear[] = [new Linear(2, 2, 1), new Linear(2, 2, 2)];
  stats = new BatchStat(tf.zeros([2]));
  config: Record<string, unknown> = { depth: 2, act: 'relu' };
  raw: unknown = tf.scalar(3);
  training?: boolean = true;
  note?: string = undefined;
}

/** The cache's answer for `roots` must equal a full flatten of them, object for object. */
function expectSameAsFlatten(cache: FlattenCache, roots: unknown[]): Flattened {
  const got = cache.flatten(roots);
  const want = flatten(roots, { withRefs: true, withPaths: false });
  expect(got.graphdef.key).toBe(want.graphdef.key);
  expect(got.graphdef.equals(want.graphdef)).toBe(true);
  expect(got.leaves.length).toBe(want.leaves.length);
  got.leaves.forEach((leaf, i) => expect(leaf).toBe(want.leaves[i]));
  expect(got.refs!.length).toBe(want.refs!.length);
  got.refs!.forEach((r, i) => expect(r).toBe(want.refs![i]));
  expect(got.containers!.length).toBe(want.containers!.length);
  got.containers!.forEach((c, i) => expect(c).toBe(want.containers![i]));
  return got;
}

// Each mutation happens between two calls; `hit` says whether the second call may skip the flatten.
const MUTATIONS: Array<[string, (b: Block & Record<string, unknown>) => void, boolean]> = [
  ['nothing', () => {}, true],
  ['a Variable value', (b) => (b.stats.value = tf.ones([2])), true],
  ['a raw array attribute replaced by another array', (b) => (b.raw = tf.scalar(4)), true],
  ['a raw array attribute replaced by a number', (b) => (b.raw = 4), false],
  ['a static attribute', (b) => (b.training = false), false],
  ['an added static attribute', (b) => (b.extra = 1), false],
  ['an added Variable', (b) => (b.extra = new Param(tf.scalar(1))), false],
  ['a deleted attribute', (b) => delete b.training, false],
  [
    'an attribute holding undefined deleted and another one added',
    (b) => {
      delete b.note;
      b.other = 1;
    },
    false,
  ],
  ['a swapped child module', (b) => (b.layers[0] = new Linear(2, 2, 5)), false],
  ['a swapped Variable', (b) => (b.layers[0]!.bias = new Param(tf.zeros([2]))), false],
  ['a Variable shared into a second place', (b) => (b.layers.at(-1)!.kernel = b.layers[0]!.bias), false],
  ['Variable metadata changed in place', (b) => (b.stats.metadata.tag = 'x'), false],
  ['a list grown', (b) => b.layers.push(new Linear(2, 2, 3)), false],
  ['a list shrunk', (b) => b.layers.length > 1 && b.layers.pop(), false],
  ['a dict entry changed', (b) => (b.config.depth = 3), false],
  ['a dict entry added', (b) => (b.config.width = 8), false],
  [
    'a dict entry deleted and added back (same keys, other order)',
    (b) => {
      delete b.config.depth;
      b.config.depth = 2;
    },
    true,
  ],
  ['a container replaced by an equal copy', (b) => (b.config = { ...b.config }), true],
  ['a list replaced by a copy', (b) => (b.layers = [...b.layers]), true],
  ['a module replaced by one of the same structure', (b) => (b.layers = b.layers.map(() => new Linear(2, 2, 1))), false],
];

describe('FlattenCache', () => {
  it('answers a repeated call on an unchanged graph without flattening, with the new input arrays', () => {
    const block = new Block();
    const cache = new FlattenCache();
    const x1 = tf.ones([2]);
    expectSameAsFlatten(cache, [block, x1]);
    expect([cache.hits, cache.misses, cache.size]).toEqual([0, 1, 1]);
    const x2 = tf.zeros([2]);
    const roots = [block, x2];
    const got = expectSameAsFlatten(cache, roots);
    expect([cache.hits, cache.misses]).toEqual([1, 1]);
    expect(got.leaves.at(-1)).toBe(x2);
    expect(got.containers![0]).toBe(roots);
  });

  it.each(MUTATIONS)('after %s between calls, equals a full flatten', (_, mutate, hit) => {
    const block = new Block() as Block & Record<string, unknown>;
    const cache = new FlattenCache();
    cache.flatten([block, 1]);
    mutate(block);
    expectSameAsFlatten(cache, [block, 1]);
    expect(cache.hits).toBe(hit ? 1 : 0);
    // The graph as it is now is cached in turn.
    expectSameAsFlatten(cache, [block, 1]);
    expect(cache.hits).toBe(hit ? 2 : 1);
  });

  it('misses when the arguments change: another object, a static argument, one argument more', () => {
    const [a, b] = [new Block(), new Block()];
    const cache = new FlattenCache();
    cache.flatten([a, 1]);
    for (const roots of [[b, 1], [a, 2], [a, 1, 1]]) expectSameAsFlatten(cache, roots);
    expect(cache.hits).toBe(0);
  });

  it('hits with new wrapping lists, dicts and States around the same modules (a batch dict per call)', () => {
    const block = new Block();
    const cache = new FlattenCache();
    for (let i = 0; i < 3; i++) {
      const roots = [{ model: block, batch: { x: tf.scalar(i), y: [tf.scalar(i)] } }, new State({ step: tf.scalar(i) })];
      const got = expectSameAsFlatten(cache, roots);
      expect(got.containers![1]).toBe(roots[0]);
    }
    expect([cache.hits, cache.misses]).toEqual([2, 1]);
  });

  it('a cycle through containers fails the replay and reaches the full flatten, which rejects it', () => {
    const cache = new FlattenCache();
    cache.flatten([{ inner: { v: 1 } }]);
    const cyclic: Record<string, unknown> = {};
    cyclic.inner = cyclic;
    expect(() => cache.flatten([cyclic])).toThrow(GraphError);
    const deep: Record<string, unknown> = { v: 1 };
    deep.inner = deep;
    expect(() => cache.flatten([{ inner: deep }])).toThrow(GraphError);
    expect(cache.hits).toBe(0);
  });

  it('remembers the last `capacity` graphs, most recently used first', () => {
    const models = Array.from({ length: 3 }, () => new Block());
    const cache = new FlattenCache(2);
    for (const m of models) cache.flatten([m]);
    expect([cache.misses, cache.size]).toEqual([3, 2]);
    cache.flatten([models[2]]);
    cache.flatten([models[1]]);
    expect(cache.hits).toBe(2);
    cache.flatten([models[0]]); // evicted
    expect(cache.misses).toBe(4);
  });

  it('never caches graphs whose structure it cannot check by identity (static objects, registered nodes)', () => {
    class Config {
      depth = 2;
    }
    class Pair {
      constructor(readonly a: unknown, readonly b: unknown) {}
    }
    registerNode((x): x is Pair => x instanceof Pair, {
      flatten: (p) => ({ children: [p.a, p.b], keys: [{ kind: 'attr', name: 'a' }, { kind: 'attr', name: 'b' }], aux: null }),
      unflatten: (_, [a, b]) => new Pair(a, b),
    }, 'test.FlattenCache.Pair');
    const withStaticObject = Object.assign(new Block(), { cfg: new Config() });
    const withRegisteredNode = Object.assign(new Block(), { pair: new Pair(tf.scalar(1), 2) });
    for (const m of [withStaticObject, withRegisteredNode]) {
      const cache = new FlattenCache();
      expectSameAsFlatten(cache, [m]);
      expectSameAsFlatten(cache, [m]);
      expect([cache.hits, cache.size]).toEqual([0, 0]);
    }
  });

  it('unchangedLeaves gives the leaves while the graph matches the latest entry', () => {
    const block = new Block();
    const cache = new FlattenCache();
    expect(cache.unchangedLeaves([block])).toBeUndefined();
    cache.flatten([block]);
    block.stats.value = tf.ones([2]);
    expect(cache.unchangedLeaves([block])).toEqual(flatten([block], { withPaths: false }).leaves);
    block.training = false;
    expect(cache.unchangedLeaves([block])).toBeUndefined();
  });

  it('property: after any sequence of mutations, every call equals a full flatten', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(MUTATIONS.length - 1), { maxLength: 12 }), (picks) => {
        const block = new Block() as Block & Record<string, unknown>;
        const cache = new FlattenCache();
        expectSameAsFlatten(cache, [block]);
        for (const i of picks) {
          MUTATIONS[i]![1](block);
          expectSameAsFlatten(cache, [block]);
        }
        expect(cache.hits + cache.misses).toBe(picks.length + 1);
      }),
      { numRuns: 150 },
    );
  });
});
