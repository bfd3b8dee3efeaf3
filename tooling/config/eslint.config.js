// Shared flat ESLint config: recommended JS + TypeScript rules, no type-aware rules (fast, no project service).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export function eslintConfig() {
  return tseslint.config(
    { ignores: ['dist/**', 'temp/**', 'etc/**', '**/*.d.ts'] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
      rules: {
        '@typescript-eslint/no-explicit-any': 'off',
        '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
        'no-restricted-syntax': [
          'error',
          { selector: "CallExpression[callee.property.name='dataSync']", message: 'Library code never calls dataSync (spec: Host data).' },
          { selector: 'ExportDefaultDeclaration', message: 'No default exports.' },
        ],
      },
    },
    {
      files: ['test/**', 'bench/**'],
      rules: { 'no-restricted-syntax': 'off' },
    },
  );
}
