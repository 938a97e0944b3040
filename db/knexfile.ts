/**
 * Knex configuration. DATABASE_URL when set; otherwise the embedded cluster `npm start` runs
 * (scripts/lib/postgres.ts) on its default port.
 */
import path from 'node:path';
import knex, { type Knex } from 'knex';
import { Model } from 'objection';

export const DEFAULT_DATABASE_URL = 'postgres://postgres:postgres@127.0.0.1:54329/kliovo';
export const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

export function knexConfig(databaseUrl: string, pool: Knex.PoolConfig = { min: 0, max: 10 }): Knex.Config {
  return {
    client: 'pg',
    connection: databaseUrl,
    pool,
    migrations: { directory: MIGRATIONS_DIR, loadExtensions: ['.ts'], tableName: 'knex_migrations' },
  };
}

/** Opens a pool and binds Objection's models to it (one pool per process). */
export function createDb(databaseUrl: string, pool?: Knex.PoolConfig): Knex {
  const db = knex(knexConfig(databaseUrl, pool));
  Model.knex(db);
  return db;
}

/** For the knex CLI and ad-hoc tooling; the app passes its parsed config instead. */
export default knexConfig(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
