/** One customer (DESIGN §5 customer panel, as a page on phones): profile, tags, conversations, history. */
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { Fragment } from 'react';
import { ChannelBadge, StatusBadge, TagList } from '../components/badges';
import { PageError } from '../components/page-error';
import { Time } from '../components/time';
import { requireUser } from '../utils/auth.server';
import { orResponse, requireParam } from '../utils/http.server';
import { describeEvent } from '../utils/timeline';

export const meta: MetaFunction<typeof loader> = ({ data: loaded }) => [
  { title: `${loaded?.contact.name ?? 'Customer'} · Kliovo Inbox` },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const actor = await requireUser(request, context);
  const inbox = context.services.inbox;
  const [contact, users, teams] = await orResponse(
    Promise.all([
      inbox.contact(actor, requireParam(params, 'contactId')),
      inbox.listUsers(actor),
      inbox.teamDirectory(actor),
    ]),
  );
  return {
    contact,
    names: {
      users: Object.fromEntries(users.data.map((u) => [u.id, u.name])),
      teams: Object.fromEntries(teams.map((t) => [t.id, t.name])),
    },
  };
}

export default function ContactPage() {
  const { contact, names } = useLoaderData<typeof loader>();
  return (
    <div className="page">
      <p>
        <Link to="/contacts">← All contacts</Link>
      </p>
      <h1>{contact.name}</h1>
      <section className="card" aria-labelledby="profile-title">
        <h2 id="profile-title">Profile</h2>
        <dl className="facts">
          <dt>Channel</dt>
          <dd>
            <ChannelBadge kind={contact.channel.kind} /> {contact.channel.name}
          </dd>
          {contact.waId ? (
            <>
              <dt>WhatsApp</dt>
              <dd>+{contact.waId}</dd>
            </>
          ) : null}
          <dt>Customer since</dt>
          <dd>
            <Time at={contact.createdAt} withDate />
          </dd>
          {Object.entries(contact.attributes)
            .filter(([, v]) => typeof v === 'string' || typeof v === 'number')
            .map(([k, v]) => (
              <Fragment key={k}>
                <dt>{k}</dt>
                <dd>{String(v)}</dd>
              </Fragment>
            ))}
        </dl>
        <TagList tags={contact.tags} label="Customer tags" />
      </section>
      <section className="card" aria-labelledby="conversations-title">
        <h2 id="conversations-title">Conversations</h2>
        <ul className="mini-list">
          {contact.conversations.map((c) => (
            <li key={c.id}>
              <Link to={`/inbox/all/${c.id}`}>{c.preview ?? 'Conversation'}</Link> <StatusBadge status={c.status} />{' '}
              <span className="muted">
                {c.teamName ?? 'No team'} · {c.assigneeName ?? 'no owner'} · <Time at={c.lastMessageAt} withDate />
              </span>
              <TagList tags={c.tags} />
            </li>
          ))}
        </ul>
      </section>
      <section className="card" aria-labelledby="history-title">
        <h2 id="history-title">History</h2>
        {contact.timeline.length === 0 ? (
          <p className="muted">Nothing yet.</p>
        ) : (
          <ol className="mini-timeline">
            {contact.timeline.map((e) => (
              <li key={e.id}>
                <span>{describeEvent(e, names)}</span> <Time at={e.at} withDate />
              </li>
            ))}
          </ol>
        )}
      </section>
    </div>
  );
}

export function ErrorBoundary() {
  return <PageError title="This customer could not be shown" />;
}
