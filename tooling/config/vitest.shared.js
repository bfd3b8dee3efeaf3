// Shared vitest configuration. Vite 8's Oxc transform leaves TC39 decorators untransformed, which Node 20
// cannot parse, so files that use decorators are lowered with TypeScript's own transpiler first.
import ts from 'typescript';
import { defineConfig } from 'vitest/config';

const DECORATOR = /^\s*@[\w$(]/m;

/** Vite plugin: lower TC39 decorators in .ts files with `ts.transpileModule` (target ES2022). */
export function lowerDecorators() {
  return {
    name: 'nnx-ts:lower-decorators',
    enforce: 'pre',
    transform(code, id) {
      if (!/\.[cm]?tsx?$/.test(id) || id.includes('node_modules') || !DECORATOR.test(code)) return null;
      const out = ts.transpileModule(code, {
        fileName: id,
        compilerOptions: {
          target: ts.ScriptTarget.ES2022,
          module: ts.ModuleKind.ESNext,
          sourceMap: true,
          verbatimModuleSyntax: false,
          isolatedModules: true,
        },
      });
      return { code: out.outputText, map: out.sourceMapText ? JSON.parse(out.sourceMapText) : null };
    },
  };
}

/**
 * @param {string} name package name shown in test output
 * @param {import('vitest/config').UserConfig['test']} [test] extra test options
 */
export function vitestConfig(name, test = {}) {
  return defineConfig({
    plugins: [lowerDecorators()],
    test: {
      name,
      include: ['test/**/*.test.ts'],
      testTimeout: 30_000,
      ...test,
    },
  });
}
