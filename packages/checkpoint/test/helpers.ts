import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

await tf.setBackend('cpu');

/** A fresh temporary directory for one test. */
export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'nnx-ts-checkpoint-'));
}

/** The real Python-made fixtures (see fixtures/README.md). */
export const FIXTURES = new URL('./fixtures/', import.meta.url);
