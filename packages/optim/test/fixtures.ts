import { fixtureReader } from '@nnx-ts/tooling/test-utils';

/** Reads a committed JSON fixture written by tooling/reference/optim.py. */
export const fixture = fixtureReader(import.meta.url);
export { f32Bits, fromBits, ulpDistance } from '@nnx-ts/tooling/test-utils';
