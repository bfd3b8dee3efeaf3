import { describe, expect, it } from 'vitest';
import {
  flattenWithPath,
  keyPathToString,
  leaves,
  map,
  mapN,
  registerNode,
  registeredNodeNames,
  structure,
  TreeStructureError,
  unflatten,
} from '../src/index.js';

const BRAND = Symbol.for('nnx-ts.test.Point');

class Point {
  readonly [BRAND] = true;
  constructor(
    readonly x: unknown,
    readonly y: unknown,
    readonly label: string,
  ) {}
}

registerNode(
  (v): v is Point => typeof v === 'object' && v !== null && BRAND in v,
  {
    flatten: (p) => ({
      children: [p.x, p.y],
      keys: [
        { kind: 'attr', name: 'x' },
        { kind: 'attr', name: 'y' },
      ],
      aux: p.label,
    }),
    unflatten: (label, [x, y]) => new Point(x, y, label as string),
  },
  'test.Point',
);

describe('registerNode', () => {
  it('flattens registered nodes with their keys and aux', () => {
    const tree = { p: new Point(1, [2, 3], 'a') };
    const [pairs, def] = flattenWithPath(tree);
    expect(pairs.map(([path, v]) => [keyPathToString(path), v])).toEqual([
      ["['p'].x", 1],
      ["['p'].y[0]", 2],
      ["['p'].y[1]", 3],
    ]);
    expect(def.toString()).toBe('TreeDef({p: test.Point<"a">(*, [*, *])})');
    const rebuilt = unflatten<{ p: Point }>(def, [10, 20, 30]);
    expect(rebuilt.p).toBeInstanceOf(Point);
    expect(rebuilt.p.label).toBe('a');
    expect(rebuilt.p.y).toEqual([20, 30]);
  });

  it('matches by brand predicate, so an object made elsewhere with the brand is a node', () => {
    const foreign = { [BRAND]: true, x: 1, y: 2, label: 'f' };
    expect(leaves([foreign])).toEqual([1, 2]);
  });

  it('includes aux in structure equality', () => {
    expect(structure(new Point(1, 2, 'a')).equals(structure(new Point(5, 6, 'a')))).toBe(true);
    expect(structure(new Point(1, 2, 'a')).equals(structure(new Point(1, 2, 'b')))).toBe(false);
  });

  it('maps through registered nodes and checks them in mapN', () => {
    const out = map((v: number) => v + 1, new Point(1, 2, 'a'));
    expect(out).toBeInstanceOf(Point);
    expect([out.x, out.y]).toEqual([2, 3]);
    expect(() => mapN((a: number, b: number) => a + b, [new Point(1, 2, 'a'), new Point(1, 2, 'b')])).toThrow(TreeStructureError);
    expect(() => mapN((a: number, b: number) => a + b, [new Point(1, 2, 'a'), [1, 2]])).toThrow(/expected a 'test.Point' node/);
  });

  it('keeps the registry on globalThis so separate copies share it, and re-registering a name replaces it', () => {
    const registry = (globalThis as Record<symbol, { entries: Array<{ name: string }> }>)[Symbol.for('nnx-ts.pytree.registry')];
    expect(registry?.entries.map((e) => e.name)).toContain('test.Point');
    const before = registeredNodeNames().length;
    registerNode(
      (v): v is Point => v instanceof Point,
      {
        flatten: (p) => ({ children: [p.x], keys: [{ kind: 'attr', name: 'x' }], aux: p.label }),
        unflatten: (label, [x]) => new Point(x, 0, label as string),
      },
      'test.Point',
    );
    expect(registeredNodeNames().length).toBe(before);
    expect(leaves(new Point(1, 2, 'a'))).toEqual([1]);
  });

  it('rejects a node type whose keys and children disagree', () => {
    class Bad {}
    registerNode((v): v is Bad => v instanceof Bad, { flatten: () => ({ children: [1], keys: [], aux: null }), unflatten: () => new Bad() }, 'test.Bad');
    expect(() => leaves(new Bad())).toThrow(/1 children but 0 keys/);
  });
});
