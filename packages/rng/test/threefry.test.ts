import { describe, expect, it } from 'vitest';
import { threefryPair, threefryWords } from '../src/index.js';

describe('threefry2x32', () => {
  it('matches the Random123 known-answer vectors', () => {
    expect(threefryPair(0, 0, 0, 0)).toEqual([0x6b200159, 0x99ba4efe]);
    expect(threefryPair(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff)).toEqual([0x1cb996fc, 0xbb002be7]);
    expect(threefryPair(0x13198a2e, 0x03707344, 0x243f6a88, 0x85a308d3)).toEqual([0xc4923a9c, 0x483df7a0]);
  });

  it('pairs word j with word j + n/2 and pads odd lengths (JAX threefry_2x32)', () => {
    const [a0, a1] = threefryPair(0, 0, 0, 2);
    const [b0, b1] = threefryPair(0, 0, 1, 0);
    expect(Array.from(threefryWords(0, 0, Uint32Array.of(0, 1, 2)))).toEqual([a0, b0, a1]);
    expect(b1).toBeTypeOf('number');
  });
});
