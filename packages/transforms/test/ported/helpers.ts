// Test-local helpers shared by the Flax transforms_test.py ports (see ../PORTED.md).
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { ensureGradients } from '@nnx-ts/backend';
import { Module, type NnxError } from '@nnx-ts/module';
import { expect } from 'vitest';

ensureGradients();

/** Flax's test-local `Dict` module: the items become attributes (`vars(self).update(...)`). */
export class Dict extends Module {
  [key: string]: any;
  constructor(items: Record<string, unknown>) {
    super();
    for (const [k, v] of Object.entries(items)) (this as Record<string, unknown>)[k] = v;
  }
}

/** Flax's test-local `List` module: item `i` is attribute `'i'`. */
export class List extends Module {
  [key: string]: any;
  constructor(items: unknown[]) {
    super();
    items.forEach((v, i) => ((this as Record<string, unknown>)[String(i)] = v));
  }
}

/** The values of a tensor (or of a Variable's tensor) as a plain number array. */
export function vals(t: unknown): number[] {
  const x = t !== null && typeof t === 'object' && 'value' in t && !(t instanceof tf.Tensor) ? (t as { value: unknown }).value : t;
  if (typeof x === 'number') return [x];
  return Array.from((x as tf.Tensor).dataSync());
}

/** The single value of a scalar tensor / Variable. */
export function val(t: unknown): number {
  const v = vals(t);
  expect(v.length).toBe(1);
  return v[0]!;
}

export function shapeOf(t: unknown): number[] {
  const x = t !== null && typeof t === 'object' && 'value' in t && !(t instanceof tf.Tensor) ? (t as { value: unknown }).value : t;
  return [...(x as { shape: readonly number[] }).shape];
}

export function allClose(a: unknown, b: unknown, tol = 1e-6): boolean {
  const [x, y] = [vals(a), vals(b)];
  return x.length === y.length && x.every((v, i) => Math.abs(v - y[i]!) <= tol * (1 + Math.abs(y[i]!)));
}

/** Runs `fn`, expecting it to throw a typed nnx-ts error of class `name` whose message matches `message`. */
export function expectTypedError(fn: () => unknown, name: string, message?: RegExp): NnxError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a throw').toBeInstanceOf(Error);
  expect((caught as Error).name).toBe(name);
  if (message) expect((caught as Error).message).toMatch(message);
  return caught as NnxError;
}

/** Words of a host key array (KeyArray / HostUint32Array). */
export function words(k: { data: Uint32Array }): number[] {
  return Array.from(k.data);
}
