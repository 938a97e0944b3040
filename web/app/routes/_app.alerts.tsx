/**
 * The notification centre (DESIGN §5): handovers, assignments and SLA escalations for the
 * signed-in user, newest first, with "mark read" one by one or all at once.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useLoaderData, useNavigation } from '@remix-run/react';
import { PageError } from '../components/page-error';
import { z } from 'zod';
import { Time } from '../components/time';
import { requireUser } from '../utils/auth.server';
import { parseForm } from '../utils/forms';
import { formAction, invalid, orResponse } from '../utils/http.server';

export const meta: MetaFunction = () => [{ title: 'Alerts · Kliovo Inbox' }];

const MarkReadSchema = z.object({ intent: z.literal('read'), id: z.uuid() });
const MarkAllReadSchema = z.object({ intent: z.literal('read-all') });
const AlertActionSchema = z.discriminatedUnion('intent', [MarkReadSchema, MarkAllReadSchema]);

const KIND_LABELS: Record<string, string> = { handover: 'Handover', assigned: 'Assigned', escalation: 'Escalation' };

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireUser(request, context);
  const url = new URL(request.url);
  const cursor = url.searchParams.get('cursor') ?? undefined;
  const unreadOnly = url.searchParams.get('show') === 'unread';
  const page = await orResponse(
    context.services.inbox.listNotifications(actor, { cursor, limit: 30, unread: unreadOnly }),
  );
  return { page, unreadOnly, paged: Boolean(cursor) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireUser(request, context);
  const form = await request.formData();
  const parsed = parseForm(AlertActionSchema, form);
  if (!parsed.ok) return invalid(String(form.get('intent')), parsed.errors);
  const inbox = context.services.inbox;
  if (parsed.value.intent === 'read') return formAction('read', inbox.markRead(actor, parsed.value.id));
  const markAll = async () => {
    // Pages of unread alerts until none is left (bounded: a page at a time, at most 10 pages).
    for (let i = 0; i < 10; i++) {
      const unread = await inbox.listNotifications(actor, { unread: true, limit: 100 });
      if (unread.data.length === 0) return;
      await Promise.all(unread.data.map((n) => inbox.markRead(actor, n.id)));
    }
  };
  return formAction('read-all', markAll(), 'All alerts marked read');
}

export default function Alerts() {
  const { page, unreadOnly, paged } = useLoaderData<typeof loader>();
  const busy = useNavigation().state !== 'idle';
  return (
    <div className="page">
      <div className="page-head">
        <h1>Alerts</h1>
        <div className="form-actions">
          <Link to={unreadOnly ? '/alerts' : '/alerts?show=unread'}>
            {unreadOnly ? 'Show all' : 'Show unread only'}
          </Link>
          <Form method="post">
            <input type="hidden" name="intent" value="read-all" />
            <button type="submit" className="secondary" disabled={busy}>
              Mark all read
            </button>
          </Form>
        </div>
      </div>
      <section className="card" aria-label="Notifications">
        {page.data.length === 0 ? (
          <p className="muted">
            {unreadOnly ? 'No unread alerts.' : 'No alerts yet. Handovers and escalations land here.'}
          </p>
        ) : (
          <ul className="alert-list">
            {page.data.map((n) => (
              <li key={n.id} className={`alert-item ${n.readAt ? '' : 'unread'}`}>
                <span className={`kind-chip kind-${n.kind}`}>{KIND_LABELS[n.kind] ?? n.kind}</span>
                <div className="alert-main">
                  <h2>
                    {n.readAt ? null : <span className="sr-only">Unread: </span>}
                    {n.title}
                  </h2>
                  {n.body ? <p>{n.body}</p> : null}
                  <p className="muted">
                    <Time at={n.createdAt} withDate />
                    {n.conversationId ? (
                      <>
                        {' · '}
                        <Link to={`/inbox/all/${n.conversationId}`}>Open conversation</Link>
                      </>
                    ) : null}
                  </p>
                </div>
                {n.readAt ? null : (
                  <Form method="post">
                    <input type="hidden" name="intent" value="read" />
                    <input type="hidden" name="id" value={n.id} />
                    <button type="submit" className="secondary small" aria-label={`Mark read: ${n.title}`}>
                      Mark read
                    </button>
                  </Form>
                )}
              </li>
            ))}
          </ul>
        )}
        <p className="form-actions">
          {paged ? <Link to={unreadOnly ? '/alerts?show=unread' : '/alerts'}>Newest alerts</Link> : null}
          {page.nextCursor ? (
            <Link
              to={`/alerts?${new URLSearchParams({ ...(unreadOnly ? { show: 'unread' } : {}), cursor: page.nextCursor }).toString()}`}
            >
              Older alerts
            </Link>
          ) : null}
        </p>
      </section>
    </div>
  );
}

export function ErrorBoundary() {
  return <PageError title="Alerts could not be shown" />;
}
