/** Opaque keyset cursors: base64url JSON arrays of the sort key of the last row served. */
import type { Knex } from 'knex';
import { z } from 'zod';
import { HttpError } from '../http/errors';

export function encodeCursor(values: Array<string | number>): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/** Decodes and validates a cursor, so a forged one is a 400 and never reaches SQL as garbage. */
export function decodeCursor<S extends z.ZodType>(cursor: string, schema: S): z.infer<S> {
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    values = undefined;
  }
  const parsed = schema.safeParse(values);
  if (!parsed.success) throw new HttpError('bad_request', 'cursor: not a cursor this API issued');
  return parsed.data;
}

export const isoTimestamp = z.iso.datetime({ offset: true });
export const uuid = z.uuid();

/**
 * A timestamp column as ISO text with Postgres's full microsecond precision, for cursors over
 * columns defaulting to now(): a JS Date would round to milliseconds and skip or repeat rows.
 */
export function exactTimestamp(db: Knex, column: string, alias: string): Knex.Raw {
  return db.raw(`to_char(?? at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as ??`, [column, alias]);
}
