import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../src/index.js';

// Decorated methods under the build: test/fixtures/decoratedModel.ts is compiled by the TypeScript compiler with the
// options of this package's tsconfig.build.json (the build), written inside node_modules so that Node resolves its
// imports to the built workspace packages, and imported natively. decorators.test.ts in @nnx-ts/transforms covers
// the same methods under vitest's own transform.
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/decoratedModel.ts', import.meta.url));
const outDir = `${packageDir}node_modules/.cache/decorated-build`;

type Fixture = typeof import('./fixtures/decoratedModel.js');
let built: Fixture;
let emitted: string;

function compileWithBuildOptions(): void {
  const configPath = `${packageDir}tsconfig.build.json`;
  const config = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, packageDir);
  const options: ts.CompilerOptions = { ...parsed.options, rootDir: `${packageDir}test/fixtures`, outDir, declaration: false, declarationMap: false, sourceMap: false };
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const program = ts.createProgram([fixture], options);
  const result = program.emit();
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...result.diagnostics];
  if (diagnostics.length > 0) throw new Error(ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => packageDir, getNewLine: () => '\n' }));
}

beforeAll(async () => {
  await setBackend('cpu');
  compileWithBuildOptions();
  const file = `${outDir}/decoratedModel.js`;
  emitted = readFileSync(file, 'utf8');
  built = (await import(/* @vite-ignore */ pathToFileURL(file).href)) as Fixture;
}, 60_000);

describe('TC39 method decorators compiled by the build', () => {
  it('the build lowers them as standard decorators (not legacy experimentalDecorators)', () => {
    expect(ts.version.split('.')[0]).not.toBe('4');
    expect(emitted).toContain('__esDecorate');
    expect(emitted).not.toContain('__decorate(');
  });

  it('a @jit method trains exactly like the higher-order jit, with state propagated and flat memory', () => {
    const x = tf.tensor2d([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]);
    const y = tf.tensor2d([[0.1], [0.2], [0.3]]);
    const decorated = new built.Regressor();
    const plain = new built.Regressor();
    const losses: number[][] = [[], []];
    let numTensors = 0;
    for (let step = 0; step < 5; step++) {
      if (step === 2) numTensors = tf.memory().numTensors;
      const a = decorated.step(x, y);
      const b = built.plainStep(plain, x, y);
      losses[0]!.push(a.dataSync()[0]!);
      losses[1]!.push(b.dataSync()[0]!);
      tf.dispose([a, b]);
    }
    expect(tf.memory().numTensors).toBe(numTensors);
    expect(losses[0]).toEqual(losses[1]);
    expect(losses[0]![4]!).toBeLessThan(losses[0]![0]!);
    expect(Array.from(decorated.kernel.value.dataSync())).toEqual(Array.from(plain.kernel.value.dataSync()));
    expect(decorated.steps.value.dataSync()[0]).toBe(5);
    tf.dispose([x, y]);
  });

  it('@scan and @vmap methods run over the stacked axis', () => {
    const kernels = tf.tensor3d([[[1, 0], [0, 1]], [[2, 0], [0, 2]], [[0.5, 0], [0, 0.5]]]);
    const layers = new built.Layers(kernels);
    const x = tf.tensor2d([[0.1, -0.2]]);
    const scanned = layers.forward(x);
    let expected = x;
    for (let i = 0; i < 3; i++) expected = tf.tanh(tf.matMul(expected, tf.reshape(tf.slice(kernels, [i, 0, 0], [1, 2, 2]), [2, 2])));
    expect(Array.from(scanned.dataSync())).toEqual(Array.from(expected.dataSync()));
    const ensemble = layers.ensemble(x);
    expect(ensemble.shape).toEqual([3, 1, 2]);
    expect(Array.from(ensemble.dataSync())).toEqual(Array.from(tf.matMul(tf.tile(tf.expandDims(x, 0), [3, 1, 1]), kernels).dataSync()));
  });
});
