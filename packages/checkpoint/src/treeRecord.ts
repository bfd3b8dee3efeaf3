import {
  compareKeys,
  isHostArray,
  isLazyValue,
  isShapeDtype,
  isState,
  isVariable,
  keyOf,
  pathToString,
  type Key,
  type Variable,
} from '@nnx-ts/module';
import * as tf from '@tensorflow/tfjs-core';

/**
 * A container of the saved tree: a JS array (`list`) or a State / plain object (`dict`).
 *
 * @example
 * ```ts
 * const c: ContainerRecord = { path: ['layers'], kind: 'list' };
 * ```
 */
export interface ContainerRecord {
  readonly path: Key[];
  readonly kind: 'list' | 'dict';
}

/**
 * What the metadata file records about one leaf: its exact path (list indices and integer keys as numbers), the
 * tensor name in the safetensors file, dtype and logical shape, whether it is a host array, and its Variable type
 * name and metadata when the leaf was a Variable.
 *
 * @example
 * ```ts
 * const l: LeafRecord = { path: ['layers', 0, 'kernel'], tensor: 'layers.0.kernel', dtype: 'float32', shape: [4, 2], host: false };
 * ```
 */
export interface LeafRecord {
  readonly path: Key[];
  readonly tensor: string;
  readonly dtype: string;
  readonly shape: number[];
  readonly host: boolean;
  readonly variable?: { readonly type: string; readonly metadata: Record<string, unknown> };
}

/** One leaf found by {@link walkTree}: its path, array value (or abstract ShapeDtype) and Variable, if any. */
export interface WalkedLeaf {
  readonly path: Key[];
  readonly value: unknown;
  readonly variable?: Variable;
}

/** True for the mappings of a State tree: States and plain objects. */
function isDict(x: unknown): x is Record<string, unknown> {
  if (isState(x)) return true;
  if (typeof x !== 'object' || x === null) return false;
  const proto: unknown = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** True for what a checkpoint stores as a leaf value. */
export function isStorableLeaf(x: unknown): boolean {
  return x instanceof tf.Tensor || isHostArray(x) || isShapeDtype(x);
}

/**
 * Walks a State tree (States, plain objects, arrays; Variables and array leaves) in sorted key order, collecting
 * containers and leaves. Variables are leaves (their value is read from `raw`); with `computeLazy` (saving), lazy
 * values are computed, otherwise (checking a restore target) they stay abstract.
 *
 * @throws TypeError naming the path of a value that is neither a container nor an array leaf.
 */
export function walkTree(tree: unknown, computeLazy: boolean): { containers: ContainerRecord[]; leaves: WalkedLeaf[] } {
  const containers: ContainerRecord[] = [];
  const leaves: WalkedLeaf[] = [];
  const path: Key[] = [];
  const visit = (x: unknown): void => {
    if (isVariable(x)) {
      const value = computeLazy && isLazyValue(x.raw) ? (x.value as unknown) : x.raw;
      if (!isStorableLeaf(value)) throw new TypeError(`${pathToString(path)}: Variable value is not an array (${describe(value)}).`);
      leaves.push({ path: path.slice(), value, variable: x });
    } else if (Array.isArray(x)) {
      containers.push({ path: path.slice(), kind: 'list' });
      x.forEach((child, i) => {
        path.push(i);
        visit(child);
        path.pop();
      });
    } else if (isDict(x)) {
      containers.push({ path: path.slice(), kind: 'dict' });
      const keys = Object.keys(x).map(keyOf).sort(compareKeys);
      for (const key of keys) {
        path.push(key);
        visit(x[key]);
        path.pop();
      }
    } else if (isStorableLeaf(x)) {
      leaves.push({ path: path.slice(), value: x });
    } else {
      throw new TypeError(`${pathToString(path)}: cannot checkpoint ${describe(x)}; leaves must be tensors, host arrays or Variables.`);
    }
  };
  visit(tree);
  return { containers, leaves };
}

function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (typeof x === 'object') return (Object.getPrototypeOf(x) as { constructor?: { name?: string } } | null)?.constructor?.name ?? 'object';
  return typeof x;
}

/** A path as a lookup key (numbers and strings stay distinct). */
export function pathKey(path: readonly Key[]): string {
  return JSON.stringify(path);
}

/** Shape and dtype of an array leaf or abstract ShapeDtype. */
export function shapeDtypeOf(x: unknown): { shape: number[]; dtype: string } {
  if (x instanceof tf.Tensor || isHostArray(x) || isShapeDtype(x)) return { shape: [...x.shape], dtype: x.dtype };
  throw new TypeError(`not an array leaf: ${describe(x)}`);
}
