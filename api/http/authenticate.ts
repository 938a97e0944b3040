/**
 * Who is calling: a session cookie (the web) or `Authorization: Bearer <token>` (the REST API).
 * One function, used by Express routes and by Remix loaders through the load context.
 */
import { parse as parseCookie, serialize as serializeCookie } from 'cookie';
import type { Actor, AuthService } from '../services/auth.service';

export const SESSION_COOKIE = 'kliovo_session';

export function readSessionToken(cookieHeader: string | null | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  return parseCookie(cookieHeader)[SESSION_COOKIE] || undefined;
}

export async function authenticate(
  auth: AuthService,
  headers: { cookie?: string | null; authorization?: string | null },
): Promise<Actor | null> {
  const bearer = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1];
  if (bearer) return auth.tokenActor(bearer);
  return auth.sessionActor(readSessionToken(headers.cookie));
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
