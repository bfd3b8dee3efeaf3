import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { BatchStat, Module, Param, TransformError, graphdef } from '@nnx-ts/module';
import { describe, expect, it } from 'vitest';
import { Carry, cond, foriLoop, jit, remat, scan, valueAndGrad, vmap } from '../src/index.js';
import { flatState } from './flatState.js';

/**
 * The lifting protocol (reference §3.1) seen from the caller, for every transform: what the function does to the
 * objects it receives shows on the caller's objects; outputs that are inputs are identical; closure-captured
 * Variables are read-only; a throw leaves the caller's objects as they were and frees what the call allocated.
 */
class Block extends Module {
  w: Param<tf.Tensor>;
  count: BatchStat<tf.Tensor>;
  mode = 'train';
  extra?: BatchStat<tf.Tensor>;
  constructor(w: tf.Tensor, count: tf.Tensor) {
    super();
    this.w = new Param(w);
    this.count = new BatchStat(count);
  }
}

const stacked = (n: number) => new Block(tf.ones([n, 2]), tf.zeros([n]));
const single = () => new Block(tf.ones([2]), tf.scalar(0));

/** Changes value, static attribute and structure of `b`. */
function mutate(b: Block): Block {
  b.count.value = tf.add(b.count.value, 1);
  b.mode = 'eval';
  b.extra = new BatchStat(tf.mul(b.w.value, 3));
  return b;
}

interface Case {
  readonly name: string;
  readonly make: () => Block;
  /** Runs `body` on `b` through the transform and returns what it returned. */
  readonly run: (body: (b: Block) => Block, b: Block) => unknown;
  /** Shape of `extra` on the caller after {@link mutate}; undefined where the structure must not change (loops). */
  readonly extraShape?: number[];
}

const cases: Case[] = [
  { name: 'jit', make: single, run: (body, b) => jit(body)(b), extraShape: [2] },
  { name: 'vmap', make: () => stacked(3), run: (body, b) => vmap(body)(b), extraShape: [3, 2] },
  { name: 'scan (scanned)', make: () => stacked(3), run: (body, b) => scan(body, { inAxes: 0, outAxes: 0 })(b), extraShape: [3, 2] },
  { name: 'cond', make: single, run: (body, b) => cond(true, body, (x: Block) => x, b), extraShape: [2] },
  { name: 'foriLoop', make: single, run: (body, b) => foriLoop(0, 1, (_i, x: Block) => body(x), b) },
  {
    name: 'valueAndGrad',
    make: single,
    run: (body, b) => valueAndGrad((x: Block) => tf.sum(body(x).w.value))(b),
    extraShape: [2],
  },
  { name: 'remat', make: single, run: (body, b) => remat((x: Block) => tf.sum(body(x).w.value))(b), extraShape: [2] },
];

describe.each(cases)('lifting protocol: $name', ({ make, run, extraShape }) => {
  it('propagates Variable values, static attributes and new Variables to the caller', () => {
    const b = make();
    const count = b.count;
    if (extraShape === undefined) {
      // A loop body must keep the reference structure: the whole loop is rolled back.
      expect(() => run(mutate, b)).toThrow(/same reference and pytree structure/);
      expect([b.mode, b.extra, b.count.value.dataSync()[0]]).toEqual(['train', undefined, 0]);
      return;
    }
    run(mutate, b);
    expect(b.count).toBe(count);
    expect(Array.from(b.count.value.dataSync())).toEqual(new Array(b.count.value.size).fill(1));
    expect(b.mode).toBe('eval');
    expect(b.extra).toBeInstanceOf(BatchStat);
    expect(b.extra!.value.shape).toEqual(extraShape);
    expect(Array.from(b.extra!.value.dataSync())).toEqual(new Array(b.extra!.value.size).fill(3));
  });

  it('rolls the caller back and frees what the call allocated when the function throws', () => {
    const b = make();
    const [w, count] = [b.w.value, b.count.value];
    const before = graphdef(b);
    const numTensors = tf.memory().numTensors;
    expect(() =>
      run((x) => {
        mutate(x);
        x.w.value = tf.neg(x.w.value);
        throw new Error('boom');
      }, b),
    ).toThrow('boom');
    expect(b.w.value).toBe(w);
    expect(b.count.value).toBe(count);
    expect(w.isDisposed || count.isDisposed).toBe(false);
    expect(b.mode).toBe('train');
    expect(b.extra).toBeUndefined();
    expect(graphdef(b).equals(before)).toBe(true);
    expect(tf.memory().numTensors).toBe(numTensors);
  });

  it('makes Variables captured by closure read-only (TransformError) and leaves them unchanged', () => {
    const b = make();
    const captured = single();
    const value = captured.count.value;
    const attempt = () =>
      run((x) => {
        captured.count.value = tf.add(captured.count.value, 1);
        return x;
      }, b);
    expect(attempt).toThrow(TransformError);
    expect(attempt).toThrow(/captured by closure/);
    expect(captured.count.value).toBe(value);
    expect(value.isDisposed).toBe(false);
  });

  it('makes the attributes of a Module captured by closure read-only (assign, add, delete, sow) and leaves it unchanged', () => {
    const b = make();
    const captured = single();
    const before = graphdef(captured);
    const writes: Array<[string, (m: Block) => void]> = [
      ['mode', (m) => (m.mode = 'eval')],
      ['extra', (m) => (m.extra = new BatchStat(tf.zeros([2])))],
      ['count', (m) => delete (m as Partial<Block>).count],
      ['sown', (m) => m.sow(BatchStat, 'sown', 1)],
    ];
    for (const [attribute, write] of writes) {
      const numTensors = tf.memory().numTensors;
      const attempt = () =>
        run((x) => {
          write(captured);
          return x;
        }, b);
      expect(attempt).toThrow(TransformError);
      expect(attempt).toThrow(new RegExp(`Cannot change attribute '${attribute}' of a Block inside .*captured by closure`));
      expect(tf.memory().numTensors).toBe(numTensors);
    }
    expect(graphdef(captured).equals(before)).toBe(true);
    expect(captured.mode).toBe('train');
    // Reading it (and tree functions over it) stays allowed.
    let modeSeen: string | undefined;
    const read = () =>
      tf.tidy(() => {
        run((x) => {
          void graphdef(captured);
          modeSeen = captured.mode;
          return x;
        }, b);
      });
    expect(read).not.toThrow();
    expect(modeSeen).toBe('train');
  });
});

describe('lifting protocol: identity and references', () => {
  it('returns the identical caller objects for outputs that are inputs (jit, vmap, scan carry)', () => {
    const b = single();
    expect(jit((x: Block) => x)(b)).toBe(b);
    const s = stacked(4);
    expect(vmap((x: Block) => x)(s)).toBe(s);
    const carried = single();
    const out = scan((c: Block) => ((c.count.value = tf.add(c.count.value, 1)), c), { inAxes: Carry, outAxes: Carry, length: 3 })(carried);
    expect(carried.count.value.dataSync()[0]).toBe(3);
    expect(out).toBe(carried);
  });

  it('propagates swapped Variables: the caller sees its own Variable objects in their new places (jit, vmap)', () => {
    for (const [make, transform] of [
      [single, jit],
      [() => stacked(2), vmap],
    ] as const) {
      const b = make();
      const [w, count] = [b.w, b.count];
      (transform as typeof jit)((x: Block) => {
        const ww = x.w as unknown as BatchStat<tf.Tensor>;
        x.w = x.count as unknown as Param<tf.Tensor>;
        x.count = ww;
      })(b);
      expect(b.w).toBe(count);
      expect(b.count).toBe(w);
    }
  });

  it('deleting an attribute inside jit or vmap deletes it on the caller', () => {
    for (const [make, transform, extraShape] of [
      [single, jit, [2]],
      [() => stacked(3), vmap, [3, 2]],
    ] as const) {
      const b = make();
      b.extra = new BatchStat(tf.zeros([...extraShape]));
      b.mode = 'eval';
      const [w, count, extra] = [b.w, b.count, b.extra];
      const [wValue, countValue] = [w.value, count.value];
      const before = graphdef(b);
      const numTensors = tf.memory().numTensors;
      (transform as typeof jit)((x: Block) => {
        delete x.extra;
        delete (x as Partial<Block>).mode;
      })(b);
      expect('extra' in b).toBe(false);
      expect(b.extra).toBeUndefined();
      expect('mode' in b).toBe(false);
      expect(Object.keys(flatState(b)).sort()).toEqual(['count', 'w']);
      expect(graphdef(b).equals(before)).toBe(false);
      // The rest is untouched: same Variables, same tensors; nothing new stays allocated.
      expect(b.w).toBe(w);
      expect(b.count).toBe(count);
      expect(b.w.value).toBe(wValue);
      expect(b.count.value).toBe(countValue);
      expect(tf.memory().numTensors).toBe(numTensors);
      // The detached Variable still owns its tensor (Variables keep their values).
      expect(extra.value.isDisposed).toBe(false);
    }
  });

  it('vmap: a new Variable under a null axis must be equal across replicas; scan: a carry may not gain Variables', () => {
    const b = stacked(2);
    const f = vmap((x: Block) => mutate(x), { inAxes: null, axisSize: 2 });
    expect(() => f(b)).toThrow(TransformError);
    expect(b.extra).toBeUndefined();
    const grow = scan((c: Block) => mutate(c), { inAxes: Carry, outAxes: Carry, length: 2 });
    const carried = single();
    expect(() => grow(carried)).toThrow(TransformError);
    expect(carried.extra).toBeUndefined();
  });

  it('a nested transform may not change state the enclosing function captured by closure', () => {
    const model = single();
    const opt = single();
    const step = jit((m: Block) =>
      valueAndGrad((mm: Block) => {
        opt.count.value = tf.add(opt.count.value, 1);
        return tf.sum(mm.w.value);
      })(m),
    );
    expect(() => step(model)).toThrow(TransformError);
    // Passing the captured object on as an argument of the inner transform does not make it writable there.
    const count = opt.count.value;
    const passedOn = jit((m: Block) => {
      valueAndGrad((o: Block) => {
        o.count.value = tf.add(o.count.value, 1);
        return tf.sum(o.w.value);
      })(opt);
      return m;
    });
    expect(() => passedOn(model)).toThrow(/captured by closure/);
    expect(opt.count.value).toBe(count);
    expect(count.isDisposed).toBe(false);
    const ok = jit((m: Block, o: Block) => {
      const [loss] = valueAndGrad((mm: Block) => tf.sum(mm.w.value))(m);
      o.count.value = tf.add(o.count.value, 1);
      return loss;
    });
    ok(model, opt);
    expect(opt.count.value.dataSync()[0]).toBe(1);
  });

  it('a nested transform may not change the attributes of a Module the enclosing function captured, even as its argument', () => {
    const model = single();
    const opt = single();
    const passedOn = jit((m: Block) => {
      jit((o: Block) => {
        o.mode = 'eval';
      })(opt);
      return m;
    });
    expect(() => passedOn(model)).toThrow(/Cannot change attribute 'mode' of a Block inside jit/);
    expect(opt.mode).toBe('train');
    const passedThrough = jit((m: Block, o: Block) => {
      jit((oo: Block) => {
        oo.mode = 'eval';
      })(o);
      return m;
    });
    passedThrough(model, opt);
    expect(opt.mode).toBe('eval');
  });

  it('Modules created inside a transform may change there, and stay changeable by the caller afterwards', () => {
    const made = jit(() => {
      const m = single();
      m.mode = 'eval';
      jit((inner: Block) => (inner.mode = 'inner'))(m);
      return m;
    })();
    expect(made.mode).toBe('inner');
    made.mode = 'top';
    expect(made.mode).toBe('top');
  });
});
