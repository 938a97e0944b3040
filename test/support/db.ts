/** A fresh Postgres database per test file, copied from the migrated template (STYLE §10). */
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { createDb } from '../../db/knexfile';
import { dropDatabase, ensureDatabase, withDatabase } from '../../scripts/lib/postgres';
import { requireTestEnv } from './env';

export interface TestDatabase {
  url: string;
  db: Knex;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const server = requireTestEnv('TEST_DATABASE_SERVER_URL');
  const name = `kliovo_test_${randomBytes(5).toString('hex')}`;
  await ensureDatabase(server, name, requireTestEnv('TEST_DATABASE_TEMPLATE'));
  const url = withDatabase(server, name);
  const db = createDb(url, { min: 0, max: 5 });
  return {
    url,
    db,
    async drop() {
      await db.destroy();
      await dropDatabase(server, name);
    },
  };
}
