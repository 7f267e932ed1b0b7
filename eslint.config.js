// Lint: typescript-eslint's recommended rules, prettier's formatting left to prettier, and
// the layers (docs/architecture.md): each folder imports only the folders below it.
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * Each layer and the layers it imports, top to bottom: what the code does, no more
 * (test/lint/layers.test.ts fails on a pair no import uses). docs/architecture.md draws it.
 */
export const LAYERS = {
  bench: ['cli', 'config', 'journal', 'users'],
  scripts: ['client'],
  cli: ['client', 'config', 'smtp', 'journal', 'users', 'cics'],
  region: ['transactions', 'client', 'config', 'smtp', 'journal', 'users', 'cics'],
  transactions: ['smtp', 'journal', 'cics'],
  client: ['journal', 'cics'],
  config: ['smtp', 'journal', 'cics'],
  smtp: ['cics'],
  journal: ['cics'],
  users: ['cics'],
  cics: [],
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.tap/', 'data/', 'coverage/', 'test/fixtures/cobol/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A variable that a callback reads before its one assignment cannot be a const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // fastify's hooks and handlers are async whether they await or not: that is how a
      // route answers with a value.
      '@typescript-eslint/require-await': 'off',
      // tap's tests are promises that tap itself waits for.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafePromises: [{ from: 'package', name: 'PromiseWithSubtest', package: '@tapjs/core' }] },
      ],
      // Finding control characters is what those expressions are for (header injection, SMTP smuggling).
      'no-control-regex': 'off',
      // A leading underscore names what is left out on purpose (a destructured field, an argument).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    // Scripts outside any tsconfig: the command's launcher, this file, the test runner's hooks.
    files: ['**/*.js', '**/*.mjs'],
    ignores: ['region/console/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The console's modules run in the browser (region/routes/console.ts serves them), typed by
    // their JSDoc: region/console/tsconfig.json, which the project service finds beside them.
    files: ['region/console/**/*.js'],
    languageOptions: { globals: globals.browser },
  },
  {
    // Tests and fixtures import whatever they test; the layers are for the production folders.
    files: Object.keys(LAYERS).map((layer) => `${layer}/**/*.ts`),
    plugins: { boundaries },
    settings: {
      'import/resolver': { typescript: { project: './tsconfig.json' } },
      // The start command is the one command that starts a region.
      'boundaries/files': [{ category: 'start', pattern: 'cli/start.ts' }],
      'boundaries/elements': [...Object.keys(LAYERS).map((type) => ({ type, pattern: type }))],
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          policies: [
            ...Object.entries(LAYERS).map(([type, below]) => ({
              from: { element: { type } },
              allow: { to: [type, ...below].map((t) => ({ element: { type: t } })) },
            })),
            { from: { file: { categories: 'start' } }, allow: { to: { element: { type: 'region' } } } },
          ],
        },
      ],
    },
  },
  prettier,
);
