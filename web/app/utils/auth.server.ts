import { redirect, type AppLoadContext } from '@remix-run/node';
import { authenticate } from '../../../api/http/authenticate';
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

/** Only same-site paths: `next` must never send a freshly signed-in user to another origin. */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/inbox';
}

export { clearedSessionCookie, readSessionToken, sessionCookie } from '../../../api/http/authenticate';
