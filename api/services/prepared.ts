import { createHash } from 'node:crypto';
import type { Knex } from 'knex';

/**
 * Sends a statement as a named prepared statement: each pooled connection parses and analyses
 * its text once, then only binds and runs it. For the statements every inbox refresh sends (issue
 * #6, figures 6 to 8), where parsing was a fixed cost of each call. Postgres still plans each run
 * for its values (a custom plan) unless a generic one is as cheap, so a queue's plan keeps using
 * that queue's index. A name may only ever stand for one text on a connection, so the name is
 * the text's hash: another filter or page shape is another statement. Such a statement names its
 * columns: a prepared `select *` from a table a migration has since changed fails with "cached plan
 * must not change result type".
 */
export function prepared<Q extends Knex.QueryBuilder>(query: Q, label: string): Q {
  const digest = createHash('sha1').update(query.toSQL().sql).digest('hex').slice(0, 16);
  return query.options({ name: `${label}_${digest}` }) as Q;
}
