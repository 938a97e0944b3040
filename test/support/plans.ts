/**
 * What Postgres does with a prepared statement the services send (api/services/prepared.ts):
 * whether it kept one plan for every run (a generic plan) and what that plan reads.
 */
import type { Knex } from 'knex';
import { createDb, createListDb } from '../../db/knexfile';

export interface KeptPlan {
  /** Runs Postgres served from the one plan it kept, of `runs`. */
  genericRuns: number;
  /** That plan, as EXPLAIN (GENERIC_PLAN) shows it with sequential scans ruled out. */
  plan: string;
}

/**
 * Sends the statement `send` makes `runs` times on one connection (so the prepared statement and
 * its counters are the ones read), then explains its generic plan. Sequential scans are ruled out
 * because a test's tables are tiny: what is left shows which indexes the plan is able to use.
 * `pool: 'list'` opens the connection as the inbox list's pool does (createListDb).
 */
export async function keptPlan(
  url: string,
  send: (db: Knex) => Promise<unknown>,
  { runs = 8, pool = 'default' }: { runs?: number; pool?: 'default' | 'list' } = {},
): Promise<KeptPlan> {
  const db = pool === 'list' ? createListDb(url, { min: 1, max: 1 }) : createDb(url, { min: 1, max: 1 });
  try {
    const sent: Array<{ sql: string; name?: string }> = [];
    const listen = (q: { sql: string; options?: { name?: string } }) =>
      sent.push({ sql: q.sql, name: q.options?.name });
    db.on('query', listen);
    for (let i = 0; i < runs; i++) await send(db);
    db.removeListener('query', listen);
    const { sql, name } = sent[0]!;
    if (!name || sent.some((s) => s.name !== name)) throw new Error('expected one named statement, sent each run');
    const [row] = await db('pg_prepared_statements').where({ name }).select('generic_plans');
    await db.raw('set enable_seqscan = off');
    const { rows } = await db.raw(`explain (generic_plan) ${sql}`);
    return {
      genericRuns: Number(row?.generic_plans ?? 0),
      plan: rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n'),
    };
  } finally {
    await db.destroy();
  }
}
