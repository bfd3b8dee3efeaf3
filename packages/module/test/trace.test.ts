import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BatchStat, InPlaceCall, Module, Param, TransformError, canWrite, closeTrace, currentTrace, graphdef, openTrace } from '../src/index.js';

class Block extends Module {
  w = new Param(tf.ones([2]));
  layers = [new Param(tf.zeros([1]))];
  mode = 'train';
}

describe('traces: who may write a Variable', () => {
  it('a Variable belongs to the trace it was created in; other levels get a TransformError naming the rule', () => {
    const outside = new Param(tf.zeros([2]));
    const trace = openTrace('myTransform');
    try {
      expect(currentTrace()).toBe(trace);
      const inside = new Param(tf.zeros([2]));
      expect(trace.created).toContain(inside);
      expect(canWrite(inside)).toBe(true);
      expect(canWrite(outside)).toBe(false);
      inside.value = tf.ones([2]);
      expect(() => (outside.value = tf.ones([2]))).toThrow(TransformError);
      expect(() => (outside.value = tf.ones([2]))).toThrow(/inside myTransform.*captured by closure|pass the Module/);
    } finally {
      closeTrace(trace);
    }
    expect(currentTrace()).toBeUndefined();
    expect(() => closeTrace(trace)).toThrow(TransformError);
  });

  it('pins the TF.js internal traces use: Engine.nextTensorId is the id the next tensor gets', () => {
    const next = (tf.engine().constructor as unknown as { nextTensorId: number }).nextTensorId;
    expect(typeof next).toBe('number');
    const t = tf.scalar(1);
    expect(t.id).toBe(next);
    const trace = openTrace('t');
    closeTrace(trace);
    expect(trace.createdTensor(t)).toBe(false);
    const u = tf.scalar(2);
    expect(trace.createdTensor(u)).toBe(true);
    tf.dispose([t, u]);
  });
});

describe('InPlaceCall', () => {
  it('rollback restores values, metadata, static attributes, structure and containers in place, and frees new tensors', () => {
    const b = new Block();
    const [w, layers, first] = [b.w.value, b.layers, b.layers[0]!];
    const before = graphdef(b);
    const numTensors = tf.memory().numTensors;
    const call = InPlaceCall.begin('test', [b]);
    b.w.value = tf.add(b.w.value, 1);
    b.w.value = tf.mul(b.w.value, 2); // the intermediate is freed at once; the original is kept for rollback
    b.w.metadata = { sharding_names: ['x'] };
    b.mode = 'eval';
    b.layers.push(new Param(tf.ones([3])));
    (b as unknown as { extra: BatchStat }).extra = new BatchStat(tf.zeros([4]));
    call.rollback();
    expect(b.w.value).toBe(w);
    expect(w.isDisposed).toBe(false);
    expect(b.w.metadata).toEqual({});
    expect(b.mode).toBe('train');
    expect(b.layers).toBe(layers);
    expect(b.layers).toEqual([first]);
    expect('extra' in b).toBe(false);
    expect(graphdef(b).equals(before)).toBe(true);
    expect(tf.memory().numTensors).toBe(numTensors);
    expect(currentTrace()).toBeUndefined();
    b.w.value = tf.zeros([2]); // writable again at the top level
  });

  it('commit frees the values the call replaced unless the caller still reaches them', () => {
    const b = new Block();
    const original = b.w.value;
    const call = InPlaceCall.begin('test', [b]);
    b.w.value = tf.add(b.w.value, 1);
    call.commit([]);
    expect(original.isDisposed).toBe(true);
    const kept = b.w.value;
    const again = InPlaceCall.begin('test', [b]);
    b.w.value = tf.add(b.w.value, 1);
    again.commit([kept]);
    expect(kept.isDisposed).toBe(false);
    kept.dispose();
  });
});
