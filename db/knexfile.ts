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

/**
 * What the inbox list's pool sets on each of its connections: keep one plan per prepared statement.
 * Postgres plans a statement for its values while that looks cheaper than its kept plan, and for
 * the list's deep pages of the All queues it always does: it estimates the page's cursor
 * comparison from its first column alone (escalation level below the cursor's: almost none), so
 * each run's own plan looks 10 times cheaper, and every page was planned again (0.25-0.3 ms of a
 * 0.9-1.0 ms statement at 100,000 conversations; issue #6, figure 6). The plan it keeps reads the
 * same index, in the same order.
 */
export const LIST_CONNECTION_OPTIONS = '-c plan_cache_mode=force_generic_plan';

/**
 * A second, small pool for the inbox list's pages alone (inbox.service.ts listConversations): the
 * setting above holds for every statement of a connection, the unnamed ones knex sends too, so no
 * other query shares these connections. Objection's models stay bound to createDb's pool.
 */
export function createListDb(databaseUrl: string, pool: Knex.PoolConfig = { min: 0, max: 4 }): Knex {
  return knex({
    ...knexConfig(databaseUrl, pool),
    connection: { connectionString: databaseUrl, options: LIST_CONNECTION_OPTIONS },
  });
}

/** For the knex CLI and ad-hoc tooling; the app passes its parsed config instead. */
export default knexConfig(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
