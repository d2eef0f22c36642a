// Lint: the recommended JavaScript and typescript-eslint rules over the project's TypeScript.
// Formatting is not linted; tsc (`npm run typecheck`) checks the types.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'test-artifacts/', 'node_modules/', 'data/', 'infra/build/', 'coverage/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Plain JavaScript files here are Node scripts.
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
  },
  {
    rules: {
      // tsc reports unused locals (noUnusedLocals); this adds parameters and plain JavaScript files.
      '@typescript-eslint/no-unused-vars': ['error', { args: 'after-used', argsIgnorePattern: '^_', caughtErrors: 'none', varsIgnorePattern: '^_' }],
    },
  },
  {
    // A user's PDF is loaded with pdf-lib through the structure guard only (its own load inflates without a bound).
    files: ['shared/**/*.ts', 'functions/**/*.ts', 'cli/**/*.ts', 'emulators/**/*.ts'],
    ignores: ['shared/engines/pdf-structure-guard.ts'],
    rules: {
      'no-restricted-syntax': ['error', { selector: "MemberExpression[object.name='PDFDocument'][property.name='load']", message: 'Load PDFs with loadPdfDocument (shared/engines/pdf-structure-guard.ts): it bounds what pdf-lib inflates.' }],
    },
  },
);
