import { redirect, type AppLoadContext } from '@remix-run/node';
import { authenticate, readSessionToken, retryAfterOf } from '../../../api/http/authenticate';
import type { Actor } from '../../../api/services/auth.service';

/**
 * One session lookup per page request: a navigation or revalidation runs the layout's loader and
 * the page's with the same load context (a fresh one per HTTP request), and both need the user.
 * Only reads share it; a form post runs its action first, which may change who is signed in.
 */
const actorsOfReads = new WeakMap<AppLoadContext, Promise<Actor | null>>();

function actorOf(request: Request, context: AppLoadContext): Promise<Actor | null> {
  const lookup = () => authenticate(context.services.auth, { cookie: request.headers.get('cookie') });
  if (request.method !== 'GET' && request.method !== 'HEAD') return lookup();
  let actor = actorsOfReads.get(context);
  if (!actor) {
    actor = lookup();
    actorsOfReads.set(context, actor);
  }
  return actor;
}

/** The signed-in user, or a redirect to the sign-in page that comes back here afterwards. */
export async function requireUser(request: Request, context: AppLoadContext): Promise<Actor> {
  const actor = await actorOf(request, context);
  if (actor) return actor;
  const url = new URL(request.url);
  throw redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`);
}

export async function optionalUser(request: Request, context: AppLoadContext): Promise<Actor | null> {
  return actorOf(request, context);
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
