import { describe, expect, it } from 'vitest';
import { flatten, unflatten } from '../src/index.js';

describe('performance', () => {
  it('flattens and unflattens 10k leaves in well under 10 ms (median of 20)', () => {
    const tree = {
      layers: Array.from({ length: 100 }, (_, i) => ({
        w: Array.from({ length: 50 }, (_, j) => i * 100 + j),
        b: Array.from({ length: 50 }, (_, j) => j),
      })),
    };
    const times: number[] = [];
    let numLeaves = 0;
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      const [xs, def] = flatten(tree);
      unflatten(def, xs);
      times.push(performance.now() - t0);
      numLeaves = xs.length;
    }
    times.sort((a, b) => a - b);
    expect(numLeaves).toBe(10_000);
    expect(times[10]).toBeLessThan(10);
  });
});
