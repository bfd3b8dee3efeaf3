import { readFileSync } from 'node:fs';

/** Reads a committed JSON fixture written by tooling/reference/layers.py. */
export function fixture<T = any>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8')) as T;
}

/** Float32 values as their uint32 bit patterns. */
export function f32Bits(values: Float32Array): number[] {
  return Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
}

/** Distance in units of the last place between two float32 bit patterns. */
export function ulpDistance(a: number, b: number): number {
  const toOrdered = (u: number) => (u & 0x80000000 ? 0x80000000 - (u & 0x7fffffff) : 0x80000000 + u);
  return Math.abs(toOrdered(a >>> 0) - toOrdered(b >>> 0));
}

/** Float32 bit patterns back to numbers. */
export function fromBits(bits: number[]): Float32Array {
  return new Float32Array(Uint32Array.from(bits).buffer);
}
