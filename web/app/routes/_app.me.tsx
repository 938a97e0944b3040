/**
 * "Me": every staff member's own page: availability (online, away, offline; coming online lets
 * the team queues hand out waiting conversations), WhatsApp alert preferences, their teams.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { z } from 'zod';
import { PageError } from '../components/page-error';
import { describedBy, FieldError, FormError } from '../components/ui';
import { requireUser } from '../utils/auth.server';
import { checkbox, parseForm, type FormResult } from '../utils/forms';
import { formAction, invalid, orResponse } from '../utils/http.server';

export const meta: MetaFunction = () => [{ title: 'Me · Kliovo Inbox' }];

const AvailabilitySchema = z.object({
  intent: z.literal('availability'),
  availability: z.enum(['online', 'away', 'offline'], 'Choose online, away or offline'),
});
const PrefsSchema = z
  .object({
    intent: z.literal('prefs'),
    notifyWhatsapp: checkbox,
    whatsappNumber: z
      .string()
      .trim()
      .transform((v) => v.replace(/[\s()-]/g, ''))
      .refine((v) => v === '' || /^\+?[1-9]\d{6,14}$/.test(v), 'An international number, e.g. +212600000001')
      .transform((v) => (v === '' ? null : v.startsWith('+') ? v : `+${v}`)),
  })
  .refine((v) => !v.notifyWhatsapp || v.whatsappNumber, {
    path: ['whatsappNumber'],
    message: 'Give the number that should receive the alerts',
  });
const MeActionSchema = z.discriminatedUnion('intent', [AvailabilitySchema, PrefsSchema]);

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireUser(request, context);
  return { profile: await orResponse(context.services.inbox.profile(actor)) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireUser(request, context);
  const form = await request.formData();
  const parsed = parseForm(MeActionSchema, form);
  if (!parsed.ok) return invalid(String(form.get('intent')), parsed.errors);
  const v = parsed.value;
  if (v.intent === 'availability') {
    return formAction(
      'availability',
      context.services.inbox.setAvailability(actor, v.availability),
      `You are ${v.availability}`,
    );
  }
  return formAction(
    'prefs',
    context.services.inbox.updateNotificationPrefs(actor, {
      notifyWhatsapp: v.notifyWhatsapp,
      whatsappNumber: v.whatsappNumber,
    }),
    'Preferences saved',
  );
}

const AVAILABILITY = [
  ['online', 'Online', 'New conversations can be assigned to you.'],
  ['away', 'Away', 'You keep your conversations; nothing new is assigned.'],
  ['offline', 'Offline', 'Teammates may take over your open conversations.'],
] as const;

export default function Me() {
  const { profile } = useLoaderData<typeof loader>();
  const result = useActionData<FormResult>();
  const busy = useNavigation().state !== 'idle';
  const errorsFor = (intent: string) => (result && !result.ok && result.intent === intent ? result.errors : undefined);
  const okFor = (intent: string) => (result?.ok && result.intent === intent ? result.message : undefined);
  const prefsErrors = errorsFor('prefs');
  return (
    <div className="page">
      <h1>Me</h1>
      <section className="card" aria-labelledby="who-title">
        <h2 id="who-title">{profile.name}</h2>
        <p className="muted">
          {profile.email} · {profile.role} · capacity {profile.capacity} open conversations
        </p>
        {profile.teams.length > 0 ? (
          <p>
            Teams:{' '}
            {profile.teams.map((t, i) => (
              <span key={t.id}>
                {i > 0 ? ', ' : ''}
                <Link to={`/inbox/team-${t.id}`}>{t.name}</Link>
                {t.isLead ? <span className="pill lead">lead</span> : null}
              </span>
            ))}
          </p>
        ) : null}
      </section>

      <section className="card" aria-labelledby="availability-title">
        <h2 id="availability-title">Availability</h2>
        <Form method="post" className="stack">
          <input type="hidden" name="intent" value="availability" />
          <fieldset className="choice">
            <legend>I am</legend>
            {AVAILABILITY.map(([value, label, hint]) => (
              <label key={value} className="radio">
                <input type="radio" name="availability" value={value} defaultChecked={profile.availability === value} />
                <span className={`presence presence-${value}`} aria-hidden="true" />
                <span>
                  {label} <span className="muted">— {hint}</span>
                </span>
              </label>
            ))}
          </fieldset>
          <FormError errors={errorsFor('availability')} />
          <div className="form-actions">
            <button type="submit" className="primary" disabled={busy}>
              Save availability
            </button>
            {okFor('availability') ? (
              <p className="form-ok" role="status">
                {okFor('availability')}
              </p>
            ) : null}
          </div>
        </Form>
      </section>

      <section className="card" aria-labelledby="prefs-title">
        <h2 id="prefs-title">Notifications</h2>
        <p className="muted">
          Handovers, assignments and escalations always appear here in the app. You can also get them on WhatsApp.
        </p>
        <Form method="post" className="stack">
          <input type="hidden" name="intent" value="prefs" />
          <label className="check">
            <input type="checkbox" name="notifyWhatsapp" defaultChecked={profile.notifyWhatsapp} />
            Send my alerts to WhatsApp too
          </label>
          <label>
            My WhatsApp number
            <input
              name="whatsappNumber"
              type="tel"
              inputMode="tel"
              autoComplete="tel"
              defaultValue={profile.whatsappNumber ?? ''}
              placeholder="+212600000001"
              {...describedBy('whatsapp-number-error', prefsErrors?.whatsappNumber)}
            />
          </label>
          <FieldError id="whatsapp-number-error" error={prefsErrors?.whatsappNumber} />
          <FormError errors={prefsErrors} />
          <div className="form-actions">
            <button type="submit" className="primary" disabled={busy}>
              Save preferences
            </button>
            {okFor('prefs') ? (
              <p className="form-ok" role="status">
                {okFor('prefs')}
              </p>
            ) : null}
          </div>
        </Form>
      </section>

      <section className="card me-signout" aria-label="Session">
        <Form method="post" action="/logout">
          <button type="submit" className="secondary">
            Sign out
          </button>
        </Form>
      </section>
    </div>
  );
}

export function ErrorBoundary() {
  return <PageError title="Your page could not be shown" />;
}
