import * as tf from '@tensorflow/tfjs-core';
import { InPlaceCall, TransformError, isVariable, type Variable } from '@nnx-ts/module';
import { assertNotPromise, assertSyncFunction } from './asyncGuard.js';
import { restoreActiveTape, saveActiveTape } from './engineScope.js';
import { runInPlace } from './inPlace.js';
import { applyTransform, isDecoratorContext, type AnyFunction } from './transformDecorator.js';

/** The float Variables reachable from `roots` (each once): their tensors are inputs of the rematerialised block. */
function floatVariables(roots: readonly unknown[]): Variable<tf.Tensor>[] {
  const found: Variable<tf.Tensor>[] = [];
  const seen = new Set<object>();
  const stack: unknown[] = [...roots];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object' || seen.has(node) || node instanceof tf.Tensor) continue;
    seen.add(node);
    if (isVariable(node)) {
      if (node.raw instanceof tf.Tensor && node.raw.dtype === 'float32') found.push(node as Variable<tf.Tensor>);
    } else if (!ArrayBuffer.isView(node)) {
      for (const key of Object.keys(node)) stack.push((node as Record<string, unknown>)[key]);
    }
  }
  return found;
}

function rematFunction(fn: AnyFunction): AnyFunction {
  assertSyncFunction(fn, 'remat');
  const run = (self: unknown, args: unknown[]): tf.Tensor => {
    const roots = self === undefined ? args : [self, ...args];
    const out = runInPlace('remat', roots, () => fn.apply(self, args));
    if (!(out instanceof tf.Tensor)) throw new TransformError('remat: the function must return one tensor (TF.js customGrad allows one output).');
    return out;
  };
  return function (this: unknown, ...args: unknown[]): tf.Tensor {
    return rematCall(this, args);
  };
  function rematCall(self: unknown, args: unknown[]): tf.Tensor {
    const tensorPositions = args.flatMap((a, i) => (a instanceof tf.Tensor && a.dtype === 'float32' ? [i] : []));
    const variables = floatVariables(args);
    const inputs = [...tensorPositions.map((i) => args[i] as tf.Tensor), ...variables.map((v) => v.raw as tf.Tensor)];
    if (inputs.length === 0) return run(self, args);
    // customGrad records one tape node that saves only the block's tensor arguments; the block's activations are
    // freed after the forward pass and recomputed in the backward pass.
    const block = tf.customGrad((...ins: unknown[]) => {
      const save = ins[ins.length - 1] as (tensors: tf.Tensor[]) => void;
      save(tensorPositions.map((i) => args[i] as tf.Tensor));
      const value = run(self, args);
      return {
        value,
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          // The caller's activations are gone by now: recompute from the saved copies of the tensor arguments.
          const recomputeArgs = [...args];
          tensorPositions.forEach((pos, j) => (recomputeArgs[pos] = saved[j]));
          const xs = [...saved, ...variables.map((v) => v.raw)];
          // Recompute without side effects: the recomputation is a call that is always rolled back.
          const roots = self === undefined ? recomputeArgs : [self, ...recomputeArgs];
          const recompute = InPlaceCall.begin('remat', roots);
          const tape = saveActiveTape();
          try {
            const forward = () => {
              const out = fn.apply(self, recomputeArgs);
              assertNotPromise(out, 'remat');
              return out as tf.Scalar;
            };
            const { grads } = tf.engine().gradients(forward, xs as tf.Tensor[], dy as tf.Tensor, true);
            return grads.map((g, i) => (g as tf.Tensor | null) ?? tf.zerosLike(xs[i] as tf.Tensor));
          } finally {
            restoreActiveTape(tape);
            recompute.rollback();
          }
        },
      };
    });
    return block(...inputs);
  }
}

/**
 * A TC39 method decorator (or function wrapper) produced by `remat()`.
 *
 * @example
 * ```ts
 * const block = remat()((m: Block, x: tf.Tensor) => m.call(x));
 * ```
 */
export type RematDecorator = <F extends AnyFunction>(fn: F, context?: ClassMethodDecoratorContext) => F;

/**
 * Lifted `jax.checkpoint`: under differentiation, the block's activations are not kept for the backward pass but
 * recomputed there, trading compute for peak memory. Gradients flow to float tensor arguments and to every float
 * Variable reachable from the arguments. The function must return one tensor (TF.js `customGrad` limit).
 *
 * @example
 * ```ts
 * class Block extends Module {
 *   @remat
 *   call(x: tf.Tensor) { return tf.relu(this.linear.call(x)); }
 * }
 * ```
 */
export function remat<F extends AnyFunction>(fn: F): F;
/** Bare method-decorator form: `@remat` on a method. */
export function remat<F extends AnyFunction>(method: F, context: ClassMethodDecoratorContext): F;
/** Decorator / curried form. */
export function remat(): RematDecorator;
export function remat(fn?: AnyFunction, context?: ClassMethodDecoratorContext): any {
  if (typeof fn === 'function') {
    return isDecoratorContext(context) ? applyTransform(fn, context, rematFunction) : rematFunction(fn);
  }
  return (f: AnyFunction, ctx?: unknown) => applyTransform(f, ctx, rematFunction);
}
