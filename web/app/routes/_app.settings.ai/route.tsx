/**
 * The AI first response (DESIGN §3): on or off, extra instructions for the model, and the FAQ it
 * (and the keyless fallback) answers from. Conversations read the settings at each message.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node';
import { useFetcher, useLoaderData } from '@remix-run/react';
import { useState } from 'react';
import { PageError } from '../../components/page-error';
import { RowResult } from '../../components/settings';
import { describedBy, FieldError } from '../../components/ui';
import { parseForm, type FormResult } from '../../utils/forms';
import { formAction, invalid, orResponse, requireManager } from '../../utils/http.server';
import { AiSettingsSchema } from './schemas';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireManager(request, context);
  return { settings: await orResponse(context.services.inbox.getAiSettings(actor)) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireManager(request, context);
  const parsed = parseForm(AiSettingsSchema, await request.formData());
  if (!parsed.ok) return invalid('save', parsed.errors);
  return formAction('save', context.services.inbox.putAiSettings(actor, parsed.value), 'Saved');
}

let nextKey = 0;

export default function AiSettings() {
  const { settings } = useLoaderData<typeof loader>();
  const fetcher = useFetcher<FormResult>();
  const errors = fetcher.data && !fetcher.data.ok ? fetcher.data.errors : undefined;
  const [rows, setRows] = useState(() =>
    (settings.faq.length > 0 ? settings.faq : [{ keywords: [], answer: '' }]).map((f) => ({
      key: nextKey++,
      keywords: f.keywords.join(', '),
      answer: f.answer,
    })),
  );
  return (
    <>
      <h1>AI assistant</h1>
      {!settings.storedValid ? (
        <p className="form-error" role="alert">
          The stored settings could not be read; the defaults below are in use until you save.
        </p>
      ) : null}
      <fetcher.Form method="post" className="stack">
        <input type="hidden" name="intent" value="save" />
        <section className="card" aria-labelledby="ai-general-title">
          <h2 id="ai-general-title">First response</h2>
          <label className="check">
            <input type="checkbox" name="enabled" defaultChecked={settings.enabled} />
            Let the AI answer new conversations first (it hands over when unsure or when asked for a human)
          </label>
          <label>
            Instructions for the AI
            <textarea
              name="instructions"
              rows={5}
              maxLength={4000}
              defaultValue={settings.instructions}
              placeholder="Business name, tone, what it may and may not answer…"
              {...describedBy('ai-instructions-error', errors?.instructions)}
            />
          </label>
          <FieldError id="ai-instructions-error" error={errors?.instructions} />
        </section>
        <section className="card" aria-labelledby="ai-faq-title">
          <h2 id="ai-faq-title">FAQ</h2>
          <p className="muted">Known answers. Without an API key, the fallback answers these by keyword.</p>
          <ol className="faq-list">
            {rows.map((row, i) => (
              <li key={row.key} className="faq-row">
                <fieldset>
                  <legend>Question {i + 1}</legend>
                  <label>
                    Keywords (comma-separated)
                    <input
                      name="faqKeywords[]"
                      defaultValue={row.keywords}
                      placeholder="delivery, shipping, when"
                      {...describedBy(`faq-${i}-keywords-error`, errors?.[`faq.${i}.keywords`])}
                    />
                  </label>
                  <FieldError id={`faq-${i}-keywords-error`} error={errors?.[`faq.${i}.keywords`]} />
                  <label>
                    Answer
                    <textarea
                      name="faqAnswer[]"
                      rows={2}
                      maxLength={2000}
                      defaultValue={row.answer}
                      {...describedBy(`faq-${i}-answer-error`, errors?.[`faq.${i}.answer`])}
                    />
                  </label>
                  <FieldError id={`faq-${i}-answer-error`} error={errors?.[`faq.${i}.answer`]} />
                  <button
                    type="button"
                    className="danger small"
                    onClick={() => setRows((all) => all.filter((r) => r.key !== row.key))}
                  >
                    Remove question {i + 1}
                  </button>
                </fieldset>
              </li>
            ))}
          </ol>
          <button
            type="button"
            className="secondary"
            onClick={() => setRows((all) => [...all, { key: nextKey++, keywords: '', answer: '' }])}
          >
            Add a question
          </button>
        </section>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={fetcher.state !== 'idle'}>
            Save AI settings
          </button>
          <RowResult
            result={fetcher.data}
            shown={['instructions', ...rows.flatMap((_, i) => [`faq.${i}.keywords`, `faq.${i}.answer`])]}
          />
        </div>
      </fetcher.Form>
    </>
  );
}

export function ErrorBoundary() {
  return <PageError title="AI settings could not be shown" />;
}
