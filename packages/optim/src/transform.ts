import * as tf from '@tensorflow/tfjs-core';
import { treeLeaves, treeMap } from './tree.js';
import type { Tree } from './tree.js';

/**
 * An optax `GradientTransformation`: `init(params)` builds the state, `update(updates, state, params?)` returns the
 * transformed updates and the next state. Both are pure: inputs are never disposed; every returned tensor is new
 * (or an input passed through unchanged) and owned by the caller.
 *
 * @example
 * ```ts
 * const tx = adam(1e-3);
 * let state = tx.init(params);
 * const [updates, next] = tx.update(grads, state, params);
 * ```
 */
export interface GradientTransformation<S = any> {
  init(params: Tree): S;
  update(updates: Tree, state: S, params?: Tree): [Tree, S];
}

/** The state of a stateless transformation (contributes no leaves, like optax's `EmptyState`). */
export type EmptyState = Record<string, never>;

const empty = (): EmptyState => ({});

/** Runs `fn` in `tf.tidy`, keeping the tensors of the returned trees (tidy's typing knows no `null`s). */
function tidy<T>(fn: () => T): T {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as T;
}

/** A learning-rate schedule: the step count (int32 scalar, from 0) to a float32 scalar. */
export type Schedule = (count: tf.Scalar) => tf.Scalar;
/** A constant learning rate or a {@link Schedule}. */
export type ScalarOrSchedule = number | Schedule;

/** State of {@link scaleBySchedule}: its own step count. */
export interface ScaleByScheduleState {
  count: tf.Scalar;
}

/**
 * `optax.scale_by_schedule(fn)`: multiplies updates by `fn(count)`, its own count starting at 0.
 *
 * @example
 * ```ts
 * scaleBySchedule((count) => tf.mul(-0.1, tf.pow(0.5, tf.cast(count, 'float32'))) as tf.Scalar);
 * ```
 */
export function scaleBySchedule(schedule: Schedule): GradientTransformation<ScaleByScheduleState> {
  return {
    init: () => ({ count: tf.scalar(0, 'int32') }),
    update: (updates, state) =>
      tidy(() => {
        const factor = schedule(state.count);
        const out = treeMap((u) => tf.mul(u, tf.cast(factor, u.dtype)), updates);
        return [out, { count: tf.add(state.count, tf.scalar(1, 'int32')) as tf.Scalar }] as [Tree, ScaleByScheduleState];
      }),
  };
}

/**
 * `optax.scale(step)`: multiplies every update by `step` (cast to float32).
 *
 * @example
 * ```ts
 * const [u] = scale(-0.1).update(grads, {});
 * ```
 */
export function scale(step: number): GradientTransformation<EmptyState> {
  return {
    init: empty,
    update: (updates, state) => [tidy(() => treeMap((u) => tf.mul(u, tf.scalar(step, u.dtype)), updates)), state],
  };
}

/**
 * `optax.scale_by_learning_rate(lr)`: `scale(-lr)` (the minus sign taken in double precision before the cast), or
 * `scaleBySchedule(-lr(count))` for a schedule.
 *
 * @example
 * ```ts
 * scaleByLearningRate(0.1);
 * ```
 */
export function scaleByLearningRate(learningRate: ScalarOrSchedule): GradientTransformation {
  if (typeof learningRate === 'number') return scale(-learningRate);
  return scaleBySchedule((count) => tf.neg(learningRate(count)) as tf.Scalar);
}

/** State of {@link trace}: the momentum accumulator, mirroring the params. */
export interface TraceState {
  trace: Tree;
}

/**
 * `optax.trace(decay, nesterov)`: `t = g + decay·t_prev`; the update is `t` (or `g + decay·t` with Nesterov).
 *
 * @example
 * ```ts
 * trace(0.9);
 * ```
 */
export function trace(decay: number, nesterov = false): GradientTransformation<TraceState> {
  return {
    init: (params) => ({ trace: tidy(() => treeMap((p) => tf.zerosLike(p), params)) }),
    update: (updates, state) =>
      tidy(() => {
        const d = tf.scalar(decay);
        const next = treeMap((g, t) => tf.add(g, tf.mul(d, t)), updates, state.trace);
        const out = nesterov ? treeMap((g, t) => tf.add(g, tf.mul(d, t)), updates, next) : next;
        return [out, { trace: next }] as [Tree, TraceState];
      }),
  };
}

/** State of {@link scaleByAdam}: step `count` (int32 scalar) and first/second moments `mu`, `nu`. */
export interface ScaleByAdamState {
  count: tf.Scalar;
  mu: Tree;
  nu: Tree;
}

/** Options of {@link scaleByAdam} / {@link adam} (optax defaults). */
export interface AdamOptions {
  b1?: number;
  b2?: number;
  eps?: number;
  epsRoot?: number;
}

/**
 * `optax.scale_by_adam`: bias-corrected first/second moment scaling, in float32 as optax computes it.
 *
 * @example
 * ```ts
 * chain(scaleByAdam(), scale(-1e-3));
 * ```
 */
export function scaleByAdam(options: AdamOptions = {}): GradientTransformation<ScaleByAdamState> {
  const { b1 = 0.9, b2 = 0.999, eps = 1e-8, epsRoot = 0 } = options;
  return {
    init: (params) =>
      tidy(() => ({
        count: tf.scalar(0, 'int32'),
        mu: treeMap((p) => tf.zerosLike(p), params),
        nu: treeMap((p) => tf.zerosLike(p), params),
      })),
    update: (updates, state) =>
      tidy(() => {
        const mu = treeMap((g, m) => tf.add(tf.mul(tf.scalar(1 - b1), g), tf.mul(tf.scalar(b1), m)), updates, state.mu);
        const nu = treeMap((g, v) => tf.add(tf.mul(tf.scalar(1 - b2), tf.mul(g, g)), tf.mul(tf.scalar(b2), v)), updates, state.nu);
        // Saturating int32 increment, as optax's numerics.safe_increment.
        const count = tf.minimum(tf.add(state.count, tf.scalar(1, 'int32')), tf.scalar(2147483647, 'int32')) as tf.Scalar;
        const t = tf.cast(count, 'float32');
        // optax raises the float32 decay to the float32 count (lax.pow), not repeated multiplication.
        const c1 = tf.sub(tf.scalar(1), tf.pow(tf.scalar(b1), t));
        const c2 = tf.sub(tf.scalar(1), tf.pow(tf.scalar(b2), t));
        const out = treeMap(
          (m, v) => tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.add(tf.div(v, c2), tf.scalar(epsRoot))), tf.scalar(eps))),
          mu,
          nu,
        );
        return [out, { count, mu, nu }] as [Tree, ScaleByAdamState];
      }),
  };
}

/**
 * `optax.add_decayed_weights(weightDecay)`: `u + weightDecay·p` (needs `params`).
 *
 * @example
 * ```ts
 * addDecayedWeights(1e-4);
 * ```
 */
export function addDecayedWeights(weightDecay: number): GradientTransformation<EmptyState> {
  return {
    init: empty,
    update: (updates, state, params) => {
      if (params === undefined) throw new TypeError('addDecayedWeights requires params in update(updates, state, params)');
      return [tidy(() => treeMap((u, p) => tf.add(u, tf.mul(tf.scalar(weightDecay), p)), updates, params)), state];
    },
  };
}

/**
 * `optax.clip_by_global_norm(maxNorm)`: if the global L2 norm `n` of the updates is ≥ `maxNorm`, each leaf becomes
 * `(u / n)·maxNorm`.
 *
 * @example
 * ```ts
 * chain(clipByGlobalNorm(1), adam(1e-3));
 * ```
 */
export function clipByGlobalNorm(maxNorm: number): GradientTransformation<EmptyState> {
  return {
    init: empty,
    update: (updates, state) =>
      tidy(() => {
        const sums = treeLeaves(updates).map((u) => tf.sum(tf.mul(u, u)));
        const norm = tf.sqrt(sums.reduce((acc: tf.Tensor, s) => tf.add(acc, s), tf.scalar(0)));
        const keep = tf.less(norm, tf.scalar(maxNorm));
        const out = treeMap((u) => tf.where(keep, u, tf.mul(tf.div(u, norm), tf.scalar(maxNorm))), updates);
        return [out, state] as [Tree, EmptyState];
      }),
  };
}

/**
 * `optax.chain(...txs)`: applies transformations in order; the state is the array of their states.
 *
 * @example
 * ```ts
 * const tx = chain(clipByGlobalNorm(1), scaleByAdam(), scale(-1e-3));
 * ```
 */
export function chain(...transforms: GradientTransformation<any>[]): GradientTransformation<unknown[]> {
  return {
    init: (params) => transforms.map((t) => t.init(params)),
    update: (updates, state, params) =>
      tidy(() => {
        let current = updates;
        const next = transforms.map((t, i) => {
          const [u, s] = t.update(current, state[i], params);
          current = u;
          return s;
        });
        return [current, next] as [Tree, unknown[]];
      }),
  };
}

/**
 * `optax.apply_updates(params, updates)`: `p + u`, cast back to each param's dtype. Returns new tensors.
 *
 * @example
 * ```ts
 * const next = applyUpdates(params, updates);
 * ```
 */
export function applyUpdates<T extends Tree>(params: T, updates: Tree): T {
  return tidy(() => treeMap((p, u) => tf.cast(tf.add(p, u), p.dtype), params, updates));
}
