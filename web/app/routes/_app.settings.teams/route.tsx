/** Teams and their members (DESIGN §2): queues such as Support and Sales; leads hear the priority tier. */
import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node';
import { useFetcher, useLoaderData } from '@remix-run/react';
import { useEffect, useRef } from 'react';
import { PageError } from '../../components/page-error';
import { RowResult } from '../../components/settings';
import { describedBy, FieldError } from '../../components/ui';
import { parseForm, type FormResult } from '../../utils/forms';
import { formAction, invalid, orResponse, requireManager } from '../../utils/http.server';
import { TeamsActionSchema } from './schemas';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireManager(request, context);
  const inbox = context.services.inbox;
  const [teams, staff] = await orResponse(Promise.all([inbox.listTeams(actor), inbox.listStaff(actor)]));
  return { teams: teams.data, staff: staff.data.filter((u) => !u.disabled) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireManager(request, context);
  const form = await request.formData();
  const parsed = parseForm(TeamsActionSchema, form);
  if (!parsed.ok) return invalid(String(form.get('intent')), parsed.errors);
  const inbox = context.services.inbox;
  const v = parsed.value;
  switch (v.intent) {
    case 'create-team':
      return formAction(v.intent, inbox.createTeam(actor, { name: v.name }), `Team ${v.name} created`);
    case 'rename-team':
      return formAction(v.intent, inbox.renameTeam(actor, v.teamId, { name: v.name }), 'Saved');
    case 'set-member':
      return formAction(
        v.intent,
        inbox.setTeamMember(actor, v.teamId, { userId: v.userId, isLead: v.isLead }),
        'Saved',
      );
    case 'remove-member':
      return formAction(v.intent, inbox.removeTeamMember(actor, v.teamId, v.userId), 'Removed');
  }
}

type Loaded = ReturnType<typeof useLoaderData<typeof loader>>;

export default function TeamsSettings() {
  const { teams, staff } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>Teams and members</h1>
      <CreateTeam />
      {teams.map((t) => (
        <TeamCard key={t.id} team={t} staff={staff} />
      ))}
    </>
  );
}

function CreateTeam() {
  const fetcher = useFetcher<FormResult>();
  const ref = useRef<HTMLFormElement>(null);
  const errors = fetcher.data && !fetcher.data.ok ? fetcher.data.errors : undefined;
  useEffect(() => {
    if (fetcher.state === 'idle' && fetcher.data?.ok) ref.current?.reset();
  }, [fetcher.state, fetcher.data]);
  return (
    <section className="card" aria-labelledby="new-team-title">
      <h2 id="new-team-title">New team</h2>
      <fetcher.Form method="post" className="row-form" ref={ref}>
        <input type="hidden" name="intent" value="create-team" />
        <label htmlFor="new-team-name" className="sr-only">
          Team name
        </label>
        <input
          id="new-team-name"
          name="name"
          required
          maxLength={80}
          placeholder="Team name, e.g. Returns"
          {...describedBy('new-team-error', errors?.name)}
        />
        <button type="submit" className="primary">
          Create team
        </button>
        <RowResult result={fetcher.data} shown={['name']} />
      </fetcher.Form>
      <FieldError id="new-team-error" error={errors?.name} />
    </section>
  );
}

function TeamCard({ team, staff }: { team: Loaded['teams'][number]; staff: Loaded['staff'] }) {
  const rename = useFetcher<FormResult>();
  const add = useFetcher<FormResult>();
  const renameErrors = rename.data && !rename.data.ok ? rename.data.errors : undefined;
  const memberIds = new Set(team.members.map((m) => m.id));
  const candidates = staff.filter((u) => !memberIds.has(u.id));
  const id = `team-${team.id}`;
  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{team.name}</h2>
      <rename.Form method="post" className="row-form">
        <input type="hidden" name="intent" value="rename-team" />
        <input type="hidden" name="teamId" value={team.id} />
        <label htmlFor={`${id}-name`} className="sr-only">
          Name of {team.name}
        </label>
        <input
          id={`${id}-name`}
          name="name"
          defaultValue={team.name}
          required
          maxLength={80}
          {...describedBy(`${id}-name-error`, renameErrors?.name)}
        />
        <button type="submit" className="secondary">
          Rename
        </button>
        <RowResult result={rename.data} shown={['name']} />
      </rename.Form>
      <FieldError id={`${id}-name-error`} error={renameErrors?.name} />
      <table className="data">
        <caption className="sr-only">Members of {team.name}</caption>
        <thead>
          <tr>
            <th scope="col">Member</th>
            <th scope="col">Availability</th>
            <th scope="col">Lead</th>
            <th scope="col">
              <span className="sr-only">Remove</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {team.members.length === 0 ? (
            <tr>
              <td colSpan={4} className="muted">
                No members yet.
              </td>
            </tr>
          ) : (
            team.members.map((m) => <MemberRow key={m.id} teamId={team.id} member={m} />)
          )}
        </tbody>
      </table>
      {candidates.length > 0 ? (
        <add.Form method="post" className="row-form" aria-label={`Add a member to ${team.name}`}>
          <input type="hidden" name="intent" value="set-member" />
          <input type="hidden" name="teamId" value={team.id} />
          <label htmlFor={`${id}-add`} className="sr-only">
            Person to add to {team.name}
          </label>
          <select id={`${id}-add`} name="userId" required defaultValue="">
            <option value="" disabled>
              Add a person…
            </option>
            {candidates.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name} ({u.role})
              </option>
            ))}
          </select>
          <label className="check">
            <input type="checkbox" name="isLead" /> Lead
          </label>
          <button type="submit" className="secondary">
            Add member
          </button>
          <RowResult result={add.data} />
        </add.Form>
      ) : null}
    </section>
  );
}

function MemberRow({ teamId, member }: { teamId: string; member: Loaded['teams'][number]['members'][number] }) {
  const lead = useFetcher<FormResult>();
  const remove = useFetcher<FormResult>();
  return (
    <tr>
      <th scope="row">
        {member.name} <span className="pill">{member.role}</span>
      </th>
      <td>
        <span className={`presence presence-${member.availability}`} aria-hidden="true" /> {member.availability}
      </td>
      <td>
        <lead.Form method="post">
          <input type="hidden" name="intent" value="set-member" />
          <input type="hidden" name="teamId" value={teamId} />
          <input type="hidden" name="userId" value={member.id} />
          {member.isLead ? null : <input type="hidden" name="isLead" value="on" />}
          <button
            type="submit"
            className="secondary small"
            aria-pressed={member.isLead}
            aria-label={`Lead: ${member.name}`}
          >
            {member.isLead ? 'Lead ✓' : 'Make lead'}
          </button>
        </lead.Form>
      </td>
      <td>
        <remove.Form method="post">
          <input type="hidden" name="intent" value="remove-member" />
          <input type="hidden" name="teamId" value={teamId} />
          <input type="hidden" name="userId" value={member.id} />
          <button type="submit" className="danger small" aria-label={`Remove ${member.name}`}>
            Remove
          </button>
        </remove.Form>
        <RowResult result={remove.data ?? lead.data} />
      </td>
    </tr>
  );
}

export function ErrorBoundary() {
  return <PageError title="Teams could not be shown" />;
}
