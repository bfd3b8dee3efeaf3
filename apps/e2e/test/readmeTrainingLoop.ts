// Runs the ```ts block under "## Training loop" in packages/module/README.md verbatim: its import lines are
// replaced by the same names passed in scope, the TypeScript is stripped of types by `ts.transpileModule`, and
// `nnx.read` is wrapped to sample `tf.memory()` after every call (the loop reads each step's loss).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { nnx, ocp, optax, random, tree } from 'nnx-ts';
import ts from 'typescript';
import type { MemorySample } from './digits.js';

const README = fileURLToPath(new URL('../../../packages/module/README.md', import.meta.url));
const IMPORT = /^import\s+(?:\*\s+as\s+(\w+)|\{([^}]*)\})\s+from\s+'([^']+)';\s*$/;

/** The code block under the README's "## Training loop" heading. */
export function trainingLoopSource(): string {
  const markdown = readFileSync(README, 'utf8');
  const section = markdown.split(/^## /m).find((s) => s.startsWith('Training loop\n'));
  const block = section === undefined ? null : /```ts\n([\s\S]*?)```/.exec(section);
  if (block === null) throw new Error(`${README}: no \`\`\`ts block under "## Training loop"`);
  return block[1]!;
}

export interface LoopRun {
  /** `tf.memory()` after each `nnx.read` the loop made (one per step). */
  memory: MemorySample[];
  /** What the loop printed with console.log. */
  logged: unknown[][];
}

/** Runs the README's training loop with its imported names bound to the real modules. */
export async function runTrainingLoop(): Promise<LoopRun> {
  const memory: MemorySample[] = [];
  const logged: unknown[][] = [];
  const instrumentedNnx = {
    ...nnx,
    read: async (...args: Parameters<typeof nnx.read>) => {
      const value = await nnx.read(...args);
      const { numTensors, numBytes } = tf.memory();
      memory.push({ numTensors, numBytes });
      return value;
    },
  };
  const available: Record<string, Record<string, unknown>> = {
    '@tensorflow/tfjs-core': { '*': tf },
    'nnx-ts': { nnx: instrumentedNnx, optax, ocp, tree, random },
  };
  const scope: Record<string, unknown> = { console: { log: (...args: unknown[]) => logged.push(args) } };
  const body: string[] = [];
  for (const line of trainingLoopSource().split('\n')) {
    const match = IMPORT.exec(line);
    if (match === null) {
      body.push(line);
      continue;
    }
    const [, namespace, named, from] = match;
    const module = available[from!];
    if (module === undefined) throw new Error(`README training loop imports from '${from}', which this test does not provide`);
    if (namespace !== undefined) scope[namespace] = module['*'];
    for (const name of named?.split(',').map((s) => s.trim()).filter(Boolean) ?? []) {
      if (!(name in module)) throw new Error(`README training loop imports '${name}' from '${from}', which has no such export`);
      scope[name] = module[name];
    }
    body.push('');
  }
  const js = ts.transpileModule(body.join('\n'), {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  }).outputText;
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (
    ...values: unknown[]
  ) => Promise<void>;
  await new AsyncFunction(...Object.keys(scope), js)(...Object.values(scope));
  return { memory, logged };
}
