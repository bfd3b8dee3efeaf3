import { describe, expect, it } from 'vitest';
import { keyPathToString, map, mapN, mapWithPath, mapWithPathN, TreeStructureError } from '../src/index.js';

describe('map', () => {
  it('maps every leaf and keeps null/undefined', () => {
    expect(map((x: number) => x * 2, { a: 1, b: [2, null], c: undefined })).toEqual({ a: 2, b: [4, null], c: undefined });
  });

  it('passes isLeaf as the third argument', () => {
    expect(map((x: unknown) => (Array.isArray(x) ? x.length : x), [[1, 2], 3], { isLeaf: Array.isArray })).toBe(2);
    expect(map((x: unknown) => (Array.isArray(x) ? x.length : x), { a: [1, 2], b: 3 }, { isLeaf: Array.isArray })).toEqual({ a: 2, b: 3 });
  });

  it('rejects a second tree in the options position', () => {
    expect(() => map((x: number) => x, { a: 1 }, { a: 2 } as never)).toThrow(/mapN/);
  });

  it('mapWithPath gives paths', () => {
    expect(mapWithPath((p, x: number) => `${keyPathToString(p)}=${x}`, { a: [1] })).toEqual({ a: ["['a'][0]=1"] });
  });
});

describe('mapN', () => {
  it('maps several trees leaf-wise', () => {
    expect(mapN((a: number, b: number, c: number) => a + b + c, [{ w: 1, b: [2] }, { w: 10, b: [20] }, { w: 100, b: [200] }])).toEqual({
      w: 111,
      b: [222],
    });
  });

  it('lets later trees hold subtrees where the first has leaves (prefix semantics)', () => {
    expect(mapN((a: number, b: unknown) => [a, b], [[1, 2], [{ x: 1 }, [3]]])).toEqual([
      [1, { x: 1 }],
      [2, [3]],
    ]);
  });

  it('throws TreeStructureError naming the mismatching path', () => {
    expect(() => mapN((a: number, b: number) => a + b, [{ a: [1, 2] }, { a: [1] }])).toThrow(TreeStructureError);
    expect(() => mapN((a: number, b: number) => a + b, [{ a: [1, 2] }, { a: [1] }])).toThrow(/'\['a'\]'.*length 2.*length 1/);
  });

  it('mapWithPathN passes paths of the first tree', () => {
    expect(mapWithPathN((p, a: number, b: number) => `${keyPathToString(p)}:${a * b}`, [[1, 2], [3, 4]])).toEqual(['[0]:3', '[1]:8']);
  });

  it('honours isLeaf', () => {
    const isSingleton = (x: unknown): boolean => Array.isArray(x) && x.length === 1;
    expect(mapN((a: unknown, b: number) => [a, b], [[[1], [2]], [5, 6]], { isLeaf: isSingleton })).toEqual([
      [[1], 5],
      [[2], 6],
    ]);
  });
});
