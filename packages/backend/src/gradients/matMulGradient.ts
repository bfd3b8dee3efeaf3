import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, Tensor } from '@tensorflow/tfjs-core';
import { reduceToShape } from './broadcast.js';

/** Swaps the last two axes. Why explicit: TF.js' wasm matMul with transpose flags is ~10x slower than transpose + matMul. */
function swapLast(t: Tensor): Tensor {
  const perm = Array.from({ length: t.rank }, (_, i) => i);
  perm[t.rank - 1] = t.rank - 2;
  perm[t.rank - 2] = t.rank - 1;
  return tf.transpose(t, perm);
}

/**
 * `BatchMatMul` (`tf.matMul`): with op(a) = a or aᵀ per `transposeA`, y = op(a) · op(b), so
 * d op(a) = dy · op(b)ᵀ and d op(b) = op(a)ᵀ · dy; transposing back gives the input gradients, and batch axes that
 * were broadcast are summed out.
 */
export const matMulGradient: GradConfig = {
  kernelName: 'BatchMatMul',
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, s, attrs) => {
    const g = Array.isArray(dy) ? (dy[0] as Tensor) : dy;
    const a = s[0] as Tensor;
    const b = s[1] as Tensor;
    const transposeA = attrs['transposeA'] === true;
    const transposeB = attrs['transposeB'] === true;
    const opA = () => (transposeA ? swapLast(a) : a);
    const opB = () => (transposeB ? swapLast(b) : b);
    return {
      a: () => {
        const dOpA = tf.matMul(g, swapLast(opB()));
        return reduceToShape(transposeA ? swapLast(dOpA) : dOpA, a.shape);
      },
      b: () => {
        const dOpB = tf.matMul(swapLast(opA()), g);
        return reduceToShape(transposeB ? swapLast(dOpB) : dOpB, b.shape);
      },
    };
  },
};
