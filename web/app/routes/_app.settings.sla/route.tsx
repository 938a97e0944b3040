/**
 * SLA policies per team (DESIGN §3, the 3 tiers): when the standard, priority and manager tiers
 * fire after a customer starts waiting. Conversations take a change at their next waiting period.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node';
import { useFetcher, useLoaderData } from '@remix-run/react';
import { PageError } from '../../components/page-error';
import { RowResult } from '../../components/settings';
import { describedBy, FieldError } from '../../components/ui';
import { humanDuration } from '../../utils/format';
import { parseForm, type FormResult } from '../../utils/forms';
import { formAction, invalid, orResponse, requireManager } from '../../utils/http.server';
import { SlaPolicySchema } from './schemas';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireManager(request, context);
  return { policies: (await orResponse(context.services.inbox.listSlaPolicies(actor))).data };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireManager(request, context);
  const parsed = parseForm(SlaPolicySchema, await request.formData());
  if (!parsed.ok) return invalid('save', parsed.errors);
  const { teamId, tiers, requeueAtPriority } = parsed.value;
  return formAction('save', context.services.inbox.putSlaPolicy(actor, teamId, { tiers, requeueAtPriority }), 'Saved');
}

export default function SlaSettings() {
  const { policies } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>SLA policies</h1>
      <p className="muted">
        The clock starts when a customer waits for a human reply. At each tier the conversation escalates: the owner (or
        team) is told at the standard tier, team leads at the priority tier, managers at the manager tier.
      </p>
      {policies.map((p) => (
        <PolicyForm key={p.teamId} policy={p} />
      ))}
    </>
  );
}

type Policy = ReturnType<typeof useLoaderData<typeof loader>>['policies'][number];

function PolicyForm({ policy }: { policy: Policy }) {
  const fetcher = useFetcher<FormResult>();
  const errors = fetcher.data && !fetcher.data.ok ? fetcher.data.errors : undefined;
  const id = `sla-${policy.teamId}`;
  const asMinutes = (s: number | undefined) => (s === undefined ? '' : String(Math.round((s / 60) * 100) / 100));
  const fields = [
    ['standard', 'Standard tier (minutes)', policy.tiers?.[0]],
    ['priority', 'Priority tier (minutes)', policy.tiers?.[1]],
    ['manager', 'Manager tier (minutes)', policy.tiers?.[2]],
  ] as const;
  return (
    <section className="card" aria-label={policy.teamName}>
      <fetcher.Form method="post" className="stack">
        <fieldset>
          <legend className="legend-title">{policy.teamName} tiers</legend>
          <p className="muted">
            {policy.isDefault ? 'Uses the default policy' : 'Own policy'}
            {policy.tiers ? `: ${policy.tiers.map((s) => humanDuration(s)).join(' · ')}` : ''}
          </p>
          <input type="hidden" name="intent" value="save" />
          <input type="hidden" name="teamId" value={policy.teamId} />
          <div className="form-grid">
            {fields.map(([name, label, seconds]) => (
              <div key={name}>
                <label>
                  {label}
                  <input
                    name={name}
                    type="number"
                    inputMode="decimal"
                    min="0.01"
                    step="any"
                    required
                    defaultValue={asMinutes(seconds)}
                    {...describedBy(`${id}-${name}-error`, errors?.[name])}
                  />
                </label>
                <FieldError id={`${id}-${name}-error`} error={errors?.[name]} />
              </div>
            ))}
          </div>
          <label className="check">
            <input type="checkbox" name="requeueAtPriority" defaultChecked={policy.requeueAtPriority} />
            At the priority tier, move an unanswered conversation from its owner back to the team queue
          </label>
        </fieldset>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={fetcher.state !== 'idle'}>
            {fetcher.state !== 'idle' ? 'Saving…' : `Save ${policy.teamName} policy`}
          </button>
          <RowResult result={fetcher.data} shown={['standard', 'priority', 'manager']} />
        </div>
      </fetcher.Form>
    </section>
  );
}

export function ErrorBoundary() {
  return <PageError title="SLA policies could not be shown" />;
}
