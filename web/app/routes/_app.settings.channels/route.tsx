/**
 * Channels (DESIGN §4): each WhatsApp number, Messenger page or Instagram account with its name
 * and the team new conversations start in. Credentials stay on the server and are never shown.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node';
import { useFetcher, useLoaderData } from '@remix-run/react';
import { ChannelBadge } from '../../components/badges';
import { PageError } from '../../components/page-error';
import { RowResult } from '../../components/settings';
import { describedBy, FieldError } from '../../components/ui';
import { parseForm, type FormResult } from '../../utils/forms';
import { formAction, invalid, orResponse, requireManager } from '../../utils/http.server';
import { ChannelSchema } from './schemas';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireManager(request, context);
  const inbox = context.services.inbox;
  const [channels, teams] = await orResponse(
    Promise.all([inbox.listChannelSettings(actor), inbox.teamDirectory(actor)]),
  );
  return { channels: channels.data, teams };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireManager(request, context);
  const parsed = parseForm(ChannelSchema, await request.formData());
  if (!parsed.ok) return invalid('save', parsed.errors);
  const { channelId, name, defaultTeamId } = parsed.value;
  return formAction('save', context.services.inbox.updateChannel(actor, channelId, { name, defaultTeamId }), 'Saved');
}

type Loaded = ReturnType<typeof useLoaderData<typeof loader>>;

export default function ChannelsSettings() {
  const { channels, teams } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>Channels</h1>
      <p className="muted">Access tokens and app secrets are kept on the server; they are never shown here.</p>
      {channels.length === 0 ? <p className="muted">No channels connected yet.</p> : null}
      {channels.map((c) => (
        <ChannelForm key={c.id} channel={c} teams={teams} />
      ))}
    </>
  );
}

function ChannelForm({ channel, teams }: { channel: Loaded['channels'][number]; teams: Loaded['teams'] }) {
  const fetcher = useFetcher<FormResult>();
  const errors = fetcher.data && !fetcher.data.ok ? fetcher.data.errors : undefined;
  const id = `channel-${channel.id}`;
  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>
        <ChannelBadge kind={channel.kind} /> {channel.name}
      </h2>
      <p className="muted">Account id {channel.externalId}</p>
      <fetcher.Form method="post" className="stack">
        <input type="hidden" name="intent" value="save" />
        <input type="hidden" name="channelId" value={channel.id} />
        <div className="form-grid">
          <div>
            <label>
              Name
              <input
                name="name"
                required
                maxLength={120}
                defaultValue={channel.name}
                {...describedBy(`${id}-name-error`, errors?.name)}
              />
            </label>
            <FieldError id={`${id}-name-error`} error={errors?.name} />
          </div>
          <label>
            New conversations go to
            <select name="defaultTeamId" defaultValue={channel.defaultTeamId ?? ''}>
              <option value="">No team (routing decides)</option>
              {teams.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          </label>
        </div>
        <div className="form-actions">
          <button type="submit" className="primary">
            Save {channel.name}
          </button>
          <RowResult result={fetcher.data} shown={['name']} />
        </div>
      </fetcher.Form>
    </section>
  );
}

export function ErrorBoundary() {
  return <PageError title="Channels could not be shown" />;
}
