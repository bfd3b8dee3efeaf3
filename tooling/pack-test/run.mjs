// Packaging test: packs every publishable package with `pnpm pack`, installs the tarballs with npm into a temporary
// directory outside the workspace (with a second copy of @nnx-ts/module under another name), then trains from
// plain `node` ESM and CommonJS scripts and from a Vite SSR bundle, and checks that two copies of @nnx-ts/module
// interoperate. Run after `pnpm build` (turbo's `^build` does it: every package is a devDependency here).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const workspace = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const temp = mkdtempSync(join(tmpdir(), 'nnx-ts-pack-test-'));
const tarballs = join(temp, 'tarballs');
const app = join(temp, 'app');
const started = performance.now();

function run(command, args, cwd, env = {}) {
  return execFileSync(command, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
}

async function step(label, fn) {
  const t0 = performance.now();
  try {
    const out = await fn();
    console.log(`ok   ${label} (${((performance.now() - t0) / 1000).toFixed(1)} s)${out ? `\n${indent(out)}` : ''}`);
  } catch (error) {
    console.error(`FAIL ${label}\n${indent(String(error.stdout ?? ''))}\n${indent(String(error.stderr ?? error.stack ?? error))}`);
    throw error;
  }
}

function indent(text) {
  return text
    .trim()
    .split('\n')
    .map((line) => `     ${line}`)
    .join('\n');
}

// The training both scripts and the bundle run: a Linear regression, 20 adam steps, the loss must fall.
const TRAIN = `
  await setBackend('cpu');
  const model = new nnx.Linear(4, 1, { rngs: new nnx.Rngs(0) });
  const optimizer = new nnx.Optimizer(model, optax.adam(0.05), { wrt: nnx.Param });
  const x = tf.randomNormal([64, 4], 0, 1, 'float32', 1);
  const y = tf.matMul(x, tf.tensor2d([[1], [-2], [0.5], [3]]));
  const trainStep = nnx.jit((m, opt, xb, yb) => {
    const [loss, grads] = nnx.valueAndGrad((mm) => tf.mean(tf.square(tf.sub(mm.call(xb), yb))))(m);
    opt.update(m, grads);
    return loss;
  });
  const losses = [];
  for (let i = 0; i < 20; i++) losses.push(await nnx.read(trainStep(model, optimizer, x, y)));
  if (!(losses[19] < losses[0] / 2)) throw new Error('loss did not fall: ' + losses.join(', '));
  console.log(KIND + ': loss ' + losses[0].toFixed(4) + ' -> ' + losses[19].toFixed(4) + ' in 20 steps on ' + tf.getBackend());
`;

const ESM = `import * as tf from '@tensorflow/tfjs-core';
import { nnx, optax, setBackend } from 'nnx-ts';
const KIND = process.argv[2] ?? 'esm';
${TRAIN}`;

const CJS = `'use strict';
const tf = require('@tensorflow/tfjs-core');
const { nnx, optax, setBackend } = require('nnx-ts');
const KIND = 'cjs';
async function main() {${TRAIN}}
main().catch((error) => { console.error(error); process.exit(1); });
`;

// Two installed copies of @nnx-ts/module: brands under Symbol.for make them one type system.
const DUPLICATE = `import * as tf from '@tensorflow/tfjs-core';
import { setBackend } from 'nnx-ts';
import * as a from '@nnx-ts/module';
import * as b from 'module-copy';
import { createRequire } from 'node:module';
await setBackend('cpu');
const require = createRequire(import.meta.url);
const pathA = require.resolve('@nnx-ts/module'), pathB = require.resolve('module-copy');
if (pathA === pathB || a.Param === b.Param) throw new Error('module-copy is not a second copy: ' + pathA);
const param = new a.Param(tf.tensor1d([1, 2, 3]));
if (!(param instanceof b.Param) || !(param instanceof b.Variable)) throw new Error('Param of copy A is not instanceof copy B Param');
if (!(new b.Param(tf.zeros([1])) instanceof a.Param)) throw new Error('Param of copy B is not instanceof copy A Param');
class Model extends a.Module {
  constructor() { super(); this.w = new a.Param(tf.tensor1d([1, 2, 3])); this.count = new a.BatchStat(tf.scalar(0)); }
}
const model = new Model();
if (!(model instanceof b.Module)) throw new Error('Module of copy A is not instanceof copy B Module');
const [graphdef, params, rest] = b.split(model, b.Param, '...');
const leaves = Object.keys(params);
if (leaves.join() !== 'w' || Object.keys(rest).join() !== 'count') throw new Error('copy B split by Param gave ' + leaves + ' / ' + Object.keys(rest));
const merged = b.merge(graphdef, params, rest);
if (!(merged.w instanceof a.Param) || !(merged.count instanceof a.BatchStat)) throw new Error('copy B merge lost the Variable types');
const values = Array.from(await merged.w.value.data());
if (values.join() !== '1,2,3') throw new Error('merged value ' + values);
console.log('duplicate: two copies of @nnx-ts/module (' + pathA.split('node_modules/')[1] + ', ' + pathB.split('node_modules/')[1] + ') share Param/Module brands; split/merge across copies');
`;

try {
  const packed = [];
  await step('pnpm pack every publishable package', () => {
    mkdirSync(tarballs);
    for (const dir of readdirSync(join(workspace, 'packages')).sort()) {
      const pkg = JSON.parse(readFileSync(join(workspace, 'packages', dir, 'package.json'), 'utf8'));
      if (pkg.private) continue;
      run('pnpm', ['pack', '--pack-destination', tarballs], join(workspace, 'packages', dir));
      packed.push(pkg.name);
    }
    return `${packed.join(', ')}`;
  });

  const files = readdirSync(tarballs);
  const tarballOf = (name) => {
    const prefix = `${name.replace('@', '').replace('/', '-')}-`;
    const file = files.find((f) => f.startsWith(prefix) && /^\d/.test(f.slice(prefix.length)));
    if (!file) throw new Error(`no tarball for ${name} in ${files.join(', ')}`);
    return `file:../tarballs/${file}`;
  };

  await step('npm install the tarballs outside the workspace (plus a duplicate @nnx-ts/module as module-copy)', () => {
    mkdirSync(app);
    const dependencies = Object.fromEntries(packed.map((name) => [name, tarballOf(name)]));
    dependencies['module-copy'] = tarballOf('@nnx-ts/module');
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'nnx-ts-pack-test-app', private: true, type: 'module', dependencies }, null, 2),
    );
    writeFileSync(join(app, 'train.mjs'), ESM);
    writeFileSync(join(app, 'train.cjs'), CJS);
    writeFileSync(join(app, 'duplicate.mjs'), DUPLICATE);
    run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], app);
    return run('npm', ['ls', '--depth=0'], app);
  });

  await step('plain node, ESM', () => run('node', ['train.mjs'], app));
  await step('plain node, CommonJS require', () => run('node', ['train.cjs'], app));
  await step('two copies of @nnx-ts/module interoperate', () => run('node', ['duplicate.mjs'], app));

  await step('Vite SSR bundle (everything bundled), run with node', async () => {
    // Vite comes from the workspace root; what it bundles resolves from the app's node_modules.
    const { build } = await import('vite');
    await build({
      root: app,
      configFile: false,
      logLevel: 'warn',
      ssr: { noExternal: true, target: 'node' },
      build: { ssr: 'train.mjs', outDir: 'bundle', emptyOutDir: true, minify: false },
    });
    const bundle = readdirSync(join(app, 'bundle')).find((f) => /\.m?js$/.test(f));
    if (!bundle) throw new Error('vite produced no bundle');
    return run('node', [join('bundle', bundle), 'vite-bundle'], app);
  });

  console.log(`pack-test passed in ${((performance.now() - started) / 1000).toFixed(1)} s (${temp})`);
  rmSync(temp, { recursive: true, force: true });
} catch {
  console.error(`pack-test failed; files kept in ${temp}`);
  process.exitCode = 1;
}
