// Lint rules: typescript-eslint's type-checked preset (type information from each folder's
// tsconfig.json), and the one architectural rule: only src/extension and test/host may import
// 'vscode' (the engine, the CLI, shared types and the webview stay VS Code-free).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const noVscode = {
  'no-restricted-imports': [
    'error',
    { paths: [{ name: 'vscode', message: 'Only src/extension and test/host may import vscode (docs/architecture.md, "The dependency rule").' }] },
  ],
};

export default tseslint.config(
  { ignores: ['src/core/config/pipelineSchema.validate.ts', 'out/**', 'dist/**', 'node_modules/**', '.vscode-test/**', 'test-results/**', 'bench-results/**', '.bench-cache/**', '.demo/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  { files: ['src/core/**', 'src/cli/**', 'src/shared/**', 'webview/**'], rules: noVscode },
  // Plain JavaScript (build scripts, benchmarks, test fixtures) is in no tsconfig: no type information.
  { files: ['**/*.mjs', '**/*.js', '**/*.cjs'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    languageOptions: {
      globals: {
        process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', performance: 'readonly',
        setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly',
      },
    },
  },
);
