import { redirect, type ActionFunctionArgs } from '@remix-run/node';
import { clearedSessionCookie, readSessionToken } from '../utils/auth.server';

export async function action({ request, context }: ActionFunctionArgs) {
  const token = readSessionToken(request.headers.get('cookie'));
  if (token) await context.services.auth.signOut(token);
  return redirect('/login', {
    headers: { 'Set-Cookie': clearedSessionCookie({ secure: context.config.secureCookies }) },
  });
}

// Signing out changes state, so it is POST only; a GET just goes home.
export const loader = () => redirect('/inbox/all');
