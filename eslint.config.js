// @ts-check
// ESLint flat config: typescript-eslint's recommended rules plus the import boundaries of src/.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { BOUNDARIES } from './eslint/boundaries.js';
import { importBoundaries } from './eslint/import-boundaries.js';

const root = path.dirname(fileURLToPath(import.meta.url));
const boundaries = { rules: { imports: importBoundaries({ srcDir: path.join(root, 'src'), boundaries: BOUNDARIES }) } };

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'test-artifacts/', 'bench/out/', 'terraform-runs/', 'data/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...nodeGlobals() } },
    plugins: { boundaries },
    rules: {
      'boundaries/imports': 'error',
      // `_`-prefixed names are the house way of saying "deliberately unused" (callback positions).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    // Tests read loosely typed JSON responses; src/ keeps `any` out (boundaries are zod-validated).
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['src/dashboard/**/*.ts'],
    languageOptions: { globals: { ...browserGlobals() } },
  },
);

function nodeGlobals() {
  const names = [
    'process',
    'console',
    'Buffer',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'setImmediate',
    'clearImmediate',
    'URL',
    'URLSearchParams',
    'AbortController',
    'AbortSignal',
    'fetch',
    'TextEncoder',
    'TextDecoder',
    'structuredClone',
    'queueMicrotask',
    'performance',
    'Response',
    'Request',
    'Headers',
  ];
  return Object.fromEntries(names.map((n) => [n, 'readonly']));
}

function browserGlobals() {
  const names = [
    'window',
    'document',
    'EventSource',
    'HTMLElement',
    'HTMLInputElement',
    'localStorage',
    'location',
    'navigator',
    'sessionStorage',
    'Event',
    'MessageEvent',
    'Element',
    'Node',
  ];
  return Object.fromEntries(names.map((n) => [n, 'readonly']));
}
