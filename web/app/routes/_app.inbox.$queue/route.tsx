/**
 * The inbox (DESIGN §5): the queue sidebar with live counts, and a queue's conversations in
 * urgency order with SLA aging badges, filters and keyset "Load more". The thread opens beside
 * the list on desktop and over it on phones.
 */
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import {
  Form,
  Link,
  NavLink,
  Outlet,
  isRouteErrorResponse,
  useFetcher,
  useLoaderData,
  useLocation,
  useParams,
  useRouteError,
  useSubmit,
} from '@remix-run/react';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { ConversationListItem } from '../../../../api/services/inbox.service';
import { ChannelBadge, SlaBadge, TagList } from '../../components/badges';
import { Time } from '../../components/time';
import { requireUser } from '../../utils/auth.server';
import { CHANNEL_LABELS, STATUS_LABELS } from '../../utils/format';
import { isManagerRole, orResponse } from '../../utils/http.server';
import { CHANNEL_FILTERS, FilterSchema, QueueParam, serviceQueue, STATUS_FILTERS } from './schemas';

export const meta: MetaFunction<typeof loader> = ({ data: loaded }) => [
  { title: `${loaded?.label ?? 'Inbox'} · Kliovo Inbox` },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const actor = await requireUser(request, context);
  const queue = QueueParam.safeParse(params.queue);
  if (!queue.success) throw new Response('There is no such queue.', { status: 404 });
  const filters = FilterSchema.parse(Object.fromEntries(new URL(request.url).searchParams));
  // The counts and the page at once: a refresh of every agent's list is on the live path.
  const [counts, page] = await Promise.all([
    orResponse(context.services.inbox.queueCounts(actor)),
    orResponse(
      context.services.inbox.listConversations(actor, {
        queue: serviceQueue(queue.data),
        status: filters.status,
        channel: filters.channel,
        q: filters.q,
        cursor: filters.cursor,
      }),
    ),
  ]);
  // Not one of the agent's teams (the page above was filtered to what they may see anyway).
  const team = queue.data.startsWith('team-') ? counts.teams.find((t) => `team-${t.id}` === queue.data) : null;
  if (queue.data.startsWith('team-') && !team) throw new Response('There is no such queue.', { status: 404 });
  const label = team
    ? team.name
    : ({ all: 'All', mine: 'Mine', unassigned: 'Unassigned', escalated: 'Escalated' } as Record<string, string>)[
        queue.data
      ]!;
  return { queue: queue.data, label, filters, page, counts, isManager: isManagerRole(actor), actorId: actor.id };
}

export default function InboxQueue() {
  const { queue, label, filters, page, counts, isManager } = useLoaderData<typeof loader>();
  const { conversationId } = useParams();
  const location = useLocation();
  const filterKey = `${queue}|${filters.status}|${filters.channel ?? ''}|${filters.q ?? ''}`;

  const queues = [
    { id: 'mine', label: 'Mine', count: counts.mine },
    { id: 'unassigned', label: 'Unassigned', count: counts.unassigned },
    ...counts.teams.map((t) => ({ id: `team-${t.id}`, label: t.name, count: t.open })),
    { id: 'escalated', label: 'Escalated', count: counts.escalated },
    ...(isManager ? [{ id: 'all', label: 'All', count: counts.all }] : []),
  ];

  return (
    <div className={`inbox ${conversationId ? 'has-thread' : ''}`}>
      <nav className="queues" aria-label="Queues">
        <h2 className="sr-only">Queues</h2>
        <ul>
          {queues.map((q) => (
            <li key={q.id}>
              <NavLink to={`/inbox/${q.id}${keepFilters(location.search)}`} className="queue-link">
                <span className="queue-label">{q.label}</span>
                <span className="queue-count" aria-label={`${q.count} open`}>
                  {q.count}
                </span>
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <div className="list-column">
        <div className="list-head">
          <h1 className="list-title">{label}</h1>
          <Filters key={filterKey} filters={filters} />
        </div>
        <ConversationList
          key={filterKey}
          queue={queue}
          firstPage={page}
          search={keepFilters(location.search)}
          emptyText={emptyText(queue, filters.status)}
        />
      </div>
      <Outlet />
    </div>
  );
}

function Filters({ filters }: { filters: { status: string; channel?: string; q?: string } }) {
  const submit = useSubmit();
  const location = useLocation();
  const formRef = useRef<HTMLFormElement>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const apply = (delay: number) => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      if (formRef.current) submit(formRef.current, { replace: true, preventScrollReset: true });
    }, delay);
  };
  return (
    <Form
      ref={formRef}
      method="get"
      action={location.pathname}
      className="filters"
      role="search"
      aria-label="Filter conversations"
      onChange={(e) => apply((e.target as HTMLElement).tagName === 'INPUT' ? 350 : 0)}
    >
      <label className="filter-search">
        <span className="sr-only">Search by name</span>
        <input type="search" name="q" defaultValue={filters.q ?? ''} placeholder="Search by name" maxLength={100} />
      </label>
      <label>
        <span className="sr-only">Status</span>
        <select name="status" defaultValue={filters.status}>
          {STATUS_FILTERS.map((s) => (
            <option key={s} value={s}>
              {s === 'open' ? 'Open' : s === 'any' ? 'Any status' : STATUS_LABELS[s]}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span className="sr-only">Channel</span>
        <select name="channel" defaultValue={filters.channel ?? ''}>
          <option value="">All channels</option>
          {CHANNEL_FILTERS.map((c) => (
            <option key={c} value={c}>
              {CHANNEL_LABELS[c]}
            </option>
          ))}
        </select>
      </label>
      <noscript>
        <button type="submit">Apply</button>
      </noscript>
    </Form>
  );
}

type Page = { data: ConversationListItem[]; nextCursor: string | null };

function ConversationList({
  queue,
  firstPage,
  search,
  emptyText,
}: {
  queue: string;
  firstPage: Page;
  search: string;
  emptyText: string;
}) {
  const more = useFetcher<{ page: Page }>();
  const [extra, setExtra] = useState<ConversationListItem[]>([]);
  const [cursor, setCursor] = useState<string | null>(firstPage.nextCursor);
  const appended = useRef<Page | null>(null);

  // A revalidated first page keeps the pages loaded after it (cursor stays where "Load more" was).
  useEffect(() => {
    if (extra.length === 0) setCursor(firstPage.nextCursor);
  }, [firstPage.nextCursor, extra.length]);

  useEffect(() => {
    const page = more.data?.page;
    if (more.state !== 'idle' || !page || appended.current === page) return;
    appended.current = page;
    setExtra((rows) => [...rows, ...page.data]);
    setCursor(page.nextCursor);
  }, [more.state, more.data]);

  const rows = useMemo(() => {
    const seen = new Set(firstPage.data.map((c) => c.id));
    return [...firstPage.data, ...extra.filter((c) => !seen.has(c.id) && seen.add(c.id))];
  }, [firstPage.data, extra]);

  const loadMore = () => {
    if (!cursor) return;
    const params = new URLSearchParams(search);
    params.set('cursor', cursor);
    more.load(`/inbox/${queue}?${params.toString()}`);
  };

  return (
    <section className="conversation-list" aria-label="Conversations">
      {rows.length === 0 ? (
        <p className="empty">{emptyText}</p>
      ) : (
        <ul>
          {rows.map((c) => (
            <li key={c.id}>
              <ConversationRow c={c} href={`/inbox/${queue}/${c.id}${search}`} />
            </li>
          ))}
        </ul>
      )}
      {cursor ? (
        <button type="button" className="more" onClick={loadMore} disabled={more.state !== 'idle'}>
          {more.state !== 'idle' ? 'Loading…' : 'Load more'}
        </button>
      ) : null}
    </section>
  );
}

function ConversationRow({ c, href }: { c: ConversationListItem; href: string }) {
  const fromStaff = c.lastMessage.author && c.lastMessage.author !== 'contact';
  return (
    <NavLink to={href} className={`conversation-row level-${c.escalationLevel}`} prefetch="intent">
      <span className="row-top">
        <span className="contact-name">{c.contact.name}</span>
        <SlaBadge sla={c.sla} escalationLevel={c.escalationLevel} />
        <Time at={c.lastMessage.at} />
      </span>
      <span className="row-bottom">
        <ChannelBadge kind={c.channel.kind} />
        <span className="preview">
          {fromStaff ? (c.lastMessage.author === 'ai' ? 'AI: ' : 'Agent: ') : ''}
          {c.lastMessage.preview ?? ''}
        </span>
      </span>
      <span className="row-meta">
        <span className="owner">
          {c.assignee ? c.assignee.name : c.status === 'bot' ? 'AI' : 'Unassigned'}
          {c.team ? ` · ${c.team.name}` : ''}
        </span>
        {c.status !== 'assigned' && c.status !== 'queued' ? (
          <span className={`status-chip status-${c.status}`}>{STATUS_LABELS[c.status] ?? c.status}</span>
        ) : null}
        <TagList tags={c.tags} />
      </span>
    </NavLink>
  );
}

/** The filters (not the paging cursor) travel with queue and thread links. */
function keepFilters(search: string): string {
  const params = new URLSearchParams(search);
  params.delete('cursor');
  params.delete('index');
  const s = params.toString();
  return s ? `?${s}` : '';
}

function emptyText(queue: string, status: string): string {
  if (status !== 'open') return 'No conversations match these filters.';
  if (queue === 'mine') return 'Nothing assigned to you. Claim a conversation from Unassigned or a team queue.';
  if (queue === 'escalated') return 'No escalated conversations. Well done.';
  return 'No open conversations here. New messages appear as they arrive.';
}

export function ErrorBoundary() {
  const error = useRouteError();
  const notFound = isRouteErrorResponse(error) && error.status === 404;
  return (
    <div className="error-page">
      <h1>{notFound ? 'There is no such queue' : 'This queue could not be shown'}</h1>
      <p className="muted">
        {notFound ? 'It may have been removed, or you are not in that team.' : 'Please try again.'}
      </p>
      <Link to="/inbox">Back to the inbox</Link>
    </div>
  );
}
