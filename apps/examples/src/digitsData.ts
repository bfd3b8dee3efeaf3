// Loads the UCI digits CSV (gzip) and splits it deterministically into training and held-out sets.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** Features scaled to [0, 1] (pixel counts / 16), row-major [n, 64], and integer labels 0..9. */
export interface DigitsSet {
  readonly x: Float32Array;
  readonly y: Int32Array;
  readonly n: number;
}

/** Number of features per row (an 8x8 image). */
export const DIGITS_FEATURES = 64;
/** Number of classes. */
export const DIGITS_CLASSES = 10;

/** Reads `digits.csv.gz` (65 integer columns, the last one the label) into a {@link DigitsSet}. */
export function loadDigits(path: string): DigitsSet {
  const rows = gunzipSync(readFileSync(path))
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');
  const x = new Float32Array(rows.length * DIGITS_FEATURES);
  const y = new Int32Array(rows.length);
  rows.forEach((line, i) => {
    const cols = line.split(',').map(Number);
    if (cols.length !== DIGITS_FEATURES + 1 || cols.some((v) => !Number.isInteger(v))) {
      throw new Error(`${path}: row ${i + 1}: expected ${DIGITS_FEATURES + 1} integer columns, got "${line}"`);
    }
    for (let j = 0; j < DIGITS_FEATURES; j++) x[i * DIGITS_FEATURES + j] = cols[j]! / 16;
    y[i] = cols[DIGITS_FEATURES]!;
  });
  return { x, y, n: rows.length };
}

/** mulberry32: a tiny seeded generator, enough for a reproducible shuffle of the row order. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded permutation of 0..n-1 (Fisher–Yates). */
export function permutation(n: number, seed: number): Int32Array {
  const random = mulberry32(seed);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** Picks rows `indices` of `set`, in that order. */
export function takeRows(set: DigitsSet, indices: ArrayLike<number>): DigitsSet {
  const x = new Float32Array(indices.length * DIGITS_FEATURES);
  const y = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const row = indices[i]!;
    x.set(set.x.subarray(row * DIGITS_FEATURES, (row + 1) * DIGITS_FEATURES), i * DIGITS_FEATURES);
    y[i] = set.y[row]!;
  }
  return { x, y, n: indices.length };
}

/** Shuffles the rows with `seed` and holds out the last `heldOutFraction` of them. */
export function splitDigits(set: DigitsSet, seed = 0, heldOutFraction = 0.2): { train: DigitsSet; heldOut: DigitsSet } {
  const order = permutation(set.n, seed);
  const nTrain = set.n - Math.round(set.n * heldOutFraction);
  return { train: takeRows(set, order.subarray(0, nTrain)), heldOut: takeRows(set, order.subarray(nTrain)) };
}
