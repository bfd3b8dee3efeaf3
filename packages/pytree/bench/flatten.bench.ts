import { bench, describe } from 'vitest';
import { flatten, unflatten } from '../src/index.js';

/** 10k leaves: 100 layers of { w: [50 leaves], b: [50 leaves] }, the shape of a mid-size model state. */
const tree = {
  layers: Array.from({ length: 100 }, (_, i) => ({
    w: Array.from({ length: 50 }, (_, j) => i * 100 + j),
    b: Array.from({ length: 50 }, (_, j) => -(i * 100 + j)),
  })),
};
const [xs, def] = flatten(tree);

describe('10k leaves', () => {
  bench('flatten', () => {
    flatten(tree);
  });
  bench('unflatten', () => {
    unflatten(def, xs);
  });
});
