import { redirect, type AppLoadContext } from '@remix-run/node';
import { authenticate, readSessionToken, retryAfterOf } from '../../../api/http/authenticate';
import type { Actor } from '../../../api/services/auth.service';

/** The signed-in user, or a redirect to the sign-in page that comes back here afterwards. */
export async function requireUser(request: Request, context: AppLoadContext): Promise<Actor> {
  const actor = await authenticate(context.services.auth, { cookie: request.headers.get('cookie') });
  if (actor) return actor;
  const url = new URL(request.url);
  throw redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`);
}

export async function optionalUser(request: Request, context: AppLoadContext): Promise<Actor | null> {
  return authenticate(context.services.auth, { cookie: request.headers.get('cookie') });
}

/**
 * Signs in from a login form: counted against this client's address for rate limiting, and the
 * browser's previous session (if any) is replaced (DESIGN §4). `throttled` carries the seconds
 * for Retry-After.
 */
export async function signInFromRequest(request: Request, context: AppLoadContext, email: string, password: string) {
  try {
    const session = await context.services.auth.signIn(email, password, {
      ip: context.clientIp,
      previousSessionToken: readSessionToken(request.headers.get('cookie')),
    });
    return session ? { ok: true as const, session } : { ok: false as const, throttled: null };
  } catch (err) {
    const retryAfter = retryAfterOf(err);
    if (retryAfter === null) throw err;
    return { ok: false as const, throttled: { retryAfterSeconds: retryAfter } };
  }
}

/** Only same-site paths: `next` must never send a freshly signed-in user to another origin. */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/inbox';
}

export { clearedSessionCookie, readSessionToken, sessionCookie } from '../../../api/http/authenticate';
