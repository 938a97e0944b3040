/** What scripts/test.ts hands the suites; a clear message when a suite is run without it. */
export function requireTestEnv(
  name: 'TEMPORAL_CLI' | 'TEST_DATABASE_SERVER_URL' | 'TEST_DATABASE_TEMPLATE' | 'WORKFLOW_BUNDLE_PATH',
): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set: run the suites through \`npm test\` (scripts/test.ts), which prepares it`);
  return value;
}
