/**
 * The one error middleware (STYLE §6): HttpError, ZodError and workflow update rejections become
 * `{ error: { code, message } }`; Temporal or Postgres out of reach is a 503 with Retry-After;
 * anything else is a logged 500 with no stack in the body.
 */
import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { ZodError } from 'zod';
import { HttpError } from './errors';
import { toHttpError } from '../services/workflow-errors';
import { RETRY_AFTER_SECONDS, unavailableDependency } from './dependency-errors';

export function errorMiddleware(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const down = unavailableDependency(err);
    if (down) {
      log.warn({ dependency: down, err: errSummary(err), path: req.path }, `request failed: ${down} unavailable`);
      if (res.headersSent) return;
      res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      res.status(503).json({
        error: { code: 'unavailable', message: 'the service is briefly unavailable; retry in a few seconds' },
      });
      return;
    }
    const known = classify(err);
    if (known.status >= 500) log.error({ err: errSummary(err), path: req.path }, 'request failed');
    if (res.headersSent) return;
    res.status(known.status).json({ error: { code: known.code, message: known.message } });
  };
}

function classify(err: unknown): { status: number; code: string; message: string } {
  if (HttpError.is(err)) return { status: err.status, code: err.code, message: err.message };
  if (err instanceof ZodError) {
    const first = err.issues[0];
    const where = first?.path.length ? `${first.path.join('.')}: ` : '';
    return { status: 400, code: 'bad_request', message: `${where}${first?.message ?? 'invalid input'}` };
  }
  // body-parser errors carry a status and a type.
  const status = (err as { status?: number; type?: string })?.status;
  if (status === 413) return { status, code: 'payload_too_large', message: 'the request body is too large' };
  if (status === 400) return { status, code: 'bad_request', message: 'the request body is not valid JSON' };
  const mapped = toHttpError(err);
  if (mapped) return { status: mapped.status, code: mapped.code, message: mapped.message };
  return { status: 500, code: 'internal', message: 'something went wrong on our side' };
}

function errSummary(err: unknown): { name?: string; message?: string; stack?: string } {
  return err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : { message: String(err) };
}
