/** The customers the signed-in user can see (their conversations' contacts), latest first. */
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useLoaderData } from '@remix-run/react';
import { ChannelBadge, StatusBadge, TagList } from '../components/badges';
import { PageError } from '../components/page-error';
import { Time } from '../components/time';
import { requireUser } from '../utils/auth.server';
import { orResponse } from '../utils/http.server';

export const meta: MetaFunction = () => [{ title: 'Contacts · Kliovo Inbox' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireUser(request, context);
  const url = new URL(request.url);
  const q = url.searchParams.get('q')?.trim().slice(0, 100) || undefined;
  const cursor = url.searchParams.get('cursor') ?? undefined;
  const page = await orResponse(context.services.inbox.listContacts(actor, { q, cursor, limit: 40 }));
  return { page, q: q ?? '', paged: Boolean(cursor) };
}

export default function Contacts() {
  const { page, q, paged } = useLoaderData<typeof loader>();
  return (
    <div className="page">
      <div className="page-head">
        <h1>Contacts</h1>
        <Form method="get" role="search" aria-label="Search contacts" className="inline-form">
          <label htmlFor="contact-search" className="sr-only">
            Search by name
          </label>
          <input id="contact-search" type="search" name="q" defaultValue={q} placeholder="Search by name" />
          <button type="submit" className="secondary">
            Search
          </button>
        </Form>
      </div>
      <section className="card" aria-label="Customers">
        {page.data.length === 0 ? (
          <p className="muted">{q ? 'No customer matches that name.' : 'No customers yet.'}</p>
        ) : (
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Customer</th>
                <th scope="col">Conversation</th>
                <th scope="col">Last message</th>
              </tr>
            </thead>
            <tbody>
              {page.data.map((c) => (
                <tr key={c.conversationId}>
                  <th scope="row">
                    <Link to={`/contacts/${c.id}`}>{c.name}</Link> <ChannelBadge kind={c.channelKind} />
                    <TagList tags={c.tags} />
                  </th>
                  <td>
                    <Link to={`/inbox/all/${c.conversationId}`} aria-label={`Open the conversation with ${c.name}`}>
                      <StatusBadge status={c.status} />
                    </Link>
                  </td>
                  <td>
                    <Time at={c.lastMessageAt} withDate />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <p className="form-actions">
          {paged ? <Link to={q ? `/contacts?q=${encodeURIComponent(q)}` : '/contacts'}>Most recent</Link> : null}
          {page.nextCursor ? (
            <Link to={`/contacts?${new URLSearchParams({ ...(q ? { q } : {}), cursor: page.nextCursor }).toString()}`}>
              More customers
            </Link>
          ) : null}
        </p>
      </section>
    </div>
  );
}

export function ErrorBoundary() {
  return <PageError title="Contacts could not be shown" />;
}
