/**
 * The details panel beside the thread: the conversation (owner, team, SLA, tags, the Temporal UI
 * link for owners and admins) and the customer (profile, tags, earlier conversations, timeline).
 */
import { Link, useLoaderData } from '@remix-run/react';
import { Fragment } from 'react';
import { ChannelBadge, SlaBadge, StatusBadge, TagList } from '../../components/badges';
import { Time } from '../../components/time';
import { LEVEL_LABELS } from '../../utils/format';
import { TagEditor } from './actions';
import type { ThreadLoader } from './route';
import { describeEvent, type Names } from '../../utils/timeline';

type Loaded = ReturnType<typeof useLoaderData<ThreadLoader>>;

export function DetailsPanel({ loaded, onClose, names }: { loaded: Loaded; onClose: () => void; names: Names }) {
  const { conversation, state, contact, temporalUrl } = loaded;
  const status = state?.status ?? conversation.status;
  const level = state?.escalationLevel ?? conversation.escalationLevel;
  const earlier = contact.conversations.filter((c) => c.id !== conversation.id);
  return (
    <aside id="details-panel" className="side-panel" aria-label="Details">
      <button type="button" className="icon-button panel-close" aria-label="Close details" onClick={onClose}>
        ×
      </button>
      <section aria-labelledby="conv-details-title" className="panel-section">
        <h3 id="conv-details-title" className="panel-title">
          Conversation
        </h3>
        <dl className="facts">
          <dt>Status</dt>
          <dd>
            <StatusBadge status={status} />
          </dd>
          <dt>Owner</dt>
          <dd>{conversation.assignee?.name ?? (status === 'bot' ? 'The AI' : 'Nobody yet')}</dd>
          <dt>Team</dt>
          <dd>{conversation.team?.name ?? 'None'}</dd>
          <dt>Priority</dt>
          <dd className={`priority priority-${state?.priority ?? conversation.priority}`}>
            {state?.priority ?? conversation.priority}
          </dd>
          <dt>Escalation</dt>
          <dd>{LEVEL_LABELS[level] ?? level}</dd>
          <dt>SLA</dt>
          <dd>
            <SlaBadge sla={state ? state.sla : conversation.sla} escalationLevel={level} />
            {!(state ? state.sla : conversation.sla) && level === 0 ? (
              <span className="muted">Clock stopped</span>
            ) : null}
          </dd>
          {conversation.intent || state?.intent ? (
            <>
              <dt>Intent</dt>
              <dd>{(state?.intent ?? conversation.intent ?? '').replace(/_/g, ' ')}</dd>
            </>
          ) : null}
          {(state?.snoozedUntil ?? conversation.snoozedUntil) ? (
            <>
              <dt>Snoozed until</dt>
              <dd>
                <Time at={state?.snoozedUntil ?? conversation.snoozedUntil} withDate />
              </dd>
            </>
          ) : null}
        </dl>
        {temporalUrl ? (
          <p>
            <a href={temporalUrl} target="_blank" rel="noreferrer">
              Open in Temporal UI
            </a>
          </p>
        ) : null}
      </section>
      <section className="panel-section">
        <TagEditor tags={state?.tags ?? conversation.tags} idPrefix="panel" />
      </section>
      <section aria-labelledby="customer-title" className="panel-section">
        <h3 id="customer-title" className="panel-title">
          Customer
        </h3>
        <p className="customer-name">
          <Link to={`/contacts/${contact.id}`}>{contact.name}</Link>
        </p>
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
            .slice(0, 8)
            .map(([k, v]) => (
              <Fragment key={k}>
                <dt>{k}</dt>
                <dd>{String(v)}</dd>
              </Fragment>
            ))}
        </dl>
        <TagList tags={contact.tags} label="Customer tags" />
        {earlier.length > 0 ? (
          <>
            <h4 className="panel-subtitle">Other conversations</h4>
            <ul className="mini-list">
              {earlier.map((c) => (
                <li key={c.id}>
                  <Link to={`/inbox/all/${c.id}`}>{c.preview ?? 'Conversation'}</Link>{' '}
                  <span className="muted">
                    {c.status} · <Time at={c.lastMessageAt} withDate />
                  </span>
                </li>
              ))}
            </ul>
          </>
        ) : null}
        <h4 className="panel-subtitle">History</h4>
        {contact.timeline.length === 0 ? (
          <p className="muted">Nothing yet.</p>
        ) : (
          <ol className="mini-timeline">
            {contact.timeline.slice(0, 12).map((e) => (
              <li key={e.id}>
                <span>{describeEvent(e, names)}</span> <Time at={e.at} withDate />
              </li>
            ))}
          </ol>
        )}
      </section>
    </aside>
  );
}
