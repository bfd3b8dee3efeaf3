import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { HOST_ARRAY, Module, RngCount, RngKey, TransformError, type HostArray } from '@nnx-ts/module';
import { describe, expect, it } from 'vitest';
import { Carry, StateAxes, scan, vmap } from '../src/index.js';
import { sliceHost, stackHost } from '../src/hostArrays.js';

/** Test stand-ins for @nnx-ts/rng's HostUint32Array / KeyArray: words on the host, built from (shape, data). */
class Words implements HostArray {
  readonly [HOST_ARRAY] = true as const;
  readonly dtype: string = 'uint32';
  constructor(
    readonly shape: readonly number[],
    readonly data: Uint32Array,
  ) {}
  clone(): Words {
    return new (this.constructor as typeof Words)(this.shape, this.data.slice());
  }
}
class Keys extends Words {
  override readonly dtype: string = 'key<fry>';
}

class Stream extends Module {
  key: RngKey<Words>;
  count: RngCount<Words>;
  constructor(key: Words, count: Words) {
    super();
    this.key = new RngKey(key, { tag: 'dropout' });
    this.count = new RngCount(count, { tag: 'dropout' });
  }
  /** Consumes one count in place, like an RNG stream, and returns a tensor derived from key and count. */
  next(): tf.Tensor {
    const c = this.count.value.data[0]!;
    this.count.value.data[0] = c + 1;
    return tf.scalar(this.key.value.data[1]! * 100 + c);
  }
}

describe('host arrays (RNG keys/counts) under vmap', () => {
  it('slices and stacks words, key arrays keeping their trailing pair', () => {
    const keys = new Keys([3], Uint32Array.from([0, 10, 0, 11, 0, 12]));
    expect(Array.from(sliceHost(keys, 0, 1, 't').data)).toEqual([0, 11]);
    expect(sliceHost(keys, 0, 1, 't').shape).toEqual([]);
    expect(sliceHost(keys, 0, 1, 't')).toBeInstanceOf(Keys);
    expect(sliceHost(keys, 0, 1, 't').dtype).toBe('key<fry>');
    const grid = new Words([2, 3], Uint32Array.from([0, 1, 2, 3, 4, 5]));
    expect(Array.from(sliceHost(grid, 1, 2, 't').data)).toEqual([2, 5]);
    const restacked = stackHost([0, 1, 2].map((i) => sliceHost(grid, 1, i, 't')), 1, 't');
    expect(restacked.shape).toEqual([2, 3]);
    expect(Array.from(restacked.data)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('maps stacked RNG state per replica; counts advance per replica and come back stacked', () => {
    const s = new Stream(new Keys([3], Uint32Array.from([0, 1, 0, 2, 0, 3])), new Words([3], Uint32Array.from([0, 5, 7])));
    const ys = vmap((st: Stream) => st.next())(s);
    expect(ys.arraySync()).toEqual([100, 205, 307]);
    expect(Array.from(s.count.value.data)).toEqual([1, 6, 8]);
    expect(s.key.value.shape).toEqual([3]);
  });

  it('broadcast (null) RNG state advanced identically is written back; advanced differently is a TransformError', () => {
    const s = new Stream(new Keys([], Uint32Array.from([0, 4])), new Words([], Uint32Array.from([0])));
    const same = vmap((st: Stream, x: tf.Tensor) => tf.add(st.next(), x), { inAxes: [null, 0] });
    expect(same(s, tf.tensor1d([0, 1])).arraySync()).toEqual([400, 401]);
    expect(Array.from(s.count.value.data)).toEqual([1]);
    const differently = vmap(
      (st: Stream, x: tf.Tensor) => {
        st.count.value.data[0] = 10 + x.dataSync()[0]!; // replicas write different counts
        return x;
      },
      { inAxes: [new StateAxes([['...', null]]), 0] },
    );
    expect(() => differently(s, tf.tensor1d([0, 1]))).toThrow(TransformError);
    expect(Array.from(s.count.value.data)).toEqual([1]);
  });

  it('builds stacked RNG state: host arrays of modules created per replica gain the axis', () => {
    const make = vmap((seed: tf.Tensor) => {
      void seed;
      return new Stream(new Keys([], Uint32Array.from([0, 9])), new Words([], Uint32Array.from([0])));
    });
    const stacked = make(tf.tensor1d([1, 2, 3, 4]));
    expect(stacked.key.value.shape).toEqual([4]);
    expect(Array.from(stacked.key.value.data)).toEqual([0, 9, 0, 9, 0, 9, 0, 9]);
    expect(stacked.count.value.shape).toEqual([4]);
  });
});

describe('host arrays (RNG keys/counts) under scan', () => {
  it('scanned streams advance per step and restack; broadcast streams give the same key every step (test_scan_broadcast_keys)', () => {
    const scanned = new Stream(new Keys([3], Uint32Array.from([0, 1, 0, 2, 0, 3])), new Words([3], Uint32Array.from([0, 0, 0])));
    const ys = scan((st: Stream) => st.next(), { inAxes: 0, outAxes: 0 })(scanned);
    expect(ys.arraySync()).toEqual([100, 200, 300]);
    expect(Array.from(scanned.count.value.data)).toEqual([1, 1, 1]);

    const broadcast = new Stream(new Keys([], Uint32Array.from([0, 7])), new Words([], Uint32Array.from([2])));
    const zs = scan((st: Stream, x: tf.Tensor) => tf.add(st.next(), x), { inAxes: [null, 0], outAxes: 0 })(broadcast, tf.zeros([4]));
    expect(zs.arraySync()).toEqual([702, 702, 702, 702]);
    expect(Array.from(broadcast.count.value.data)).toEqual([2]);

    const carried = new Stream(new Keys([], Uint32Array.from([0, 5])), new Words([], Uint32Array.from([0])));
    const loop = scan(
      (st: Stream) => {
        const y = st.next();
        return [st, y];
      },
      { inAxes: Carry, outAxes: [Carry, 0], length: 3 },
    );
    const [out, ws] = loop(carried) as unknown as [Stream, tf.Tensor];
    expect(out).toBe(carried);
    expect(ws.arraySync()).toEqual([500, 501, 502]);
    expect(Array.from(carried.count.value.data)).toEqual([3]);
  });
});
