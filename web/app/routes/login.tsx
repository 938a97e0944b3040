import {
  data,
  redirect,
  type ActionFunctionArgs,
  type HeadersFunction,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node';
import { Form, useActionData, useNavigation, useSearchParams } from '@remix-run/react';
import { z } from 'zod';
import { optionalUser, safeNext, sessionCookie, signInFromRequest } from '../utils/auth.server';

export const meta: MetaFunction = () => [{ title: 'Sign in · Kliovo Inbox' }];

const SignInSchema = z.object({
  email: z.string().trim().min(1, 'Enter your email').max(320),
  password: z.string().min(1, 'Enter your password').max(1024),
  next: z.string().optional(),
});

// A locked sign-in's Retry-After reaches the page response too (Remix keeps only what this returns).
export const headers: HeadersFunction = ({ actionHeaders }) => {
  const headers = new Headers();
  const retryAfter = actionHeaders.get('Retry-After');
  if (retryAfter) headers.set('Retry-After', retryAfter);
  return headers;
};

export async function loader({ request, context }: LoaderFunctionArgs) {
  if (await optionalUser(request, context)) throw redirect(safeNext(new URL(request.url).searchParams.get('next')));
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const parsed = SignInSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) return data({ error: parsed.error.issues[0]?.message ?? 'Check the form' }, { status: 400 });
  const result = await signInFromRequest(request, context, parsed.data.email, parsed.data.password);
  if (result.throttled) {
    // The same answer whether or not the account exists (no account enumeration).
    return data(
      { error: 'Too many sign-in attempts. Wait a few minutes, then try again.' },
      { status: 429, headers: { 'Retry-After': String(result.throttled.retryAfterSeconds) } },
    );
  }
  if (!result.ok) return data({ error: 'That email and password do not match an account.' }, { status: 401 });
  const { session } = result;
  return redirect(safeNext(parsed.data.next ?? null), {
    headers: {
      'Set-Cookie': sessionCookie(session.sessionToken, {
        secure: context.config.secureCookies,
        expires: session.expiresAt,
      }),
    },
  });
}

export default function Login() {
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const busy = useNavigation().state !== 'idle';
  return (
    <main className="login">
      <div className="login-card">
        <h1 className="brand">Kliovo Inbox</h1>
        <p className="muted">Sign in to answer your customers.</p>
        <Form method="post" className="stack" aria-describedby={result?.error ? 'login-error' : undefined}>
          <input type="hidden" name="next" value={params.get('next') ?? ''} />
          <label>
            Email
            <input name="email" type="email" autoComplete="username" required autoFocus />
          </label>
          <label>
            Password
            <input name="password" type="password" autoComplete="current-password" required />
          </label>
          {result?.error ? (
            <p id="login-error" role="alert" className="form-error">
              {result.error}
            </p>
          ) : null}
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </Form>
      </div>
    </main>
  );
}
