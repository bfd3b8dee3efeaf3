import * as tf from '@tensorflow/tfjs-core';
import { InPlaceCall, type FlattenCache } from '@nnx-ts/module';
import { assertNotPromise } from './asyncGuard.js';
import { collectTensors } from './tensorWalk.js';

/**
 * The lifting protocol of the transforms whose function sees the caller's own values (jit, grad, remat, cond,
 * switch, the while loops, customVjp): `body` runs on the caller's objects reachable from `roots` under an
 * {@link InPlaceCall} (closure-captured Variables are read-only; a throw rolls the roots back) inside one
 * `tf.tidy` scope whose survivors are exactly what the caller can reach afterwards (the roots' state and the
 * output). Everything else the body allocated is freed. `cache` lets a repeated call on an unchanged graph skip
 * the snapshot's flatten.
 */
export function runInPlace<R>(name: string, roots: readonly unknown[], body: () => R, cache?: FlattenCache): R {
  const call = InPlaceCall.begin(name, roots, cache);
  let out!: R;
  try {
    tf.tidy(() => {
      out = body();
      assertNotPromise(out, name);
      // With an unchanged graph every tensor the roots reach is a leaf: skip walking the modules.
      const survivors = collectTensors([cache?.unchangedLeaves(roots) ?? roots, out]);
      call.commit(survivors);
      return survivors;
    });
  } catch (error) {
    call.rollback();
    throw error;
  }
  return out;
}
