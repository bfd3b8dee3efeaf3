import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { ensureGradients } from '@nnx-ts/backend';

ensureGradients();
import { Module, Param } from '@nnx-ts/module';
import { describe, expect, it } from 'vitest';
import { remat, valueAndGrad } from '../src/index.js';
import { restoreActiveTape, saveActiveTape } from '../src/engineScope.js';
import { flatState } from './flatState.js';

class Block extends Module {
  kernel: Param<tf.Tensor>;
  constructor(width: number, seed: number) {
    super();
    this.kernel = new Param(tf.randomNormal([width, width], 0, 1 / Math.sqrt(width), 'float32', seed));
  }
  call(x: tf.Tensor): tf.Tensor {
    return tf.tanh(tf.sigmoid(tf.matMul(x, this.kernel.value)));
  }
}

class Deep extends Module {
  blocks: Block[];
  constructor(
    depth: number,
    width: number,
    readonly checkpoint: boolean,
  ) {
    super();
    // Seeds from 1: TF.js treats seed 0 as "no seed".
    this.blocks = Array.from({ length: depth }, (_, i) => new Block(width, i + 1));
  }
  call(x: tf.Tensor): tf.Tensor {
    const step = this.checkpoint ? remat((b: Block, h: tf.Tensor) => b.call(h)) : (b: Block, h: tf.Tensor) => b.call(h);
    for (const b of this.blocks) x = step(b, x);
    return x;
  }
}

describe('remat', () => {
  it('gives the same gradients as the plain model while holding fewer bytes for the backward pass', () => {
    const x = tf.randomNormal([64, 64], 0, 1, 'float32', 42);
    // Bytes alive when the forward pass ends: the activations the tape keeps for the backward pass.
    const held: number[] = [];
    const loss = (m: Deep) => {
      const out = tf.sum(m.call(x));
      held.push(tf.memory().numBytes);
      return out;
    };
    const plain = new Deep(8, 64, false);
    const checkpointed = new Deep(8, 64, true);
    const base = tf.memory().numBytes;
    const [, gPlain] = valueAndGrad(loss)(plain);
    const [, gRemat] = valueAndGrad(loss)(checkpointed);
    const a = flatState(gPlain);
    const b = flatState(gRemat);
    expect(Object.keys(b)).toEqual(Object.keys(a));
    for (const k of Object.keys(a)) {
      expect(Array.from((b[k]!.value as tf.Tensor).dataSync())).toEqual(Array.from((a[k]!.value as tf.Tensor).dataSync()));
    }
    const plainHeld = held[0]! - base;
    const rematHeld = held[1]! - base - 8 * 64 * 64 * 4; // the plain run's grads are alive during the second run
    expect(rematHeld).toBeLessThan(plainHeld / 2);
  });

  it('lowers the tf.profile peak bytes of a gradient step on a deep MLP (8 blocks of 64x64)', async () => {
    const x = tf.randomNormal([64, 64], 0, 1, 'float32', 42);
    const loss = (m: Deep) => tf.sum(m.call(x));
    // Peak bytes above what was allocated before the step (tf.profile's peak counts every live tensor).
    const peakOfStep = async (m: Deep): Promise<number> => {
      const before = tf.memory().numBytes;
      const info = await tf.profile(() => {
        const [value, grads] = valueAndGrad(loss)(m);
        tf.dispose([value, ...Object.values(flatState(grads)).map((v) => v.value as tf.Tensor)]);
      });
      return info.peakBytes - before;
    };
    const plain = new Deep(8, 64, false);
    const checkpointed = new Deep(8, 64, true);
    const plainPeak = await peakOfStep(plain);
    const rematPeak = await peakOfStep(checkpointed);
    expect(rematPeak).toBeLessThan(0.75 * plainPeak);
    tf.dispose([x, ...[plain, checkpointed].flatMap((m) => m.blocks.map((b) => b.kernel.value))]);
  });

  it('is a no-op wrapper outside differentiation and frees intermediates', () => {
    const b = new Block(4, 1);
    const f = remat((blk: Block, h: tf.Tensor) => blk.call(h));
    const x = tf.ones([2, 4]);
    const before = tf.memory().numTensors;
    const y = f(b, x);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(Array.from(y.dataSync())).toEqual(Array.from(b.call(x).dataSync()));
  });

  it('pins the TF.js internal it relies on: the engine exposes the active tape during differentiation', () => {
    const x = tf.scalar(3);
    let tape: unknown;
    tf.grads((v: tf.Tensor) => {
      tape = saveActiveTape();
      return tf.square(v);
    })([x]);
    expect(Array.isArray(tape)).toBe(true);
    expect(saveActiveTape()).toBe(null);
  });

  it('pins the TF.js behaviour remat works around: tf.grads inside a gradient function leaves the active tape null', () => {
    // remat's backward pass differentiates the recomputed block inside a customGrad gradient function, while an
    // enclosing tf.grads may still be recording; TF.js ends that nested differentiation with no active tape.
    const x = tf.scalar(3);
    const seen: unknown[] = [];
    const block = tf.customGrad((...inputs: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [v, save] = inputs as [tf.Tensor, tf.GradSaveFunc];
      save([v]);
      return {
        value: tf.square(v),
        gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => {
          seen.push(saveActiveTape());
          const [dv] = tf.grads((w: tf.Tensor) => tf.square(w))([saved!]);
          seen.push(saveActiveTape());
          restoreActiveTape(seen[0]); // without this the outer backward pass reads the null tape and crashes
          return [tf.mul(dy, dv!)];
        },
      };
    });
    const [dx] = tf.grads((v: tf.Tensor) => block(v) as tf.Tensor)([x]);
    expect(Array.isArray(seen[0])).toBe(true);
    expect(seen[1]).toBe(null);
    expect(dx!.dataSync()[0]).toBe(6);
    tf.dispose([x, dx!]);
  });
});
