import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BatchStat,
  clone,
  findDuplicates,
  flatten,
  merge,
  Module,
  Param,
  split,
  state,
  toFlatState,
  toPureDict,
  update,
  Variable,
} from '../src/index.js';

class Node extends Module {}

type Spec = { kind: 'var'; index: number } | { kind: 'static'; value: number } | { kind: 'node'; children: Spec[]; list: boolean };

const specArb: fc.Arbitrary<Spec> = fc.letrec<{ spec: Spec }>((tie) => ({
  spec: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ kind: fc.constant('var' as const), index: fc.nat(5) }),
    fc.record({ kind: fc.constant('static' as const), value: fc.integer() }),
    fc.record({ kind: fc.constant('node' as const), children: fc.array(tie('spec'), { maxLength: 4 }), list: fc.boolean() }),
  ),
})).spec;

/** Builds a Module graph: variables come from a shared pool (repeated indices share), and every third node is reused. */
function build(spec: Spec, seed: number): Module {
  const pool: Variable<number>[] = [];
  for (let i = 0; i < 6; i++) pool.push(i % 2 === 0 ? new Param(seed + i) : new BatchStat(seed + i));
  const nodes: Module[] = [];
  let count = 0;
  const make = (s: Spec): unknown => {
    if (s.kind === 'var') return pool[s.index];
    if (s.kind === 'static') return s.value;
    count++;
    if (count % 3 === 0 && nodes.length > 0) return nodes[count % nodes.length];
    const kids = s.children.map(make);
    if (s.list) return kids;
    const n = new Node() as Node & Record<string, unknown>;
    kids.forEach((k, i) => (n[`c${i}`] = k));
    nodes.push(n);
    return n;
  };
  const root = new Node() as Node & Record<string, unknown>;
  root.body = make(spec);
  root.extra = pool[0];
  return root;
}

const numbers = (m: unknown) => toFlatState(state(m)).leaves.map((v) => (v as Variable<number>).value);

describe('property tests: round trips on random graphs with shared references', () => {
  it('split/merge reuses Variables and keeps paths and sharing', () => {
    fc.assert(
      fc.property(specArb, fc.integer({ min: 0, max: 1000 }), (spec, seed) => {
        const m = build(spec, seed);
        const before = flatten(m);
        const [g, s] = split(m);
        const m2 = merge(g, s);
        const after = flatten(m2);
        expect(after.paths).toEqual(before.paths);
        after.leaves.forEach((v, i) => expect(v).toBe(before.leaves[i]));
        expect(findDuplicates(m2)).toEqual(findDuplicates(m));
        expect(after.graphdef.equals(before.graphdef)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('split with filters and merge of the parts equals the whole', () => {
    fc.assert(
      fc.property(specArb, fc.integer({ min: 0, max: 1000 }), (spec, seed) => {
        const m = build(spec, seed);
        const [g, params, rest] = split(m, Param, '...');
        const m2 = merge(g, rest, params);
        expect(flatten(m2).leaves).toEqual(flatten(m).leaves);
        expect(toFlatState(params!).leaves.every((v) => v instanceof Param)).toBe(true);
        expect(toFlatState(rest!).leaves.every((v) => v instanceof BatchStat)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('pure dict round trip: merge from toPureDict and update from it', () => {
    fc.assert(
      fc.property(specArb, fc.integer({ min: 0, max: 1000 }), (spec, seed) => {
        const m = build(spec, seed);
        const [g, s] = split(m);
        const pure = toPureDict(s);
        const m2 = merge(g, pure);
        expect(numbers(m2)).toEqual(numbers(m));
        expect(findDuplicates(m2).length).toBe(findDuplicates(m).length);
        const m3 = build(spec, seed + 1);
        update(m3, pure);
        expect(numbers(m3)).toEqual(numbers(m));
      }),
      { numRuns: 200 },
    );
  });

  it('clone preserves structure and sharing with new Variables', () => {
    fc.assert(
      fc.property(specArb, fc.integer({ min: 0, max: 1000 }), (spec, seed) => {
        const m = build(spec, seed);
        const c = clone(m);
        const a = flatten(m);
        const b = flatten(c);
        expect(b.paths).toEqual(a.paths);
        b.leaves.forEach((v, i) => expect(v).not.toBe(a.leaves[i]));
        expect(findDuplicates(c)).toEqual(findDuplicates(m));
      }),
      { numRuns: 200 },
    );
  });
});
