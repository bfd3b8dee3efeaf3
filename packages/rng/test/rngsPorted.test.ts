// Ports of flax/tests/nnx/rngs_test.py (v0.11.2); see PORTED.md.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { foldIn, key, KeyArray, Rngs, RngStreamError } from '../src/index.js';

describe('TestRngs', () => {
  it('test_call', () => {
    expect(new Rngs(0).call()).toBeInstanceOf(KeyArray);
  });

  it('test_fallback', () => {
    expect(Array.from(new Rngs(0).dropout.call().data)).toEqual(Array.from(foldIn(key(0), 0).data));
  });

  it('test_fallback_error_no_default', () => {
    const rngs = new Rngs({ some_name: 0 });
    expect(() => rngs.dropout.call()).toThrow(RngStreamError);
    expect(() => rngs.dropout.call()).toThrow(/no RNG stream 'dropout'/);
  });

  it('test_rng_stream', () => {
    const key0 = key(0);
    const rngs = new Rngs({ params: key0 });
    expect(rngs.params.count.value.data[0]).toBe(0);
    const key1 = rngs.params.call();
    expect(rngs.params.count.value.data[0]).toBe(1);
    expect(Array.from(rngs.params.key.value.data)).toEqual(Array.from(key0.data));
    expect(Array.from(key1.data)).not.toEqual(Array.from(key0.data));
    const key2 = rngs.params.call();
    expect(rngs.params.count.value.data[0]).toBe(2);
    expect(Array.from(key2.data)).not.toEqual(Array.from(key1.data));
  });

  it('test_random_helpers', async () => {
    const rngs = new Rngs(0);
    const x1 = rngs.normal([2, 3]);
    const x2 = rngs.default.normal([2, 3]);
    expect(Array.from(await x1.data())).not.toEqual(Array.from(await x2.data()));
    tf.dispose([x1, x2]);
  });
});
