import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { ensureGradients } from '@nnx-ts/backend';

ensureGradients();
import { describe, expect, it } from 'vitest';
import { adoptKeptTensors, disposeTapeSince, tapeLength } from '../src/engineScope.js';

// Pins the TF.js engine behaviour valueAndGrad relies on: a tensor kept inside the engine's `forward` scope
// survives it, and after adoptKeptTensors the enclosing tidy manages it again (frees it when not returned).
describe('adoptKeptTensors (TF.js engine internals pin)', () => {
  it('hands a kept tensor to the enclosing tidy scope, which frees it when unreachable', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      let kept: tf.Tensor | undefined;
      tf.tidy(() => {
        kept = tf.keep(tf.ones([3]));
        return undefined;
      });
      expect(kept!.isDisposed).toBe(false);
      adoptKeptTensors([kept!]);
      expect(kept!.kept).toBe(false);
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('lets the enclosing tidy return an adopted tensor to its caller', () => {
    const before = tf.memory().numTensors;
    const out = tf.tidy(() => {
      let kept: tf.Tensor | undefined;
      tf.tidy(() => {
        kept = tf.keep(tf.fill([2], 7));
      });
      adoptKeptTensors([kept!]);
      return kept!;
    });
    expect(out.isDisposed).toBe(false);
    expect(Array.from(out.dataSync())).toEqual([7, 7]);
    // A tensor returned from an inner tidy is tracked by the outer one: the outermost scope does not free it.
    tf.tidy(() => {
      tf.tidy(() => out);
    });
    expect(out.isDisposed).toBe(false);
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('engine.gradients runs the function in a forward tidy scope that frees unkept tensors', () => {
    const x = tf.scalar(2);
    let side: tf.Tensor | undefined;
    const { value, grads } = tf.engine().gradients(() => {
      side = tf.mul(x, 3);
      return tf.square(x) as tf.Scalar;
    }, [x], undefined, true);
    expect(side!.isDisposed).toBe(true);
    expect(value.arraySync()).toBe(4);
    expect((grads[0] as tf.Tensor).arraySync()).toBe(4);
    tf.dispose([x, value, ...grads]);
  });

  it('a forward pass that throws inside engine.gradients leaves saved tensors on the tape; disposeTapeSince frees them', () => {
    const x = tf.scalar(2);
    const before = tf.memory().numTensors;
    const attempt = (cleanUp: boolean) => () =>
      tf.engine().gradients(() => {
        const start = tapeLength();
        try {
          tf.square(tf.mul(x, 3)); // mul and square save their inputs on the tape (kept clones)
          expect(tapeLength()).toBeGreaterThan(start);
          throw new Error('boom');
        } catch (error) {
          if (cleanUp) disposeTapeSince(start);
          throw error;
        }
      }, [x]);
    expect(attempt(false)).toThrow('boom');
    const leaked = tf.memory().numTensors - before;
    expect(leaked).toBeGreaterThan(0); // TF.js itself leaks them: if this changes, disposeTapeSince may be unneeded
    const afterLeak = tf.memory().numTensors;
    expect(attempt(true)).toThrow('boom');
    expect(tf.memory().numTensors).toBe(afterLeak);
    x.dispose();
  });
});
