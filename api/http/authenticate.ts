/**
 * Who is calling: a session cookie (the web) or `Authorization: Bearer <token>` (the REST API).
 * One function, used by Express routes and by Remix loaders through the load context. The cookie
 * is HttpOnly, SameSite=Lax, Path=/ and Secure in production (DESIGN §4).
 */
import { parse as parseCookie, serialize as serializeCookie } from 'cookie';
import type { ErrorRequestHandler } from 'express';
import type { Actor, AuthService } from '../services/auth.service';
import { HttpError } from './errors';

export const SESSION_COOKIE = 'kliovo_session';

export function readSessionToken(cookieHeader: string | null | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  return parseCookie(cookieHeader)[SESSION_COOKIE] || undefined;
}

/**
 * The user behind the request's credentials, re-read with their session or token on every call
 * (a disabled user or a changed role counts at once). `touch: false` does not count as activity.
 */
export async function authenticate(
  auth: AuthService,
  headers: { cookie?: string | null; authorization?: string | null },
  opts: { touch?: boolean } = {},
): Promise<Actor | null> {
  const bearer = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1];
  if (bearer) return auth.tokenActor(bearer, opts);
  return auth.sessionActor(readSessionToken(headers.cookie), opts);
}

/**
 * Seconds for `Retry-After` when `err` is a throttled sign-in (LoginThrottledError in
 * auth.service.ts, recognised by HttpError's brand and code), or null for anything else.
 */
export function retryAfterOf(err: unknown): number | null {
  if (!HttpError.is(err) || err.code !== 'too_many_requests') return null;
  const seconds = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  return typeof seconds === 'number' && seconds > 0 ? Math.ceil(seconds) : 60;
}

/**
 * Logs and audits every 403 (`auth.forbidden`, DESIGN §4) before the error middleware answers it:
 * role refusals from the services and cross-origin refusals alike. Mounted just before it.
 */
export function auditForbidden(auth: AuthService): ErrorRequestHandler {
  return (err, req, _res, next) => {
    if (!HttpError.is(err) || err.code !== 'forbidden') return next(err);
    const headers = { cookie: req.get('cookie'), authorization: req.get('authorization') };
    authenticate(auth, headers, { touch: false })
      .catch(() => null)
      .then((actor) =>
        auth.recordForbidden(actor, { method: req.method, path: req.originalUrl.split('?')[0]!, ip: req.ip }),
      )
      .catch(() => undefined)
      .finally(() => next(err));
  };
}

export function sessionCookie(token: string, opts: { secure: boolean; expires: Date }): string {
  return serializeCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: opts.secure,
    path: '/',
    expires: opts.expires,
  });
}

export function clearedSessionCookie(opts: { secure: boolean }): string {
  return serializeCookie(SESSION_COOKIE, '', {
    httpOnly: true,
    sameSite: 'lax',
    secure: opts.secure,
    path: '/',
    maxAge: 0,
  });
}
