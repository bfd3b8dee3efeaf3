import * as tf from '@tensorflow/tfjs-core';

/**
 * Reads a tensor's data asynchronously and disposes the tensor: a number for a scalar, else the typed array.
 * The documented way to look at a loss in a training loop without leaking it.
 *
 * @example
 * ```ts
 * const loss = await read(trainStep(model, optimizer, x, y));
 * ```
 */
export async function read(x: tf.Scalar): Promise<number>;
export async function read(x: tf.Tensor): Promise<number | tf.TypedArray>;
export async function read(x: tf.Tensor): Promise<number | tf.TypedArray> {
  try {
    const data = (await x.data()) as tf.TypedArray;
    return x.rank === 0 ? data[0]! : data;
  } finally {
    x.dispose();
  }
}
