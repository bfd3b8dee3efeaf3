import * as tf from '@tensorflow/tfjs-core';

/**
 * The one TF.js engine internal this package relies on (pinned by test/engineScope.test.ts, so a TF.js upgrade
 * that changes it fails loudly): `Engine.track(tensor)` registers a tensor with the innermost `tidy` scope.
 */
interface EngineWithTrack {
  track(tensor: tf.Tensor): tf.Tensor;
}

/**
 * `tf.grads`-style differentiation runs the function inside the engine's own `forward` tidy scope, which frees
 * everything except the loss. State written by the function (BatchStat updates, RNG counts) and auxiliary
 * outputs must survive that scope: they are `tf.keep`-ed there and, once differentiation returns, handed back
 * to the caller's current scope with this function, so the enclosing transform manages them like any other
 * tensor (freed if unreachable, returned if reachable).
 */
export function adoptKeptTensors(tensors: readonly tf.Tensor[]): void {
  const engine = tf.engine() as unknown as EngineWithTrack;
  for (const tensor of tensors) {
    if (tensor.isDisposed) continue;
    tensor.kept = false;
    engine.track(tensor);
  }
}

interface EngineWithTape {
  state: { activeTape: unknown };
}

/**
 * Differentiating inside a gradient function (remat, customVjp) clears the engine's active tape, which the
 * outer backward pass still uses (environment.md). Save it before, restore it after (pinned by a test).
 */
export function saveActiveTape(): unknown {
  return (tf.engine() as unknown as EngineWithTape).state.activeTape;
}

/** Puts back a tape saved by {@link saveActiveTape}. */
export function restoreActiveTape(tape: unknown): void {
  (tf.engine() as unknown as EngineWithTape).state.activeTape = tape;
}

interface TapeNodeLike {
  saved?: tf.Tensor[];
}

/** Number of nodes on the engine's active tape (0 when no gradient is being recorded). */
export function tapeLength(): number {
  const tape = saveActiveTape() as TapeNodeLike[] | null | undefined;
  return tape?.length ?? 0;
}

/**
 * A forward pass that throws inside `engine.gradients` never reaches the backward pass, which is what frees the
 * tensors tape nodes saved for it (kept clones): free those of the nodes recorded since `start`, and drop the nodes.
 */
export function disposeTapeSince(start: number): void {
  const tape = saveActiveTape() as TapeNodeLike[] | null | undefined;
  if (!tape) return;
  for (let i = start; i < tape.length; i++) for (const t of tape[i]!.saved ?? []) t.dispose();
  tape.length = Math.min(tape.length, start);
}
