import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { ensureGradients } from '@nnx-ts/backend';

ensureGradients();
import { Module, Param, State, TransformError } from '@nnx-ts/module';
import { describe, expect, it } from 'vitest';
import { customVjp, grad } from '../src/index.js';
import { flatState } from './flatState.js';

describe('customVjp', () => {
  it('JAX docs example: f(x, y) = sin(x) * y with a hand-written backward pass', () => {
    const f = customVjp((x: tf.Tensor, y: tf.Tensor) => tf.mul(tf.sin(x), y));
    let bwdCalls = 0;
    f.defvjp(
      (x, y) => [tf.mul(tf.sin(x), y), [tf.cos(x), tf.sin(x), y]],
      ([cosX, sinX, y]: tf.Tensor[], g) => {
        bwdCalls++;
        return [tf.mul(tf.mul(cosX!, g), y!), tf.mul(sinX!, g)];
      },
    );
    const x = tf.scalar(0.5);
    const y = tf.scalar(2);
    const [gx, gy] = grad((a: tf.Tensor, b: tf.Tensor) => f(a, b), { argnums: [0, 1] })(x, y) as unknown as tf.Tensor[];
    expect(bwdCalls).toBe(1);
    expect(gx!.arraySync()).toBeCloseTo(Math.cos(0.5) * 2, 6);
    expect(gy!.arraySync()).toBeCloseTo(Math.sin(0.5), 6);
  });

  it('graph-node arguments get State tangents; the custom rule (not autodiff) produces the gradient', () => {
    class Scale extends Module {
      w = new Param(tf.tensor1d([1, 2, 3]));
    }
    const f = customVjp((m: Scale, x: tf.Tensor) => tf.sum(tf.mul(m.w.value, x)));
    // Deliberately 10x the true gradient with respect to w, to prove the rule is used.
    f.defvjp(
      (m, x) => [tf.sum(tf.mul(m.w.value, x)), [x, m.w.value]],
      ([x, w]: tf.Tensor[], g) => [new State({ w: new Param(tf.mul(tf.mul(x!, g), 10)) }), tf.mul(w!, g)],
    );
    const m = new Scale();
    const x = tf.tensor1d([4, 5, 6]);
    const before = tf.memory().numTensors;
    const g = grad((mm: Scale) => f(mm, x))(m);
    expect(Array.from((flatState(g).w!.value as tf.Tensor).dataSync())).toEqual([40, 50, 60]);
    expect(tf.memory().numTensors).toBe(before + 1);
  });

  it('requires defvjp and rejects graph nodes in nondiffArgnums', () => {
    const f = customVjp((x: tf.Tensor) => x);
    expect(() => f(tf.scalar(1))).toThrow(/defvjp/);
    class M extends Module {
      w = new Param(tf.scalar(1));
    }
    const g = customVjp((m: M) => m.w.value, { nondiffArgnums: [0] });
    g.defvjp((m) => [m.w.value, []], () => []);
    expect(() => g(new M())).toThrow(TransformError);
  });
});
