import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, NavLink, Outlet, useLoaderData, useParams } from '@remix-run/react';
import { z } from 'zod';
import { Time } from '../components/time';
import { requireUser } from '../utils/auth.server';
import { orResponse } from '../utils/http.server';

export const meta: MetaFunction = () => [{ title: 'Inbox · Kliovo Inbox' }];

const QUEUES = [
  { id: 'all', label: 'All' },
  { id: 'mine', label: 'Mine' },
  { id: 'unassigned', label: 'Unassigned' },
] as const;

const Params = z.object({ queue: z.enum(['all', 'mine', 'unassigned']) });

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const actor = await requireUser(request, context);
  const parsed = Params.safeParse(params);
  if (!parsed.success) throw new Response('There is no such queue.', { status: 404 });
  const cursor = new URL(request.url).searchParams.get('cursor') ?? undefined;
  const page = await orResponse(context.services.inbox.listConversations(actor, { queue: parsed.data.queue, cursor }));
  return { queue: parsed.data.queue, page };
}

export default function InboxQueue() {
  const { queue, page } = useLoaderData<typeof loader>();
  const { conversationId } = useParams();
  return (
    <div className={`inbox ${conversationId ? 'has-thread' : ''}`}>
      <nav className="queues" aria-label="Queues">
        <ul>
          {QUEUES.map((q) => (
            <li key={q.id}>
              <NavLink to={`/inbox/${q.id}`}>{q.label}</NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <section className="conversation-list" aria-label="Conversations">
        {page.data.length === 0 ? (
          <p className="empty">No conversations here yet. New WhatsApp messages appear as they arrive.</p>
        ) : (
          <ul>
            {page.data.map((c) => (
              <li key={c.id}>
                <NavLink to={`/inbox/${queue}/${c.id}`} className="conversation-row" prefetch="intent">
                  <span className="row-top">
                    <span className="contact-name">{c.contact.name}</span>
                    <Time at={c.lastMessage.at} />
                  </span>
                  <span className="row-bottom">
                    <span className={`channel-badge ${c.channel.kind}`}>{c.channel.kind}</span>
                    <span className="preview">
                      {c.lastMessage.author && c.lastMessage.author !== 'contact' ? 'You: ' : ''}
                      {c.lastMessage.preview}
                    </span>
                  </span>
                </NavLink>
              </li>
            ))}
          </ul>
        )}
        {page.nextCursor ? (
          <Link className="more" to={`?cursor=${encodeURIComponent(page.nextCursor)}`}>
            Older conversations
          </Link>
        ) : null}
      </section>
      <Outlet />
    </div>
  );
}

export function ErrorBoundary() {
  return (
    <main className="error-page">
      <h1>This queue could not be shown</h1>
      <Link to="/inbox/all">Back to all conversations</Link>
    </main>
  );
}
