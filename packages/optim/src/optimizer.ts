import * as tf from '@tensorflow/tfjs-core';
import { FilterError, OptState, Pytree, StateError, isMapping, isVariable, pure, state } from '@nnx-ts/module';
import type { Filter, Variable } from '@nnx-ts/module';
import { leaves, map } from '@nnx-ts/pytree';
import { applyUpdates } from './transform.js';
import type { GradientTransformation } from './transform.js';
import type { Tree } from './tree.js';

/** Options of {@link Optimizer}: `wrt` (required since NNX 0.11) selects the Variables to optimise. */
export interface OptimizerOptions {
  wrt: Filter;
}

const isVar = (x: unknown): boolean => isVariable(x);

function describeFilter(filter: Filter): string {
  if (typeof filter === 'function') return filter.name || String(filter);
  if (Array.isArray(filter)) return `[${filter.map((f) => describeFilter(f as Filter)).join(', ')}]`;
  return String(filter);
}

/** The Variables of a State, in the same pytree order as the tensor leaves of `pure(state)`. */
function variablesOf(tree: unknown): Variable<tf.Tensor>[] {
  const plain = (t: unknown): unknown => {
    if (isVariable(t)) return t;
    if (Array.isArray(t)) return t.map(plain);
    if (isMapping(t)) return Object.fromEntries(Object.keys(t).map((k) => [k, plain(t[k])]));
    return t;
  };
  return leaves(plain(tree), { isLeaf: isVar }) as Variable<tf.Tensor>[];
}

function assignLeaves(targets: Variable<tf.Tensor>[], values: tf.Tensor[], what: string): void {
  if (targets.length !== values.length) {
    throw new StateError(`Optimizer.update: ${what} has ${values.length} leaves, expected ${targets.length}`);
  }
  targets.forEach((v, i) => {
    if (v.value !== values[i]) v.value = values[i]!;
  });
}

/**
 * NNX 0.11 `Optimizer<M>` (`M` is the model type, as Flax's `Optimizer[M]`; it only types `update`): holds `tx`, the optax state as `OptState` Variables (`optState`, splittable and
 * checkpointable with `state(optimizer)`), and a `step` counter. It does not hold the model: pass it to `update`.
 *
 * @example
 * ```ts
 * const optimizer = new Optimizer(model, adam(1e-3), { wrt: Param });
 * const [loss, grads] = valueAndGrad(lossFn)(model);
 * optimizer.update(model, grads);
 * ```
 */
export class Optimizer<M extends object = object> extends Pytree {
  declare step: OptState<tf.Scalar>;
  declare optState: unknown;
  declare tx: GradientTransformation<any>;
  declare wrt: Filter;

  constructor(model: M, tx: GradientTransformation<any>, options: OptimizerOptions) {
    super();
    if (options?.wrt === undefined) {
      throw new FilterError(
        'Missing required argument `wrt`. As of Flax 0.11.0 Optimizer requires `{ wrt }` (e.g. `{ wrt: Param }`).',
      );
    }
    const selected = state(model, options.wrt);
    if (variablesOf(selected).length === 0) {
      throw new FilterError(`Optimizer: wrt filter ${describeFilter(options.wrt)} selects no Variables of the model`);
    }
    this.tx = tx;
    this.wrt = options.wrt;
    const initial = tx.init(pure(selected) as Tree);
    this.optState = map((t: tf.Tensor) => new OptState(t), initial, { isLeaf: (x) => x instanceof tf.Tensor });
    this.step = new OptState(tf.scalar(0, 'int32'));
  }

  /**
   * One optimisation step: `updates, s = tx.update(grads, optState, params)`, `params += updates`, `step += 1`.
   * `grads` is the State from `valueAndGrad` (same paths as `state(model, wrt)`); it stays owned by the caller.
   * Replaced parameters and optimizer state are disposed.
   */
  update(model: M, grads: object): void {
    if (grads === undefined) throw new TypeError('Optimizer.update(model, grads): both are required since Flax 0.11.0');
    const selected = state(model, this.wrt);
    const paramVars = variablesOf(selected);
    const optVars = variablesOf(this.optState);
    const params = pure(selected) as Tree;
    const [newParams, newOpt] = tf.tidy(() => {
      const [updates, next] = this.tx.update(pure(grads) as Tree, pure(this.optState), params);
      return [applyUpdates(params, updates), next] as unknown as tf.TensorContainer;
    }) as unknown as [Tree, unknown];
    assignLeaves(paramVars, leaves(newParams, { isLeaf: (x) => x instanceof tf.Tensor }) as tf.Tensor[], 'params');
    assignLeaves(optVars, leaves(newOpt, { isLeaf: (x) => x instanceof tf.Tensor }) as tf.Tensor[], 'optimizer state');
    this.step.value = tf.tidy(() => tf.add(this.step.value, tf.scalar(1, 'int32')));
  }
}
