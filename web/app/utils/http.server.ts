import { data, type AppLoadContext } from '@remix-run/node';
import { RETRY_AFTER_SECONDS, unavailableDependency } from '../../../api/http/dependency-errors';
import { HttpError } from '../../../api/http/errors';
import type { Actor } from '../../../api/services/auth.service';
import { requireUser } from './auth.server';
import type { FieldErrors, FormResult } from './forms';

/** Service errors become Remix responses that the route's ErrorBoundary renders. */
export async function orResponse<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (HttpError.is(err)) throw new Response(err.message, { status: err.status });
    throw unavailableResponse(err) ?? err;
  }
}

/** Temporal or Postgres out of reach: a 503 page that says to retry, not a 500 that says "bug". */
function unavailableResponse(err: unknown): Response | undefined {
  if (!unavailableDependency(err)) return undefined;
  return new Response('Kliovo is briefly unavailable. Nothing was lost; try again in a few seconds.', {
    status: 503,
    headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
  });
}

/**
 * An action's service call as a form result: a refusal (4xx) shows next to the field it names
 * ("name: a team with that name exists") or at the form; anything else is the ErrorBoundary's.
 */
export async function formAction<T>(
  intent: string,
  work: Promise<T>,
  message?: string,
): Promise<FormResult<T> | ReturnType<typeof data<FormResult<T>>>> {
  try {
    return { ok: true, intent, value: await work, message };
  } catch (err) {
    if (!HttpError.is(err) || err.status >= 500) throw unavailableResponse(err) ?? err;
    return data({ ok: false, intent, errors: fieldErrorOf(err.message) } as FormResult<T>, { status: err.status });
  }
}

export function invalid(intent: string, errors: FieldErrors) {
  return data({ ok: false, intent, errors } as FormResult, { status: 400 });
}

function fieldErrorOf(message: string): FieldErrors {
  const match = /^([a-zA-Z][\w.]*): (.+)$/.exec(message);
  const text = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
  return match ? { [match[1]!]: text(match[2]!) } : { form: text(message) };
}

/** A route param that the route's file name guarantees; a 404 if it is somehow missing. */
export function requireParam(params: Record<string, string | undefined>, name: string): string {
  const value = params[name];
  if (!value) throw new Response('Not found', { status: 404 });
  return value;
}

export const isManagerRole = (actor: Pick<Actor, 'role'>) => actor.role === 'owner' || actor.role === 'admin';

/** Owners and admins only (DESIGN §4); others get the page's ErrorBoundary with a 403. */
export async function requireManager(request: Request, context: AppLoadContext): Promise<Actor> {
  const actor = await requireUser(request, context);
  if (!isManagerRole(actor)) throw new Response('Only owners and admins can open this page.', { status: 403 });
  return actor;
}

/** The workflow's page in the Temporal UI, for owners and admins. */
export function temporalWorkflowUrl(context: AppLoadContext, workflowId: string): string {
  return `${context.config.temporalUiUrl.replace(/\/$/, '')}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`;
}
