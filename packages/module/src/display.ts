import * as tf from '@tensorflow/tfjs-core';
import { flatten } from './graph.js';
import { isHostArray } from './hostArray.js';
import { pathToString } from './paths.js';
import { isShapeDtype } from './shapeDtype.js';
import { isVariable, RngState } from './variable.js';

const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, uint32: 4 };

function bytesOf(x: unknown, size: number): number {
  if (isHostArray(x)) return x.data.byteLength;
  const dtype = x instanceof tf.Tensor || isShapeDtype(x) ? x.dtype : 'float32';
  return size * (BYTES_PER_ELEMENT[dtype] ?? 4);
}

/**
 * Flax's size formatting: `"1,234 (4.9 KB)"` (decimal units).
 *
 * @example
 * ```ts
 * formatSize(6, 24); // '6 (24 B)'
 * ```
 */
export function formatSize(count: number, bytes: number): string {
  const units: Array<[number, string]> = [
    [1e9, 'GB'],
    [1e6, 'MB'],
    [1e3, 'KB'],
  ];
  let b = `${bytes} B`;
  for (const [scale, unit] of units) {
    if (bytes >= scale) {
      b = `${(bytes / scale).toFixed(1)} ${unit}`;
      break;
    }
  }
  return `${count.toLocaleString('en-US')} (${b})`;
}

function typeName(v: object): string {
  return v instanceof RngState ? 'RngState' : v.constructor.name;
}

/**
 * A table of every state leaf of `node`: path, Variable type, shape, dtype and element count, headed by per-type
 * totals (RNG state aggregated as `RngState`). Shared Variables appear once, at their first path. Lazy values are
 * described without being computed.
 *
 * @example
 * ```ts
 * console.log(tabulate(model));
 * // MLP  # Param: 13 (52 B)
 * // path          type   shape   dtype    size
 * // linear.bias   Param  [3]     float32  3
 * ```
 */
export function tabulate(node: unknown): string {
  const { paths, leaves } = flatten(node);
  const rows: string[][] = [['path', 'type', 'shape', 'dtype', 'size']];
  const totals = new Map<string, [number, number]>();
  for (let i = 0; i < leaves.length; i++) {
    const leaf = leaves[i];
    const raw = isVariable(leaf) ? leaf.raw : leaf;
    const shape: readonly number[] = raw instanceof tf.Tensor || isHostArray(raw) || isShapeDtype(raw) ? raw.shape : [];
    const dtype = raw instanceof tf.Tensor || isHostArray(raw) || isShapeDtype(raw) ? raw.dtype : typeof raw;
    const size = shape.reduce((a, b) => a * b, 1);
    const type = isVariable(leaf) ? typeName(leaf) : 'Array';
    const t = totals.get(type) ?? [0, 0];
    t[0] += size;
    t[1] += bytesOf(raw, size);
    totals.set(type, t);
    rows.push([pathToString(paths[i]!), type, `[${shape.join(', ')}]`, dtype, size.toLocaleString('en-US')]);
  }
  const name = typeof node === 'object' && node !== null ? node.constructor.name : typeof node;
  const summary = [...totals].map(([type, [count, bytes]]) => `${type}: ${formatSize(count, bytes)}`);
  if (totals.size > 1) {
    let count = 0;
    let bytes = 0;
    for (const [c, b] of totals.values()) {
      count += c;
      bytes += b;
    }
    summary.push(`Total: ${formatSize(count, bytes)}`);
  }
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)));
  const lines = rows.map((r) => r.map((c, j) => (j === r.length - 1 ? c : c.padEnd(widths[j]!))).join('  ').trimEnd());
  return [`${name}${summary.length > 0 ? `  # ${summary.join(', ')}` : ''}`, ...lines].join('\n');
}

/**
 * Prints {@link tabulate} of each object (Flax's `nnx.display` outside notebooks).
 *
 * @example
 * ```ts
 * display(model);
 * ```
 */
export function display(...objs: unknown[]): void {
  for (const o of objs) console.log(tabulate(o));
}
