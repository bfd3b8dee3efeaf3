import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { leaves } from '@nnx-ts/pytree';
import { describe, expect, it } from 'vitest';
import { InPlaceCall, Module, Param, TransformError, closeTrace, graphdef, markData, merge, openTrace, split } from '../src/index.js';

class Block extends Module {
  w = new Param(tf.ones([2]));
  mode = 'train';
  extra?: Param;
}

/** Runs `fn` inside a fresh trace named `name` and closes it whatever happens. */
function inTrace<T>(name: string, fn: () => T): T {
  const trace = openTrace(name);
  try {
    return fn();
  } finally {
    closeTrace(trace);
  }
}

describe('graph nodes captured by closure are read-only inside a trace', () => {
  it('assigning, adding and deleting attributes of an outside node is a TransformError naming the attribute and trace', () => {
    const outside = new Block();
    const before = graphdef(outside);
    const attempts: Array<[string, () => unknown]> = [
      ['mode', () => (outside.mode = 'eval')],
      ['extra', () => (outside.extra = new Param(tf.zeros([1])))],
      ['mode', () => delete (outside as Partial<Block>).mode],
      ['mode', () => Object.defineProperty(outside, 'mode', { value: 'x' })],
    ];
    inTrace('myTransform', () => {
      for (const [attribute, attempt] of attempts) {
        expect(attempt).toThrow(TransformError);
        expect(attempt).toThrow(`Cannot change attribute '${attribute}' of a Block inside myTransform`);
      }
    });
    expect(outside.mode).toBe('train');
    expect(outside.extra).toBeUndefined();
    expect(graphdef(outside).equals(before)).toBe(true);
    outside.mode = 'eval'; // the top level may write anything
    expect(outside.mode).toBe('eval');
  });

  it('reading an outside node, flattening it and tree functions over it stay allowed', () => {
    const outside = new Block();
    inTrace('t', () => {
      expect(outside.mode).toBe('train');
      expect(graphdef(outside).equals(graphdef(outside))).toBe(true);
      expect(leaves(outside)).toHaveLength(1); // pytree flatten records data names on the node: bookkeeping, allowed
      markData(outside, 'mode');
    });
  });

  it('nodes created in the trace (by a constructor or by merge) may change there and at every enclosing level', () => {
    const [def, state] = split(new Block());
    const outer = openTrace('outer');
    let built: Block;
    let merged: Block;
    try {
      [built, merged] = inTrace('inner', () => [new Block(), merge(def, state) as Block]);
      built.mode = 'outer may write what inner created';
      merged.mode = 'eval';
    } finally {
      closeTrace(outer);
    }
    built.mode = 'top';
    expect([built.mode, merged.mode]).toEqual(['top', 'eval']);
    // A node merged inside a trace is still a guarded node: a later transform that captures it cannot change it.
    inTrace('later', () => expect(() => (merged.mode = 'x')).toThrow(TransformError));
  });

  it('an InPlaceCall gives its argument nodes to its trace, and back when it ends', () => {
    const arg = new Block();
    const captured = new Block();
    const call = InPlaceCall.begin('call', [arg]);
    arg.mode = 'eval';
    expect(() => (captured.mode = 'eval')).toThrow(TransformError);
    call.commit([]);
    expect(arg.mode).toBe('eval');
    inTrace('next', () => expect(() => (arg.mode = 'x')).toThrow(TransformError));
  });

  it('a nested InPlaceCall cannot make writable a node its enclosing level may not change', () => {
    const captured = new Block();
    const outerArg = new Block();
    const outer = InPlaceCall.begin('outer', [outerArg]);
    const inner = InPlaceCall.begin('inner', [captured, outerArg]);
    expect(() => (captured.mode = 'eval')).toThrow(`Cannot change attribute 'mode' of a Block inside inner`);
    outerArg.mode = 'inner may write what outer received';
    inner.commit([]);
    outer.commit([]);
    expect([captured.mode, outerArg.mode]).toEqual(['train', 'inner may write what outer received']);
    // The calls' markers are not attributes, on the node that was claimed and on the one that was not.
    for (const node of [captured, outerArg]) {
      expect(Object.getOwnPropertySymbols(node).some((k) => Object.prototype.propertyIsEnumerable.call(node, k))).toBe(false);
      expect({ ...node }).toEqual({ w: node.w, mode: node.mode });
    }
  });

  it('the guard is transparent: `this` is the object `new` returned, and the markers are not attributes', () => {
    const seen: object[] = [];
    class Self extends Module {
      constructor() {
        super();
        seen.push(this);
      }
      self(): this {
        return this;
      }
    }
    const s = new Self();
    expect(seen).toEqual([s]);
    expect(seen[0]).toBe(s);
    expect(s.self()).toBe(s);
    expect(Object.keys(s)).toEqual([]);
    expect(Object.getOwnPropertySymbols(s).every((k) => !Object.prototype.propertyIsEnumerable.call(s, k))).toBe(true);
  });
});
