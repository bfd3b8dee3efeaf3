import * as tf from '@tensorflow/tfjs-core';
import { iterGraph } from './api.js';
import { brand, brandedHasInstance } from './brand.js';
import { tabulate } from './display.js';
import { NnxError, StateError } from './errors.js';
import { toPredicate, type Filter } from './filters.js';
import { sortedKeysOf, type Key } from './paths.js';
import { Pytree } from './pytree.js';
import { isVariable, Perturbation, type Variable, type VariableType } from './variable.js';
import { variableTypeFromName } from './variableNames.js';

/**
 * Brand of every Module: `Symbol.for('nnx-ts.Module')`.
 *
 * @example
 * ```ts
 * (model as any)[MODULE_BRAND]; // true
 * ```
 */
export const MODULE_BRAND: unique symbol = Symbol.for('nnx-ts.Module') as any;

/**
 * Whether `x` is a Module (any installed copy).
 *
 * @example
 * ```ts
 * isModule(new Linear(2, 3, { rngs })); // true
 * ```
 */
export function isModule(x: unknown): x is Module {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[MODULE_BRAND] === true;
}

/**
 * Options of {@link Module.sow}.
 *
 * @example
 * ```ts
 * this.sow(Intermediate, 'sum', x, { reduce: (a, v) => a + v, init: () => 0 });
 * ```
 */
export interface SowOptions<A> {
  /** Combines the stored value and the new one. Default: append to an array. */
  reduce?: (acc: A, value: any) => A;
  /** The initial accumulator. Default: `[]`. */
  init?: () => A;
}

/**
 * Base class of layers and models: a {@link Pytree} with NNX's module conveniences.
 *
 * @example
 * ```ts
 * class MLP extends Module {
 *   constructor(rngs: Rngs) {
 *     super();
 *     this.layers = [new Linear(2, 8, { rngs }), new Linear(8, 1, { rngs })];
 *   }
 * }
 * ```
 */
export class Module extends Pytree {
  declare readonly [MODULE_BRAND]: true;

  /**
   * Records `value` in the Variable attribute `name` of type `variableType` (a class or collection name):
   * by default an array of every value sown, in call order. Returns true.
   *
   * @example
   * ```ts
   * this.sow(Intermediate, 'features', h);
   * ```
   */
  sow<A = unknown[]>(
    variableType: VariableType | string,
    name: string,
    value: unknown,
    options: SowOptions<A> = {},
  ): boolean {
    const type = typeof variableType === 'string' ? variableTypeFromName(variableType, { allowRegister: true }) : variableType;
    const reduce = options.reduce ?? ((acc: A, v: unknown) => [...(acc as unknown[]), v] as A);
    const self = this as unknown as Record<string, unknown>;
    const existing = self[name];
    if (existing !== undefined) {
      if (!isVariable(existing)) {
        throw new StateError(`Expected '${name}' to be a Variable, got ${describe(existing)}`);
      }
      if (existing.constructor !== type) {
        throw new StateError(`Expected '${name}' to be of type ${type.name}, got ${describe(existing)}`);
      }
      existing.value = reduce(existing.value as A, value);
    } else {
      const init = options.init ?? (() => [] as A);
      self[name] = new (type as unknown as new (v: unknown) => Variable)(reduce(init(), value));
    }
    return true;
  }

  /**
   * Adds a zero-initialised Perturbation named `name` to `value` (created on the first call). Its gradient is the
   * gradient with respect to the intermediate `value`.
   *
   * @example
   * ```ts
   * h = this.perturb('h', h);
   * ```
   */
  perturb(name: string, value: tf.Tensor, variableType: VariableType = Perturbation): tf.Tensor {
    const self = this as unknown as Record<string, unknown>;
    let p = self[name];
    if (p === undefined) {
      p = new (variableType as unknown as new (v: tf.Tensor) => Variable)(tf.zerosLike(value));
      self[name] = p;
    } else if (!isVariable(p) || !(p instanceof variableType)) {
      throw new StateError(`Expected '${name}' to be a ${variableType.name}, got ${describe(p)}`);
    }
    return tf.add((p as Variable<tf.Tensor>).value, value);
  }

  /**
   * Every Module reachable from this one (itself included, path `[]`), post-order, sorted keys, each once.
   *
   * @example
   * ```ts
   * for (const [path, m] of model.iterModules()) console.log(path, m.constructor.name);
   * ```
   */
  *iterModules(): Generator<[Key[], Module]> {
    for (const [path, value] of iterGraph(this)) if (isModule(value)) yield [path, value];
  }

  /**
   * The immediate Module attributes, sorted by key.
   *
   * @example
   * ```ts
   * for (const [name, child] of model.iterChildren()) console.log(name);
   * ```
   */
  *iterChildren(): Generator<[Key, Module]> {
    const self = this as unknown as Record<Key, unknown>;
    for (const key of sortedKeysOf(this)) {
      const v = self[key];
      if (isModule(v)) yield [key, v];
    }
  }

  /**
   * Sets each attribute of `attrs` on every module (matching any of `filters`, or all) that already has it.
   * Throws when an attribute is found nowhere, unless `raiseIfNotFound` is false.
   *
   * @example
   * ```ts
   * model.setAttributes({ deterministic: true });
   * model.setAttributes([Dropout], { rate: 0.2 });
   * ```
   */
  setAttributes(
    filtersOrAttrs: Filter[] | Record<string, unknown>,
    attrsOrOptions?: Record<string, unknown>,
    options: { raiseIfNotFound?: boolean } = {},
  ): void {
    const filters = Array.isArray(filtersOrAttrs) ? filtersOrAttrs : [];
    const attrs = (Array.isArray(filtersOrAttrs) ? attrsOrOptions : filtersOrAttrs) ?? {};
    const opts = Array.isArray(filtersOrAttrs) ? options : ((attrsOrOptions as { raiseIfNotFound?: boolean }) ?? options);
    const preds = filters.map(toPredicate);
    const remaining = new Set(Object.keys(attrs));
    for (const [path, m] of this.iterModules()) {
      if (preds.length > 0 && !preds.some((p) => p(path, m))) continue;
      const target = m as unknown as Record<string, unknown>;
      for (const [name, value] of Object.entries(attrs)) {
        if (name in target) {
          target[name] = value;
          remaining.delete(name);
        }
      }
    }
    if ((opts.raiseIfNotFound ?? true) && remaining.size > 0) {
      throw new NnxError(`Could not find at least one instance of the following attributes: ${[...remaining].join(', ')}`);
    }
  }

  /**
   * Training mode: sets `deterministic` and `useRunningAverage` to false wherever present (plus `attrs`).
   *
   * @example
   * ```ts
   * model.train();
   * ```
   */
  train(attrs: Record<string, unknown> = {}): void {
    this.setAttributes({ deterministic: false, useRunningAverage: false, ...attrs }, { raiseIfNotFound: false });
  }

  /**
   * Evaluation mode: sets `deterministic` and `useRunningAverage` to true wherever present (plus `attrs`).
   *
   * @example
   * ```ts
   * model.eval();
   * ```
   */
  eval(attrs: Record<string, unknown> = {}): void {
    this.setAttributes({ deterministic: true, useRunningAverage: true, ...attrs }, { raiseIfNotFound: false });
  }

  /** The {@link tabulate} table of this module's state. */
  override toString(): string {
    return tabulate(this);
  }

  static override [Symbol.hasInstance](x: unknown): boolean {
    return brandedHasInstance(this, x);
  }
}
brand(Module, 'Module');

function describe(x: unknown): string {
  return typeof x === 'object' && x !== null ? x.constructor.name : typeof x;
}
