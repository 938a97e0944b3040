// ESLint 9 flat config. Fast by design: typescript-eslint's non-type-checked rules only
// (`npm run typecheck` does the type work). The import rules of STYLE §1 are enforced here with
// @typescript-eslint/no-restricted-imports (the core rule's options plus per-pattern `allowTypeImports`).
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import prettier from 'eslint-config-prettier/flat';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// A path list matches exact specifiers; each package also gets a `name/**` pattern for subpaths.
const exact = (names, message) => names.map((name) => ({ name, message }));
const subpaths = (names, message) => ({ group: names.map((name) => `${name}/**`), message });

// ---- workflows/**: deterministic code only (STYLE §1, TECH-NOTES §10.8) -------------------------
// builtinModules already lists the importable subpaths (fs/promises, path/posix, …).
const NODE_BUILTINS = builtinModules.filter((m) => !m.startsWith('_'));
const WORKFLOW_IO_PACKAGES = [
  'pg',
  'knex',
  'objection',
  'openai',
  'express',
  'pino',
  '@temporalio/activity',
  '@temporalio/client',
  '@temporalio/worker',
];
const workflowImportRules = {
  paths: [
    ...exact(NODE_BUILTINS, 'Workflows are deterministic: no Node built-ins (STYLE §1). Do I/O in an activity.'),
    ...exact(
      WORKFLOW_IO_PACKAGES,
      'Workflows use @temporalio/workflow and @temporalio/common only; I/O belongs in activities (STYLE §1).',
    ),
  ],
  patterns: [
    { group: ['node:*'], message: 'Workflows are deterministic: no Node built-ins (STYLE §1). Do I/O in an activity.' },
    subpaths(WORKFLOW_IO_PACKAGES, 'Workflows use @temporalio/workflow and @temporalio/common only (STYLE §1).'),
    {
      group: ['**/db', '**/db/**', '**/api', '**/api/**', '**/web', '**/web/**'],
      message: 'Workflows never import db/, api/ or web/ (STYLE §1).',
    },
    {
      group: ['**/activities', '**/activities/**'],
      allowTypeImports: true,
      message:
        'Workflows import activities as types only: `import type { … }` and call them through workflows/shared/activity-profiles.ts (STYLE §1).',
    },
  ],
};

// ---- outside workflows/: runtime imports only from contracts, errors and start options ---------
// Workflow functions are imported with `import type` and started by name (STYLE §1). One pure
// exception: conversation/snapshot.ts, the snapshot a run's opening writes, which the opening's
// local activity computes with the workflow's own pure steps (issue #6).
// A regex, not a gitignore group: a group cannot re-include a file under an excluded directory.
const workflowsFromOutside = {
  regex: String.raw`(^|/)workflows(/(?!(.*/)?contract(\.ts)?$|shared/(errors|search-attributes|workflow-task-timeout)(\.ts)?$|conversation/snapshot(\.ts)?$).*)?$`,
  allowTypeImports: true,
  message:
    'Outside workflows/, only **/contract.ts, conversation/snapshot.ts and shared/{errors,search-attributes,workflow-task-timeout}.ts are imported at runtime; use `import type` for anything else (STYLE §1).',
};

// ---- activities/**: the activity side of the SDK only ------------------------------------------
const activitiesImportRules = {
  paths: exact(
    ['@temporalio/workflow'],
    'Activities use @temporalio/activity and @temporalio/common, never @temporalio/workflow (STYLE §1).',
  ),
  patterns: [
    subpaths(['@temporalio/workflow'], 'Activities never import @temporalio/workflow (STYLE §1).'),
    workflowsFromOutside,
  ],
};

// ---- web/app/** (except *.server.ts): no database or Temporal client ---------------------------
const WEB_FORBIDDEN = ['knex', 'pg', 'objection', '@temporalio/client'];
const webImportRules = {
  paths: exact(
    WEB_FORBIDDEN,
    'No Knex, pg, Objection or Temporal client in web/: call a service from the load context (STYLE §7).',
  ),
  patterns: [
    subpaths(WEB_FORBIDDEN, 'No Knex, pg, Objection or Temporal client in web/ (STYLE §7).'),
    workflowsFromOutside,
  ],
};

export default defineConfig(
  globalIgnores(['build/', '.data/', 'node_modules/', 'coverage/', 'test/e2e/artifacts/'], 'kliovo/ignores'),

  js.configs.recommended,
  tseslint.configs.recommended,

  {
    name: 'kliovo/base',
    languageOptions: {
      ecmaVersion: 2022,
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: 'warn' },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      '@typescript-eslint/no-explicit-any': 'warn',
    },
  },

  {
    // The package is CommonJS: plain .js files (jest.config.js) use require/module.exports.
    name: 'kliovo/commonjs',
    files: ['**/*.{js,cjs}'],
    languageOptions: { sourceType: 'commonjs' },
  },
  {
    name: 'kliovo/web-browser',
    files: ['web/app/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    name: 'kliovo/react-hooks',
    files: ['web/app/**/*.tsx'],
    plugins: { 'react-hooks': reactHooks },
    rules: { ...reactHooks.configs.recommended.rules },
  },
  {
    name: 'kliovo/tests',
    files: ['test/**/*.{ts,tsx}', '**/*.test.{ts,tsx}'],
    languageOptions: { globals: { ...globals.jest } },
  },

  // STYLE §1 import rules. A later block replaces the rule's options for the files it matches, so
  // each block lists every group that applies to its files. test/ and scripts/ are unrestricted:
  // unit tests exercise workflows/**/state.ts directly and tooling bundles the workflows.
  {
    name: 'kliovo/imports/workflows',
    files: ['workflows/**/*.{ts,tsx,mts,cts,js,mjs,cjs}'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', workflowImportRules] },
  },
  {
    name: 'kliovo/imports/outside-workflows',
    // web/app files other than *.server.ts get this group again in the web block below.
    files: ['api/**/*.{ts,tsx}', 'workers/**/*.{ts,tsx}', 'db/**/*.{ts,tsx}', 'web/**/*.{ts,tsx}'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [workflowsFromOutside] }] },
  },
  {
    name: 'kliovo/imports/activities',
    files: ['activities/**/*.{ts,tsx,mts,cts,js,mjs,cjs}'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', activitiesImportRules] },
  },
  {
    name: 'kliovo/imports/web',
    files: ['web/app/**/*.{ts,tsx}'],
    ignores: ['web/app/**/*.server.{ts,tsx}', 'web/app/**/.server/**'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', webImportRules] },
  },

  // Last: turn off every stylistic rule that Prettier owns.
  prettier,
);
