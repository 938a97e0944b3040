/**
 * Routing rules (DESIGN §3, docs/routing.md): an ordered list, first match wins. Each rule
 * matches a keyword, tag, channel or intent and names the routing workflow that decides the team
 * and owner, with its parameters picked from teams and people.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node';
import { useFetcher, useLoaderData } from '@remix-run/react';
import { useEffect, useRef, useState } from 'react';
import type { RoutingRuleView } from '../../../../api/services/settings.service';
import { PageError } from '../../components/page-error';
import { RowResult } from '../../components/settings';
import { describedBy, FieldError } from '../../components/ui';
import { parseForm, type FormResult } from '../../utils/forms';
import { formAction, invalid, orResponse, requireManager } from '../../utils/http.server';
import { MATCH_KINDS, paramsOf, ROUTING_WORKFLOWS, RoutingActionSchema } from './schemas';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireManager(request, context);
  const inbox = context.services.inbox;
  const [rules, teams, users, channels] = await orResponse(
    Promise.all([
      inbox.listRoutingRules(actor),
      inbox.teamDirectory(actor),
      inbox.listUsers(actor),
      inbox.listChannelSettings(actor),
    ]),
  );
  return {
    rules: rules.data,
    teams,
    users: users.data.map((u) => ({ id: u.id, name: u.name })),
    channels: channels.data.map((c) => ({ id: c.id, name: c.name, kind: c.kind })),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireManager(request, context);
  const form = await request.formData();
  const parsed = parseForm(RoutingActionSchema, form);
  if (!parsed.ok) return invalid(String(form.get('intent')), parsed.errors);
  const v = parsed.value;
  const inbox = context.services.inbox;
  if (v.intent === 'create-rule' || v.intent === 'update-rule') {
    const input = {
      name: v.name,
      matchKind: v.matchKind,
      matchValue: v.matchKind === 'always' ? null : (v.matchValue ?? null),
      routingWorkflow: v.routingWorkflow,
      params: paramsOf(v),
      enabled: v.enabled,
    };
    return v.intent === 'create-rule'
      ? formAction(v.intent, inbox.createRoutingRule(actor, input), `Rule “${v.name}” added`)
      : formAction(v.intent, inbox.updateRoutingRule(actor, v.ruleId!, input), 'Saved');
  }
  switch (v.intent) {
    case 'delete-rule':
      return formAction(v.intent, inbox.deleteRoutingRule(actor, v.ruleId), 'Deleted');
    case 'move-up':
    case 'move-down':
      return formAction(v.intent, inbox.moveRoutingRule(actor, v.ruleId, v.intent === 'move-up' ? 'up' : 'down'));
    case 'toggle-rule': {
      const rules = await orResponse(inbox.listRoutingRules(actor));
      const rule = rules.data.find((r) => r.id === v.ruleId);
      if (!rule) throw new Response('No such rule', { status: 404 });
      const { id: _id, position: _position, ...rest } = rule;
      return formAction(
        v.intent,
        inbox.updateRoutingRule(actor, rule.id, {
          ...rest,
          routingWorkflow: rest.routingWorkflow as 'to-team',
          enabled: !rule.enabled,
        }),
      );
    }
  }
}

type Loaded = ReturnType<typeof useLoaderData<typeof loader>>;

export default function RoutingSettings() {
  const loaded = useLoaderData<typeof loader>();
  return (
    <>
      <h1>Routing rules</h1>
      <p className="muted">
        Rules are tried from the top; the first that matches picks the routing workflow. When none matches, the
        conversation stays in its channel&apos;s team queue.
      </p>
      <section className="card" aria-labelledby="rules-title">
        <h2 id="rules-title">Rules in order</h2>
        {loaded.rules.length === 0 ? (
          <p className="muted">No rules yet.</p>
        ) : (
          <ol className="rule-list">
            {loaded.rules.map((r, i) => (
              <RuleItem key={r.id} rule={r} first={i === 0} last={i === loaded.rules.length - 1} loaded={loaded} />
            ))}
          </ol>
        )}
      </section>
      <section className="card" aria-labelledby="new-rule-title">
        <h2 id="new-rule-title">Add a rule</h2>
        <RuleEditor loaded={loaded} idPrefix="new-rule" />
      </section>
    </>
  );
}

function describeMatch(rule: RoutingRuleView, loaded: Loaded): string {
  if (rule.matchKind === 'always') return 'always';
  if (rule.matchKind === 'channel')
    return `channel ${loaded.channels.find((c) => c.id === rule.matchValue)?.name ?? '?'}`;
  return `${rule.matchKind} “${rule.matchValue ?? ''}”`;
}

function RuleItem({
  rule,
  first,
  last,
  loaded,
}: {
  rule: RoutingRuleView;
  first: boolean;
  last: boolean;
  loaded: Loaded;
}) {
  const fetcher = useFetcher<FormResult>();
  const [editing, setEditing] = useState(false);
  const workflow = ROUTING_WORKFLOWS.find((w) => w.name === rule.routingWorkflow)?.label ?? rule.routingWorkflow;
  const button = (intent: string, label: string, aria: string, disabled = false, className = 'secondary small') => (
    <button
      type="submit"
      name="intent"
      value={intent}
      className={className}
      aria-label={aria}
      disabled={disabled || fetcher.state !== 'idle'}
    >
      {label}
    </button>
  );
  return (
    <li className={`rule-item ${rule.enabled ? '' : 'rule-disabled'}`}>
      <div className="rule-summary">
        <strong>{rule.name}</strong> {rule.enabled ? null : <span className="pill">disabled</span>}
        <p className="muted">
          When {describeMatch(rule, loaded)} → {workflow}
        </p>
      </div>
      <fetcher.Form method="post" className="form-actions">
        <input type="hidden" name="ruleId" value={rule.id} />
        {button('move-up', '↑', `Move ${rule.name} up`, first)}
        {button('move-down', '↓', `Move ${rule.name} down`, last)}
        {button(
          'toggle-rule',
          rule.enabled ? 'Disable' : 'Enable',
          `${rule.enabled ? 'Disable' : 'Enable'} ${rule.name}`,
        )}
        <button type="button" className="secondary small" aria-expanded={editing} onClick={() => setEditing((e) => !e)}>
          Edit
        </button>
        {button('delete-rule', 'Delete', `Delete ${rule.name}`, false, 'danger small')}
        <RowResult result={fetcher.data} />
      </fetcher.Form>
      {editing ? (
        <RuleEditor loaded={loaded} rule={rule} idPrefix={`rule-${rule.id}`} onSaved={() => setEditing(false)} />
      ) : null}
    </li>
  );
}

function RuleEditor({
  loaded,
  rule,
  idPrefix,
  onSaved,
}: {
  loaded: Loaded;
  rule?: RoutingRuleView;
  idPrefix: string;
  onSaved?: () => void;
}) {
  const fetcher = useFetcher<FormResult>();
  const ref = useRef<HTMLFormElement>(null);
  const [matchKind, setMatchKind] = useState<string>(rule?.matchKind ?? 'keyword');
  const [workflow, setWorkflow] = useState<string>(rule?.routingWorkflow ?? 'to-team');
  const errors = fetcher.data && !fetcher.data.ok ? fetcher.data.errors : undefined;
  const p = (rule?.params ?? {}) as Record<string, unknown>;
  const str = (k: string) => (typeof p[k] === 'string' ? (p[k] as string) : '');
  const days = Array.isArray(p.days) ? (p.days as number[]) : [1, 2, 3, 4, 5];
  useEffect(() => {
    if (fetcher.state === 'idle' && fetcher.data?.ok) {
      if (!rule) ref.current?.reset();
      onSaved?.();
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [fetcher.state, fetcher.data]);
  const id = (name: string) => `${idPrefix}-${name}`;
  const err = (name: string) => <FieldError id={id(`${name}-error`)} error={errors?.[name]} />;
  const teamSelect = (name: string, label: string, value: string, optional = false) => (
    <div>
      <label>
        {label}
        <select name={name} defaultValue={value} {...describedBy(id(`${name}-error`), errors?.[name])}>
          <option value="">{optional ? 'None' : 'Choose a team'}</option>
          {loaded.teams.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </select>
      </label>
      {err(name)}
    </div>
  );
  return (
    <fetcher.Form method="post" className="stack rule-editor" ref={ref}>
      <input type="hidden" name="intent" value={rule ? 'update-rule' : 'create-rule'} />
      {rule ? <input type="hidden" name="ruleId" value={rule.id} /> : null}
      <div className="form-grid">
        <div>
          <label>
            Rule name
            <input
              name="name"
              required
              maxLength={120}
              defaultValue={rule?.name ?? ''}
              {...describedBy(id('name-error'), errors?.name)}
            />
          </label>
          {err('name')}
        </div>
        <label>
          Match on
          <select name="matchKind" value={matchKind} onChange={(e) => setMatchKind(e.target.value)}>
            {MATCH_KINDS.map((m) => (
              <option key={m.kind} value={m.kind}>
                {m.label}
              </option>
            ))}
          </select>
        </label>
        {matchKind === 'always' ? null : (
          <div>
            <label>
              {matchKind === 'keyword' ? 'Keywords (comma-separated)' : matchKind === 'channel' ? 'Channel' : 'Value'}
              {matchKind === 'channel' ? (
                <select
                  name="matchValue"
                  defaultValue={rule?.matchValue ?? ''}
                  {...describedBy(id('matchValue-error'), errors?.matchValue)}
                >
                  <option value="">Choose a channel</option>
                  {loaded.channels.map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.name} ({c.kind})
                    </option>
                  ))}
                </select>
              ) : (
                <input
                  name="matchValue"
                  maxLength={500}
                  defaultValue={rule?.matchKind === matchKind ? (rule?.matchValue ?? '') : ''}
                  placeholder={matchKind === 'keyword' ? 'price, cost, quote' : matchKind === 'tag' ? 'vip' : 'pricing'}
                  {...describedBy(id('matchValue-error'), errors?.matchValue)}
                />
              )}
            </label>
            {err('matchValue')}
          </div>
        )}
        <label>
          Routing workflow
          <select name="routingWorkflow" value={workflow} onChange={(e) => setWorkflow(e.target.value)}>
            {ROUTING_WORKFLOWS.map((w) => (
              <option key={w.name} value={w.name}>
                {w.label}
              </option>
            ))}
          </select>
        </label>
        {workflow === 'vip-agent' ? (
          <>
            <div>
              <label>
                Agent
                <select name="userId" defaultValue={str('userId')} {...describedBy(id('userId-error'), errors?.userId)}>
                  <option value="">Choose an agent</option>
                  {loaded.users.map((u) => (
                    <option key={u.id} value={u.id}>
                      {u.name}
                    </option>
                  ))}
                </select>
              </label>
              {err('userId')}
            </div>
            {teamSelect('teamId', 'Fallback team', str('teamId'), true)}
          </>
        ) : workflow === 'after-hours' ? (
          <>
            {teamSelect('dayTeamId', 'Day team', str('dayTeamId'))}
            {teamSelect('afterHoursTeamId', 'On-call team', str('afterHoursTeamId'), true)}
            <label>
              Opens at
              <input name="opensAt" type="time" defaultValue={str('opensAt') || '09:00'} />
            </label>
            <label>
              Closes at
              <input name="closesAt" type="time" defaultValue={str('closesAt') || '17:00'} />
            </label>
            <label>
              UTC offset (minutes)
              <input
                name="utcOffsetMinutes"
                type="number"
                min={-720}
                max={840}
                defaultValue={String(p.utcOffsetMinutes ?? 0)}
              />
            </label>
            <fieldset>
              <legend>Open on</legend>
              {['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].map((d, i) => (
                <label key={d} className="check">
                  <input type="checkbox" name="days[]" value={i} defaultChecked={days.includes(i)} /> {d}
                </label>
              ))}
            </fieldset>
          </>
        ) : (
          teamSelect('teamId', 'Team', str('teamId'))
        )}
      </div>
      <label className="check">
        <input type="checkbox" name="enabled" defaultChecked={rule?.enabled ?? true} /> Enabled
      </label>
      <div className="form-actions">
        <button type="submit" className="primary" disabled={fetcher.state !== 'idle'}>
          {rule ? 'Save rule' : 'Add rule'}
        </button>
        <RowResult
          result={fetcher.data}
          shown={['name', 'matchValue', 'teamId', 'userId', 'dayTeamId', 'afterHoursTeamId']}
        />
      </div>
    </fetcher.Form>
  );
}

export function ErrorBoundary() {
  return <PageError title="Routing rules could not be shown" />;
}
