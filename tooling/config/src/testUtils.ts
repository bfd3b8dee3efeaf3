// Helpers shared by the packages' tests: committed fixtures and float32 bit comparisons.
import { readFileSync } from 'node:fs';

/** A reader of `fixtures/<name>.json` next to the test file whose `import.meta.url` is given. */
export function fixtureReader(testFileUrl: string): <T = any>(name: string) => T {
  return <T>(name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, testFileUrl), 'utf8')) as T;
}

/** Float32 values as their uint32 bit patterns. */
export function f32Bits(values: Float32Array): number[] {
  return Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
}

/** Float32 bit patterns back to numbers. */
export function fromBits(bits: number[]): Float32Array {
  return new Float32Array(Uint32Array.from(bits).buffer);
}

/** Distance in units of the last place between two float32 bit patterns. */
export function ulpDistance(a: number, b: number): number {
  const toOrdered = (u: number) => (u & 0x80000000 ? 0x80000000 - (u & 0x7fffffff) : 0x80000000 + u);
  return Math.abs(toOrdered(a >>> 0) - toOrdered(b >>> 0));
}
