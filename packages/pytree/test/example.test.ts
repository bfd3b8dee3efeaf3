import { expect, it } from 'vitest';
import { flatten, flattenWithPath, keyPathToString, map, mapN, registerNode, unflatten } from '../src/index.js';

// The README example, with its printed values asserted.
it('README example', () => {
  const params = { layers: [{ w: 1, b: 2 }], scale: null };
  const [leaves, treedef] = flatten(params);
  expect(leaves).toEqual([2, 1]);
  expect(treedef.toString()).toBe('TreeDef({layers: [{b: *, w: *}], scale: null})');
  expect(unflatten(treedef, [20, 10])).toEqual({ layers: [{ b: 20, w: 10 }], scale: null });

  const [pairs] = flattenWithPath(params);
  expect(pairs.map(([path, x]) => `${keyPathToString(path)}=${String(x)}`)).toEqual(["['layers'][0]['b']=2", "['layers'][0]['w']=1"]);

  expect(map((x: number) => x * 10, params)).toEqual({ layers: [{ b: 20, w: 10 }], scale: null });
  expect(mapN((p: number, g: number) => p - 0.5 * g, [params, { layers: [{ w: 2, b: 4 }], scale: null }])).toEqual({
    layers: [{ b: 0, w: 0 }],
    scale: null,
  });

  class Point {
    constructor(
      readonly x: unknown,
      readonly y: unknown,
    ) {}
  }
  registerNode(
    (v): v is Point => v instanceof Point,
    {
      flatten: (p) => ({
        children: [p.x, p.y],
        keys: [
          { kind: 'attr', name: 'x' },
          { kind: 'attr', name: 'y' },
        ],
        aux: null,
      }),
      unflatten: (_aux, [x, y]) => new Point(x, y),
    },
    'example.Point',
  );
  expect(keyPathToString(flattenWithPath([new Point(1, 2)])[0][1]![0])).toBe('[0].y');
});
