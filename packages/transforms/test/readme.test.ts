import { readFileSync } from 'node:fs';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { ensureGradients } from '@nnx-ts/backend';

ensureGradients();
import ts from 'typescript';
import { expect, it } from 'vitest';

// Runs the README example verbatim (transpiled), with the package imports pointed at the sources under test.
it('the README example trains and prints a falling loss', async () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(readme)![1]!;
  const js = ts.transpileModule(code, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText;
  const logs: unknown[][] = [];
  const body = js
    .replace(/^import .*$/gm, '')
    .replace(/console\.log\(/g, 'log(');
  const modules = { tf, ...(await import('@nnx-ts/module')), ...(await import('../src/index.js')) };
  const run = new Function(...Object.keys(modules), 'log', `return (async () => {${body}})();`);
  await run(...Object.values(modules), (...a: unknown[]) => logs.push(a));
  expect(logs.length).toBe(5);
  const losses = logs.map((l) => l[1] as number);
  expect(losses[4]!).toBeLessThan(losses[0]! / 10);
});
