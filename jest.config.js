/**
 * Four Jest projects (STYLE §10). `npm test` (scripts/test.ts) provides what the last three need:
 * the Temporal CLI path, a Postgres server with a migrated template database, and prebuilt
 * workflow and web bundles.
 */
const transform = {
  '^.+\\.tsx?$': [
    '@swc/jest',
    {
      jsc: {
        parser: { syntax: 'typescript', tsx: true },
        transform: { react: { runtime: 'automatic' } },
        target: 'es2022',
      },
    },
  ],
};

const project = (name, extra = {}) => ({
  displayName: name,
  testEnvironment: 'node',
  transform,
  roots: [`<rootDir>/test/${name}`],
  testMatch: ['**/*.test.ts'],
  moduleFileExtensions: ['ts', 'tsx', 'js', 'json'],
  ...extra,
});

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    project('unit'),
    project('workflows', { slowTestThreshold: 30 }),
    project('integration', { slowTestThreshold: 60 }),
    project('e2e', { slowTestThreshold: 60 }),
  ],
  testTimeout: 60_000,
};
