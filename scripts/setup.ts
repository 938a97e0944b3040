/**
 * `npm run setup`: what `npm start` prepares before it starts anything: the Temporal CLI in its
 * cache, the Postgres cluster and database, the schema, and the builds.
 */
import { buildWeb, buildWorkflows } from './lib/build';
import { ensureDatabase, startPostgres } from './lib/postgres';
import { local } from './lib/local-env';
import { migrateLatest } from './lib/migrate';
import { ensureTemporalCli, SetupError } from './lib/temporal-cli';

async function main(): Promise<void> {
  const cli = await ensureTemporalCli();
  console.log(`Temporal CLI: ${cli}`);
  const postgres = await startPostgres(local.databaseUrl, { dataDir: local.postgresDir, port: local.postgresPort });
  try {
    if (postgres.embedded) await ensureDatabase(postgres.url('postgres'), local.database);
    const ran = await migrateLatest(local.databaseUrl ?? postgres.url(local.database));
    console.log(ran.length ? `Ran ${ran.length} migration(s)` : 'Database schema up to date');
  } finally {
    await postgres.stop();
  }
  buildWeb({ log: console.log });
  await buildWorkflows({ log: console.log });
  console.log('Setup complete: `npm start` runs the product.');
}

main().catch((err: unknown) => {
  console.error(err instanceof SetupError ? err.message : err);
  process.exit(1);
});
