// The MLP trained on the UCI digits data, shared by `pnpm train` and the end-to-end tests.
import type * as tf from '@tensorflow/tfjs-core';
import { nnx } from 'nnx-ts';

/** Two Linear layers with a relu between them (Flax: the same `nnx.Module`). */
export class Mlp extends nnx.Module {
  linear1: nnx.Linear;
  linear2: nnx.Linear;
  constructor(din: number, dhidden: number, dout: number, { rngs }: { rngs: nnx.Rngs }) {
    super();
    this.linear1 = new nnx.Linear(din, dhidden, { rngs });
    this.linear2 = new nnx.Linear(dhidden, dout, { rngs });
  }
  call(x: tf.Tensor): tf.Tensor {
    return this.linear2.call(nnx.relu(this.linear1.call(x)));
  }
}
