/** Canned responses: saved replies agents insert from the composer (`{{name}}` becomes the customer's first name). */
import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node';
import { useFetcher, useLoaderData } from '@remix-run/react';
import { useEffect, useRef } from 'react';
import type { CannedResponseView } from '../../../../api/services/settings.service';
import { PageError } from '../../components/page-error';
import { RowResult } from '../../components/settings';
import { describedBy, FieldError } from '../../components/ui';
import { parseForm, type FormResult } from '../../utils/forms';
import { formAction, invalid, orResponse, requireManager } from '../../utils/http.server';
import { CannedActionSchema } from './schemas';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireManager(request, context);
  const inbox = context.services.inbox;
  const [canned, teams] = await orResponse(Promise.all([inbox.listCannedResponses(actor), inbox.teamDirectory(actor)]));
  return { canned: canned.data, teams };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireManager(request, context);
  const form = await request.formData();
  const parsed = parseForm(CannedActionSchema, form);
  if (!parsed.ok) return invalid(String(form.get('intent')), parsed.errors);
  const v = parsed.value;
  const inbox = context.services.inbox;
  switch (v.intent) {
    case 'create':
      return formAction(v.intent, inbox.createCannedResponse(actor, v), `“${v.title}” added`);
    case 'update':
      return formAction(v.intent, inbox.updateCannedResponse(actor, v.id, v), 'Saved');
    case 'delete':
      return formAction(v.intent, inbox.deleteCannedResponse(actor, v.id), 'Deleted');
  }
}

type Teams = ReturnType<typeof useLoaderData<typeof loader>>['teams'];

export default function CannedSettings() {
  const { canned, teams } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>Canned responses</h1>
      <section className="card" aria-labelledby="new-canned-title">
        <h2 id="new-canned-title">New canned response</h2>
        <CannedForm teams={teams} idPrefix="new-canned" />
      </section>
      {canned.map((c) => (
        <section className="card" key={c.id} aria-label={c.title}>
          <CannedForm teams={teams} canned={c} idPrefix={`canned-${c.id}`} />
        </section>
      ))}
    </>
  );
}

function CannedForm({ teams, canned, idPrefix }: { teams: Teams; canned?: CannedResponseView; idPrefix: string }) {
  const fetcher = useFetcher<FormResult>();
  const remove = useFetcher<FormResult>();
  const ref = useRef<HTMLFormElement>(null);
  const errors = fetcher.data && !fetcher.data.ok ? fetcher.data.errors : undefined;
  useEffect(() => {
    if (!canned && fetcher.state === 'idle' && fetcher.data?.ok) ref.current?.reset();
  }, [canned, fetcher.state, fetcher.data]);
  return (
    <>
      <fetcher.Form method="post" className="stack" ref={ref}>
        <input type="hidden" name="intent" value={canned ? 'update' : 'create'} />
        {canned ? <input type="hidden" name="id" value={canned.id} /> : null}
        <div className="form-grid">
          <div>
            <label>
              Title
              <input
                name="title"
                required
                maxLength={120}
                defaultValue={canned?.title ?? ''}
                {...describedBy(`${idPrefix}-title-error`, errors?.title)}
              />
            </label>
            <FieldError id={`${idPrefix}-title-error`} error={errors?.title} />
          </div>
          <label>
            Available to
            <select name="teamId" defaultValue={canned?.teamId ?? ''}>
              <option value="">Every team</option>
              {teams.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          </label>
        </div>
        <div>
          <label>
            Text
            <textarea
              name="body"
              rows={3}
              required
              maxLength={4096}
              defaultValue={canned?.body ?? ''}
              placeholder="Hi {{name}}, thanks for your order!"
              {...describedBy(`${idPrefix}-body-error`, errors?.body)}
            />
          </label>
          <FieldError id={`${idPrefix}-body-error`} error={errors?.body} />
        </div>
        <div className="form-actions">
          <button type="submit" className="primary">
            {canned ? `Save “${canned.title}”` : 'Add canned response'}
          </button>
          <RowResult result={fetcher.data} shown={['title', 'body']} />
        </div>
      </fetcher.Form>
      {canned ? (
        <remove.Form method="post" className="form-actions">
          <input type="hidden" name="intent" value="delete" />
          <input type="hidden" name="id" value={canned.id} />
          <button type="submit" className="danger small">
            Delete “{canned.title}”
          </button>
          <RowResult result={remove.data} />
        </remove.Form>
      ) : null}
    </>
  );
}

export function ErrorBoundary() {
  return <PageError title="Canned responses could not be shown" />;
}
