import { TransformError, type HostArray } from '@nnx-ts/module';

/** Host array classes construct from `(shape, words)`, as @nnx-ts/rng's `KeyArray` and `HostUint32Array` do. */
type HostArrayClass = new (shape: readonly number[], data: Uint32Array) => HostArray;

/**
 * Builds a sibling of `h` (same class: a key array stays a key array) from new words: what vmap/scan need to
 * slice and restack RNG keys and counts on the host.
 */
function factory(h: HostArray, where: string): { withData(shape: readonly number[], data: Uint32Array): HostArray } {
  const ctor = (h as { constructor?: unknown }).constructor;
  if (typeof ctor !== 'function' || ctor === Object) {
    throw new TransformError(`${where}: this host array (${h.dtype}) cannot be sliced or stacked: its class must construct from (shape, data).`);
  }
  return { withData: (shape, data) => new (ctor as HostArrayClass)(shape, data) };
}

function product(xs: readonly number[]): number {
  let p = 1;
  for (const x of xs) p *= x;
  return p;
}

/** Words per logical element (2 for a threefry key array, 1 for a count). */
function wordsPerElement(h: HostArray): number {
  const n = product(h.shape);
  return n === 0 ? 1 : h.data.length / n;
}

/** Element `index` of `h` along `axis` (the axis removed), as a new host array of the same kind. */
export function sliceHost(h: HostArray, axis: number, index: number, where: string): HostArray {
  const f = factory(h, where);
  const w = wordsPerElement(h);
  const outer = product(h.shape.slice(0, axis));
  const inner = product(h.shape.slice(axis + 1)) * w;
  const n = h.shape[axis]!;
  const data = new Uint32Array(outer * inner);
  for (let o = 0; o < outer; o++) data.set(h.data.subarray((o * n + index) * inner, (o * n + index + 1) * inner), o * inner);
  return f.withData([...h.shape.slice(0, axis), ...h.shape.slice(axis + 1)], data);
}

/** Stacks same-shaped host arrays along a new `axis`. */
export function stackHost(items: readonly HostArray[], axis: number, where: string): HostArray {
  const first = items[0]!;
  const f = factory(first, where);
  const w = wordsPerElement(first);
  const outer = product(first.shape.slice(0, axis));
  const inner = product(first.shape.slice(axis)) * w;
  const data = new Uint32Array(outer * inner * items.length);
  for (let o = 0; o < outer; o++) {
    items.forEach((item, j) => data.set(item.data.subarray(o * inner, (o + 1) * inner), (o * items.length + j) * inner));
  }
  return f.withData([...first.shape.slice(0, axis), items.length, ...first.shape.slice(axis)], data);
}

/** Same dtype, shape and words. */
export function hostEqual(a: HostArray, b: HostArray): boolean {
  if (a === b) return true;
  if (a.dtype !== b.dtype || a.shape.length !== b.shape.length || a.data.length !== b.data.length) return false;
  if (!a.shape.every((d, i) => d === b.shape[i])) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}
