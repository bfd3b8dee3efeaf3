/**
 * Marker for `scan`'s carry (NNX `nnx.Carry`): at most one, at the top level of `inAxes`/`outAxes`, or inside a
 * `StateAxes`.
 *
 * @example
 * ```ts
 * const forward = scan((layer: Block, x: tf.Tensor) => layer.call(x), { inAxes: [0, Carry], outAxes: Carry });
 * ```
 */
export const Carry: unique symbol = Symbol.for('nnx-ts.Carry') as any;
/**
 * Type of the {@link Carry} marker.
 *
 * @example
 * ```ts
 * const c: CarryMarker = Carry;
 * ```
 */
export type CarryMarker = typeof Carry;
