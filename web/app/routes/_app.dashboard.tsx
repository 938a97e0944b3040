/**
 * The manager dashboard (DESIGN §5; owners and admins): today's figures, queue health per team,
 * the escalation lane with each conversation's Temporal UI link, the threads waiting longest,
 * and owner load against capacity. Live updates revalidate it like every other page.
 */
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { PageError } from '../components/page-error';
import { ChannelBadge, SlaBadge, StatusBadge } from '../components/badges';
import { useNow } from '../components/now';
import { humanDuration, LEVEL_LABELS } from '../utils/format';
import { orResponse, requireManager, temporalWorkflowUrl } from '../utils/http.server';

export const meta: MetaFunction = () => [{ title: 'Dashboard · Kliovo Inbox' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireManager(request, context);
  const view = await orResponse(context.services.inbox.dashboard(actor));
  const withLink = <T extends { workflowId: string }>(row: T) => ({
    ...row,
    temporalUrl: temporalWorkflowUrl(context, row.workflowId),
  });
  return { ...view, escalations: view.escalations.map(withLink), stale: view.stale.map(withLink) };
}

export default function Dashboard() {
  const d = useLoaderData<typeof loader>();
  const now = useNow();
  const waited = (since: string | null) => (since ? humanDuration((now - Date.parse(since)) / 1000) : '–');
  return (
    <div className="page">
      <h1>Dashboard</h1>

      <section aria-labelledby="today-title">
        <h2 id="today-title" className="sr-only">
          Today
        </h2>
        <div className="card-grid">
          <Figure label="Conversations started today" value={String(d.today.conversationsStarted)} />
          <Figure
            label="Median first response today"
            value={humanDuration(d.today.medianFirstResponseSeconds)}
            hint={`${d.today.answered} answered`}
          />
          <Figure label="SLA breaches today" value={String(d.today.slaBreaches)} alert={d.today.slaBreaches > 0} />
          <Figure label="Escalations today" value={String(d.today.escalations)} alert={d.today.escalations > 0} />
          <Figure label="Resolved today" value={String(d.today.resolved)} />
        </div>
      </section>

      <section className="card" aria-labelledby="health-title">
        <h2 id="health-title">Queue health</h2>
        <div className="table-scroll">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Team</th>
                <th scope="col" className="num">
                  Open
                </th>
                <th scope="col" className="num">
                  Unassigned
                </th>
                <th scope="col" className="num">
                  Breaching SLA
                </th>
                <th scope="col" className="hide-phone">
                  Oldest waiting
                </th>
              </tr>
            </thead>
            <tbody>
              {d.teams.map((t) => (
                <tr key={t.id ?? 'none'}>
                  <th scope="row">{t.id ? <Link to={`/inbox/team-${t.id}`}>{t.name}</Link> : t.name}</th>
                  <td className="num">{t.open}</td>
                  <td className="num">{t.unassigned}</td>
                  <td className={`num ${t.breaching > 0 ? 'breaching' : ''}`}>
                    {t.breaching > 0 ? <strong className="sla-badge sla-red">{t.breaching}</strong> : 0}
                  </td>
                  <td className="hide-phone">{waited(t.oldestWaitingSince)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section className="card" aria-labelledby="lane-title">
        <h2 id="lane-title">Escalation lane</h2>
        {d.escalations.length === 0 ? (
          <p className="muted">Nothing escalated to the priority or manager tier.</p>
        ) : (
          <LaneTable rows={d.escalations} waited={waited} caption="Escalated conversations, most urgent first" />
        )}
      </section>

      <section className="card" aria-labelledby="stale-title">
        <h2 id="stale-title">Waiting longest</h2>
        {d.stale.length === 0 ? (
          <p className="muted">No customer is waiting for a reply.</p>
        ) : (
          <LaneTable rows={d.stale} waited={waited} caption="Open threads whose customer waits longest" />
        )}
      </section>

      <section className="card" aria-labelledby="load-title">
        <h2 id="load-title">Owner load</h2>
        <div className="table-scroll">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Person</th>
                <th scope="col">Availability</th>
                <th scope="col">Teams</th>
                <th scope="col" className="num">
                  Open / capacity
                </th>
              </tr>
            </thead>
            <tbody>
              {d.owners.map((u) => {
                const share = Math.min(1, u.capacity > 0 ? u.openLoad / u.capacity : 1);
                return (
                  <tr key={u.id}>
                    <th scope="row">
                      {u.name} {u.role !== 'agent' ? <span className="pill">{u.role}</span> : null}
                    </th>
                    <td>
                      <span className={`presence presence-${u.availability}`} aria-hidden="true" /> {u.availability}
                    </td>
                    <td>{u.teams.join(', ') || '–'}</td>
                    <td className="num">
                      {u.openLoad} / {u.capacity}
                      <span className={`load-bar ${share >= 1 ? 'full' : ''}`} aria-hidden="true">
                        <span style={{ width: `${Math.round(share * 100)}%` }} />
                      </span>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </section>
    </div>
  );
}

function Figure({ label, value, hint, alert }: { label: string; value: string; hint?: string; alert?: boolean }) {
  return (
    <div className={`figure ${alert ? 'alert' : ''}`}>
      <span className="value">{value}</span>
      <span className="label">{label}</span>
      {hint ? <span className="label"> · {hint}</span> : null}
    </div>
  );
}

type LaneRow = ReturnType<typeof useLoaderData<typeof loader>>['escalations'][number];

function LaneTable({
  rows,
  waited,
  caption,
}: {
  rows: LaneRow[];
  waited: (s: string | null) => string;
  caption: string;
}) {
  return (
    <div className="table-scroll">
      <table className="data">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Customer</th>
            <th scope="col">Level</th>
            <th scope="col" className="hide-phone">
              Status
            </th>
            <th scope="col" className="hide-phone">
              Team / owner
            </th>
            <th scope="col">Waiting</th>
            <th scope="col">Workflow</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((c) => (
            <tr key={c.id}>
              <th scope="row">
                <Link to={`/inbox/all/${c.id}`}>{c.contactName}</Link> <ChannelBadge kind={c.channelKind} />
              </th>
              <td>
                <span className="hide-phone">{LEVEL_LABELS[c.escalationLevel] ?? c.escalationLevel} </span>
                <SlaBadge sla={c.sla} escalationLevel={c.escalationLevel} />
              </td>
              <td className="hide-phone">
                <StatusBadge status={c.status} />
              </td>
              <td className="hide-phone">
                {c.team?.name ?? 'No team'} / {c.assignee?.name ?? 'nobody'}
              </td>
              <td>{waited(c.waitingSince)}</td>
              <td>
                <a
                  href={c.temporalUrl}
                  target="_blank"
                  rel="noreferrer"
                  aria-label={`Open ${c.contactName} in Temporal UI`}
                >
                  Temporal UI
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ErrorBoundary() {
  return <PageError title="The dashboard could not be shown" />;
}
