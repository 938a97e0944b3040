/**
 * Users and roles (DESIGN §4): invite staff, set role, capacity (most open conversations at once)
 * and availability, or disable an account. Only an owner grants or changes the owner role.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node';
import { useFetcher, useLoaderData } from '@remix-run/react';
import { useEffect, useRef, type ReactNode } from 'react';
import { PageError } from '../../components/page-error';
import { RowResult } from '../../components/settings';
import { describedBy, FieldError } from '../../components/ui';
import { parseForm, type FormResult } from '../../utils/forms';
import { formAction, invalid, orResponse, requireManager } from '../../utils/http.server';
import { UsersActionSchema } from './schemas';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireManager(request, context);
  const inbox = context.services.inbox;
  const [staff, teams] = await orResponse(Promise.all([inbox.listStaff(actor), inbox.teamDirectory(actor)]));
  return { staff: staff.data, teams, me: { id: actor.id, role: actor.role } };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireManager(request, context);
  const form = await request.formData();
  const parsed = parseForm(UsersActionSchema, form);
  if (!parsed.ok) return invalid(String(form.get('intent')), parsed.errors);
  const v = parsed.value;
  const inbox = context.services.inbox;
  if (v.intent === 'create-user') {
    const { intent: _intent, ...input } = v;
    return formAction(v.intent, inbox.createUser(actor, input), `${v.name} can now sign in`);
  }
  return formAction(
    v.intent,
    inbox.updateUser(actor, v.userId, {
      role: v.role,
      capacity: v.capacity,
      availability: v.availability,
      disabled: v.disabled,
    }),
    'Saved',
  );
}

type Loaded = ReturnType<typeof useLoaderData<typeof loader>>;

export default function UsersSettings() {
  const { staff, teams, me } = useLoaderData<typeof loader>();
  const teamNames = Object.fromEntries(teams.map((t) => [t.id, t.name]));
  return (
    <>
      <h1>Users and roles</h1>
      <NewUser ownerAllowed={me.role === 'owner'} />
      <section className="card" aria-labelledby="staff-title">
        <h2 id="staff-title">Staff</h2>
        <div className="table-scroll">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Person</th>
                <th scope="col">Teams</th>
                <th scope="col">Role</th>
                <th scope="col">Capacity</th>
                <th scope="col">Availability</th>
                <th scope="col">Disabled</th>
                <th scope="col">
                  <span className="sr-only">Save</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {staff.map((u) => (
                <UserRow
                  key={u.id}
                  user={u}
                  teams={u.teamIds.map((id) => teamNames[id] ?? '').filter(Boolean)}
                  me={me}
                />
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}

function NewUser({ ownerAllowed }: { ownerAllowed: boolean }) {
  const fetcher = useFetcher<FormResult>();
  const ref = useRef<HTMLFormElement>(null);
  const errors = fetcher.data && !fetcher.data.ok ? fetcher.data.errors : undefined;
  useEffect(() => {
    if (fetcher.state === 'idle' && fetcher.data?.ok) ref.current?.reset();
  }, [fetcher.state, fetcher.data]);
  const field = (name: string, label: string, input: ReactNode) => (
    <div>
      <label>
        {label}
        {input}
      </label>
      <FieldError id={`new-user-${name}-error`} error={errors?.[name]} />
    </div>
  );
  return (
    <section className="card" aria-labelledby="new-user-title">
      <h2 id="new-user-title">Add a person</h2>
      <fetcher.Form method="post" className="stack" ref={ref}>
        <input type="hidden" name="intent" value="create-user" />
        <div className="form-grid">
          {field(
            'name',
            'Name',
            <input name="name" required maxLength={120} {...describedBy('new-user-name-error', errors?.name)} />,
          )}
          {field(
            'email',
            'Email',
            <input name="email" type="email" required {...describedBy('new-user-email-error', errors?.email)} />,
          )}
          {field(
            'role',
            'Role',
            <select name="role" defaultValue="agent">
              <option value="agent">Agent</option>
              <option value="admin">Admin</option>
              {ownerAllowed ? <option value="owner">Owner</option> : null}
            </select>,
          )}
          {field(
            'password',
            'First password',
            <input
              name="password"
              type="password"
              autoComplete="new-password"
              required
              minLength={10}
              {...describedBy('new-user-password-error', errors?.password)}
            />,
          )}
          {field(
            'capacity',
            'Capacity',
            <input
              name="capacity"
              type="number"
              min={1}
              max={500}
              defaultValue={10}
              required
              {...describedBy('new-user-capacity-error', errors?.capacity)}
            />,
          )}
        </div>
        <div className="form-actions">
          <button type="submit" className="primary">
            Add person
          </button>
          <RowResult result={fetcher.data} shown={['name', 'email', 'role', 'password', 'capacity']} />
        </div>
      </fetcher.Form>
    </section>
  );
}

function UserRow({ user, teams, me }: { user: Loaded['staff'][number]; teams: string[]; me: Loaded['me'] }) {
  const fetcher = useFetcher<FormResult>();
  const formId = `user-${user.id}`;
  const locked = user.role === 'owner' && me.role !== 'owner';
  const self = user.id === me.id;
  return (
    <tr>
      <th scope="row">
        {user.name}
        <br />
        <span className="muted">{user.email}</span>
        <fetcher.Form method="post" id={formId}>
          <input type="hidden" name="intent" value="update-user" />
          <input type="hidden" name="userId" value={user.id} />
        </fetcher.Form>
      </th>
      <td>{teams.join(', ') || '–'}</td>
      <td>
        <select
          form={formId}
          name="role"
          defaultValue={user.role}
          disabled={locked || self}
          aria-label={`Role of ${user.name}`}
        >
          <option value="agent">Agent</option>
          <option value="admin">Admin</option>
          {me.role === 'owner' || user.role === 'owner' ? <option value="owner">Owner</option> : null}
        </select>
        {locked || self ? <input type="hidden" form={formId} name="role" value={user.role} /> : null}
      </td>
      <td>
        <input
          form={formId}
          name="capacity"
          type="number"
          min={1}
          max={500}
          defaultValue={user.capacity}
          disabled={locked}
          aria-label={`Capacity of ${user.name}`}
          style={{ width: '6rem' }}
        />
        {locked ? <input type="hidden" form={formId} name="capacity" value={user.capacity} /> : null}
      </td>
      <td>
        <select
          form={formId}
          name="availability"
          defaultValue={user.availability}
          disabled={locked}
          aria-label={`Availability of ${user.name}`}
        >
          <option value="online">Online</option>
          <option value="away">Away</option>
          <option value="offline">Offline</option>
        </select>
        {locked ? <input type="hidden" form={formId} name="availability" value={user.availability} /> : null}
      </td>
      <td>
        <input
          form={formId}
          type="checkbox"
          name="disabled"
          defaultChecked={user.disabled}
          disabled={locked || self}
          aria-label={`${user.name} disabled`}
        />
      </td>
      <td>
        <button
          type="submit"
          form={formId}
          className="secondary small"
          disabled={locked || fetcher.state !== 'idle'}
          aria-label={`Save ${user.name}`}
        >
          Save
        </button>{' '}
        <RowResult result={fetcher.data} />
      </td>
    </tr>
  );
}

export function ErrorBoundary() {
  return <PageError title="Users could not be shown" />;
}
