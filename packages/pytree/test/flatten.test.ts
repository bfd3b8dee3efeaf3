import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  flatten,
  flattenUpTo,
  flattenWithPath,
  keyPathToString,
  leaves,
  structure,
  TreeStructureError,
  unflatten,
} from '../src/index.js';

describe('flatten / unflatten (jax tree_util spirit)', () => {
  it('flattens depth-first with dict keys sorted like JAX', () => {
    const [xs, def] = flatten({ b: [1, 2], a: 3, c: { z: 4, y: 5 } });
    expect(xs).toEqual([3, 1, 2, 5, 4]);
    expect(def.numLeaves).toBe(5);
    expect(def.toString()).toBe('TreeDef({a: *, b: [*, *], c: {y: *, z: *}})');
  });

  it('treats null and undefined as nodes with no children (JAX None)', () => {
    const tree = [null, { a: undefined, b: 1 }, [null]];
    const [xs, def] = flatten(tree);
    expect(xs).toEqual([1]);
    expect(def.numLeaves).toBe(1);
    expect(unflatten(def, [7])).toEqual([null, { a: undefined, b: 7 }, [null]]);
    expect(leaves(null)).toEqual([]);
    expect(unflatten(structure(undefined), [])).toBeUndefined();
  });

  it('keeps null and undefined distinct in the structure', () => {
    expect(structure(null).equals(structure(undefined))).toBe(false);
  });

  it('treats class instances, typed arrays, functions-free values as leaves', () => {
    class Box {
      constructor(readonly v: number) {}
    }
    const box = new Box(1);
    const words = new Uint32Array([1, 2]);
    expect(leaves([box, words, 'str', 3n, true])).toEqual([box, words, 'str', 3n, true]);
  });

  it('treats empty containers as nodes with no leaves', () => {
    const [xs, def] = flatten({ a: [], b: {} });
    expect(xs).toEqual([]);
    expect(unflatten(def, [])).toEqual({ a: [], b: {} });
  });

  it('supports a leaf at the root', () => {
    const [xs, def] = flatten(5);
    expect(xs).toEqual([5]);
    expect(def.kind).toBe('leaf');
    expect(unflatten(def, [6])).toBe(6);
  });

  it('isLeaf stops descent, including on null', () => {
    const tree = [[1, 2], [3], null];
    expect(leaves(tree, { isLeaf: (x) => Array.isArray(x) && x.length === 1 })).toEqual([1, 2, [3]]);
    expect(leaves(tree, { isLeaf: (x) => x === null })).toEqual([1, 2, 3, null]);
  });

  it('null-prototype objects are dict nodes', () => {
    const obj = Object.create(null) as Record<string, unknown>;
    obj.k = 1;
    expect(leaves({ obj })).toEqual([1]);
  });

  it('round-trips a __proto__ key as an own property', () => {
    const tree = JSON.parse('{"__proto__": 1, "a": 2}') as Record<string, unknown>;
    const out = unflatten<Record<string, unknown>>(structure(tree), leaves(tree));
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toBe(1);
  });

  it('unflatten with the wrong number of leaves throws TreeStructureError naming counts', () => {
    const def = structure({ a: 1, b: [2, 3] });
    expect(() => unflatten(def, [1, 2])).toThrow(TreeStructureError);
    expect(() => unflatten(def, [1, 2])).toThrow(/expected 3 leaves.*got 2/);
    try {
      unflatten(def, []);
    } catch (e) {
      expect((e as Error).name).toBe('TreeStructureError');
    }
  });

  it('flattenWithPath gives JAX keystr paths', () => {
    const [pairs] = flattenWithPath({ layers: [{ w: 1, b: 2 }], n: null });
    expect(pairs.map(([p, x]) => [keyPathToString(p), x])).toEqual([
      ["['layers'][0]['b']", 2],
      ["['layers'][0]['w']", 1],
    ]);
  });

  it('keyPathToString formats attr, string/number dict keys and indices', () => {
    expect(
      keyPathToString([
        { kind: 'attr', name: 'layers' },
        { kind: 'index', index: 0 },
        { kind: 'key', key: 'w' },
        { kind: 'key', key: 3 },
      ]),
    ).toBe(".layers[0]['w'][3]");
  });

  it('treedef equality and key ignore leaf values', () => {
    const a = structure({ x: [1, 2], y: null });
    const b = structure({ y: null, x: ['p', 'q'] });
    expect(a.equals(b)).toBe(true);
    expect(a.key).toBe(b.key);
    expect(a.equals(structure({ x: [1], y: null }))).toBe(false);
    expect(a.equals(structure({ x: [1, 2], y: undefined }))).toBe(false);
    expect(a.numNodes).toBe(5);
  });

  it('flattenUpTo returns subtrees at the prefix leaves and names mismatching paths', () => {
    expect(flattenUpTo(structure([0, { a: 0 }]), [{ deep: [1] }, { a: 2 }])).toEqual([{ deep: [1] }, 2]);
    expect(() => flattenUpTo(structure([0, { a: 0 }]), [1, { b: 2 }])).toThrow(/at '\[1\]'.*keys \[a\].*keys \[b\]/);
    expect(() => flattenUpTo(structure({ a: [0, 0] }), { a: [1] })).toThrow(TreeStructureError);
    expect(() => flattenUpTo(structure({ a: null }), { a: 1 })).toThrow(/at '\['a'\]': expected null/);
  });
});

const leafArb = fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.double({ noNaN: true }));
const { tree: treeArb } = fc.letrec<{ tree: unknown }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    fc.constant(null),
    fc.constant(undefined),
    fc.array(tie('tree'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 4 }), tie('tree'), { maxKeys: 4 }),
  ),
}));

describe('flatten properties', () => {
  it('unflatten(flatten(t)) deep-equals t', () => {
    fc.assert(
      fc.property(treeArb, (tree) => {
        const [xs, def] = flatten(tree);
        expect(unflatten(def, xs)).toStrictEqual(tree);
        expect(def.numLeaves).toBe(xs.length);
      }),
    );
  });

  it('structure is stable under re-flattening and leaves replaced one-for-one', () => {
    fc.assert(
      fc.property(treeArb, (tree) => {
        const [xs, def] = flatten(tree);
        const replaced = unflatten(def, xs.map((_, i) => i));
        const [ys, def2] = flatten(replaced);
        expect(ys).toEqual(xs.map((_, i) => i));
        expect(def2.equals(def)).toBe(true);
        expect(def2.key).toBe(def.key);
      }),
    );
  });

  it('flattenWithPath leaves equal flatten leaves and paths address them', () => {
    fc.assert(
      fc.property(treeArb, (tree) => {
        const [pairs, def] = flattenWithPath(tree);
        const [xs, def2] = flatten(tree);
        expect(pairs.map(([, x]) => x)).toEqual(xs);
        expect(def.equals(def2)).toBe(true);
        for (const [path, x] of pairs) {
          let node: unknown = tree;
          for (const entry of path) {
            if (entry.kind === 'index') node = (node as unknown[])[entry.index];
            else if (entry.kind === 'key') node = (node as Record<string | number, unknown>)[entry.key];
          }
          expect(node).toBe(x);
        }
      }),
    );
  });
});
