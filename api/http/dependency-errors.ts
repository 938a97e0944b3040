/**
 * A request that failed because Temporal or Postgres could not be reached is the server's
 * temporary trouble, not a bug in the request or in our code: it becomes a 503 with Retry-After,
 * so Meta (which redelivers any webhook it did not get a 200 for) and API clients come back, and
 * the log names the dependency instead of a bare 500.
 */

/** gRPC codes of a Temporal frontend that is down, restarting or overloaded. */
const TEMPORAL_UNAVAILABLE_CODES = new Set([
  4, // DEADLINE_EXCEEDED
  8, // RESOURCE_EXHAUSTED
  14, // UNAVAILABLE
]);

/** Socket errors, and the SQLSTATEs of a Postgres that is shutting down, starting or unreachable. */
const POSTGRES_UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000', // connection_exception
  '08001', // sqlclient_unable_to_establish_sqlconnection
  '08003', // connection_does_not_exist
  '08006', // connection_failure
]);

export type UnavailableDependency = 'temporal' | 'postgres';

export function unavailableDependency(err: unknown): UnavailableDependency | undefined {
  // Temporal's client wraps the gRPC error (ServiceError.cause); pg errors may sit under a knex
  // or Objection wrapper. A few levels of `cause` cover both.
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const e = current as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown; nativeError?: unknown };
    if (e.name === 'ServiceError' || e.name === 'WorkflowUpdateRPCTimeoutOrCancelledError') {
      const grpc = e.cause as { code?: unknown } | undefined;
      if (typeof grpc?.code === 'number' && TEMPORAL_UNAVAILABLE_CODES.has(grpc.code)) return 'temporal';
      if (e.name === 'WorkflowUpdateRPCTimeoutOrCancelledError') return 'temporal';
    }
    if (typeof e.code === 'number' && TEMPORAL_UNAVAILABLE_CODES.has(e.code) && 'metadata' in e) return 'temporal';
    if (typeof e.code === 'string' && POSTGRES_UNAVAILABLE_CODES.has(e.code)) return 'postgres';
    // The pool gave up waiting for a connection (Postgres down or every connection stuck).
    if (e.name === 'KnexTimeoutError') return 'postgres';
    if (typeof e.message === 'string' && /^Connection terminated( unexpectedly)?/.test(e.message)) return 'postgres';
    current = e.cause ?? e.nativeError;
  }
  return undefined;
}

/** Seconds a client should wait before retrying: about how long a restart takes. */
export const RETRY_AFTER_SECONDS = 5;
