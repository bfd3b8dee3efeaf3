import { Module } from './module.js';

/**
 * A layer of a {@link Sequential}: a function or a module with a `call` method.
 *
 * @example
 * ```ts
 * const layer: SequentialLayer = (x: tf.Tensor) => tf.relu(x);
 * ```
 */
export type SequentialLayer = ((x: any, ...rest: any[]) => any) | { call(x: any, ...rest: any[]): any };

/**
 * Applies its layers in order; the output of one is the input of the next (extra arguments go to the first
 * layer only).
 *
 * @example
 * ```ts
 * const mlp = new Sequential(new Linear(2, 8, { rngs }), relu, new Linear(8, 1, { rngs }));
 * const y = mlp.call(x);
 * ```
 */
export class Sequential extends Module {
  layers: SequentialLayer[];

  constructor(...layers: SequentialLayer[]) {
    super();
    this.layers = layers;
  }

  call(x: any, ...rest: any[]): any {
    let out = x;
    let args = rest;
    for (const layer of this.layers) {
      out = typeof layer === 'function' ? layer(out, ...args) : layer.call(out, ...args);
      args = [];
    }
    return out;
  }
}
