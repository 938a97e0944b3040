/**
 * `npm test`: prepares everything the suites need on a fresh machine, then runs Jest.
 * - the Temporal CLI (built once into its cache, TECH-NOTES §1.1) for the dev servers tests start;
 * - Postgres: DATABASE_URL's server when set, else an embedded cluster under .data/test-postgres,
 *   with a migrated template database each test file copies;
 * - the workflow bundle and the web build the worker and web processes load.
 * Extra arguments go to Jest (e.g. `npm test -- --selectProjects unit`).
 * TEST_TEMPLATE_DB names the template database; KLIOVO_TEST_NO_BUILD=1 skips both builds.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { buildWeb, buildWorkflows } from './lib/build';
import { dropDatabase, ensureDatabase, startPostgres } from './lib/postgres';
import { DATA_DIR, ROOT, local } from './lib/local-env';
import { migrateLatest } from './lib/migrate';
import { ensureTemporalCli, SetupError } from './lib/temporal-cli';

// Overridable so parallel runs against one Postgres server do not drop each other's template.
const TEMPLATE_DB = process.env.TEST_TEMPLATE_DB ?? 'kliovo_test_template';
const say = (line: string) => console.log(`[test] ${line}`);

async function main(): Promise<number> {
  const started = Date.now();
  const cli = await ensureTemporalCli(say);
  const postgres = await startPostgres(local.databaseUrl, {
    dataDir: path.join(DATA_DIR, 'test-postgres'),
    port: Number(process.env.TEST_POSTGRES_PORT ?? 54339),
    log: say,
  });
  try {
    const serverUrl = postgres.url('postgres');
    await dropDatabase(serverUrl, TEMPLATE_DB);
    await ensureDatabase(serverUrl, TEMPLATE_DB);
    await migrateLatest(postgres.url(TEMPLATE_DB));
    // KLIOVO_TEST_NO_BUILD=1 for runs that start no worker or web process (unit, activity tests).
    const skipBuilds = process.env.KLIOVO_TEST_NO_BUILD === '1';
    if (!skipBuilds) buildWeb({ log: say });
    const bundle = skipBuilds ? '' : await buildWorkflows({ log: say });
    say(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s; running Jest`);

    const jest = require.resolve('jest/bin/jest');
    const args = [jest, '--runInBand', ...process.argv.slice(2)];
    return await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, args, {
        cwd: ROOT,
        stdio: 'inherit',
        env: {
          ...process.env,
          TEMPORAL_CLI: cli,
          TEST_DATABASE_SERVER_URL: serverUrl,
          TEST_DATABASE_TEMPLATE: TEMPLATE_DB,
          WORKFLOW_BUNDLE_PATH: bundle,
        },
      });
      process.on('SIGINT', () => child.kill('SIGINT'));
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    });
  } finally {
    await postgres.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof SetupError ? `\n${err.message}\n` : err);
    process.exit(1);
  },
);
