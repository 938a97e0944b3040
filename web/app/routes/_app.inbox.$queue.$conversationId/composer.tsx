/**
 * The composer: Reply or Private note, canned responses, the 24-hour window indicator, and the
 * template picker for WhatsApp once the window has closed. Ctrl/⌘+Enter sends.
 */
import { useFetcher } from '@remix-run/react';
import { forwardRef, useEffect, useId, useImperativeHandle, useRef, useState } from 'react';
import type { ConversationListItem } from '../../../../api/services/inbox.service';
import type { CannedResponseView } from '../../../../api/services/settings.service';
import type { PickableTemplate } from '../../../../activities/channels/templates';
import { useNow } from '../../components/now';
import { Time } from '../../components/time';
import { describedBy, FieldError, Modal, type ModalHandle } from '../../components/ui';
import { humanDuration } from '../../utils/format';
import type { FormResult } from '../../utils/forms';
import { MAX_NOTE_LENGTH, MAX_REPLY_LENGTH } from './schemas';

export interface ComposerWindow {
  freeForm: boolean;
  closesAt: number | null;
  templatesOnly: boolean;
  tag?: 'HUMAN_AGENT';
  closedReason: string | null;
  templatesAllowed: boolean;
}

type Mode = 'reply' | 'note';

/** WhatsApp's free-text window, and Messenger/Instagram's human-agent window (reply-window.ts). */
const DAY_MS = 24 * 3_600_000;
const WEEK_MS = 7 * DAY_MS;

export function Composer({
  conversation,
  window: win,
  canned,
  templates,
  resolved,
}: {
  conversation: ConversationListItem;
  window: ComposerWindow;
  canned: CannedResponseView[];
  templates: PickableTemplate[];
  resolved: boolean;
}) {
  const fetcher = useFetcher<FormResult>();
  const [mode, setMode] = useState<Mode>('reply');
  const formRef = useRef<HTMLFormElement>(null);
  const textRef = useRef<HTMLTextAreaElement>(null);
  const templateDialog = useRef<ModalHandle>(null);
  const id = useId();
  const name = conversation.contact.name;
  const busy = fetcher.state !== 'idle';
  const result = fetcher.data;
  const errors = result && !result.ok ? result.errors : undefined;
  const textDisabled = mode === 'reply' && !win.freeForm;

  /** The text the last reply or note was sent with, to clear once it is stored. */
  const sentText = useRef<string | null>(null);
  useEffect(() => {
    if (fetcher.state === 'idle' && result?.ok && (result.intent === 'reply' || result.intent === 'note')) {
      // Clears only what was sent: the answer comes after the inbox's data is reloaded, and by then
      // the agent may already be writing the next note (the thread shows the reply live before).
      const el = textRef.current;
      if (el && el.value === sentText.current) el.value = '';
      sentText.current = null;
    }
  }, [fetcher.state, result]);

  const insert = (body: string) => {
    const el = textRef.current;
    if (!el) return;
    const text = body.replace(/\{\{\s*name\s*\}\}/gi, name.split(/\s+/)[0] ?? name);
    const start = el.selectionStart ?? el.value.length;
    const end = el.selectionEnd ?? el.value.length;
    el.value = el.value.slice(0, start) + text + el.value.slice(end);
    el.focus();
    el.setSelectionRange(start + text.length, start + text.length);
  };

  return (
    <div className={`composer-wrap mode-${mode}`}>
      <WindowIndicator
        win={win}
        onTemplate={() => templateDialog.current?.open()}
        hasTemplates={templates.length > 0}
      />
      <fetcher.Form
        method="post"
        className={`composer ${mode === 'note' ? 'composer-note' : ''}`}
        ref={formRef}
        aria-label={mode === 'reply' ? 'Reply' : 'Private note'}
        onSubmit={() => {
          sentText.current = textRef.current?.value ?? null;
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            formRef.current?.requestSubmit();
          }
        }}
      >
        <input type="hidden" name="intent" value={mode} />
        <div className="composer-tools">
          <div className="segmented" role="radiogroup" aria-label="Composer mode">
            {(['reply', 'note'] as const).map((m) => (
              <button
                key={m}
                type="button"
                role="radio"
                aria-checked={mode === m}
                className={mode === m ? 'on' : ''}
                onClick={() => setMode(m)}
              >
                {m === 'reply' ? 'Reply' : 'Note'}
              </button>
            ))}
          </div>
          {canned.length > 0 ? (
            <label className="canned-picker">
              <span className="sr-only">Insert a canned response</span>
              <select
                value=""
                disabled={textDisabled}
                onChange={(e) => {
                  const chosen = canned.find((c) => c.id === e.target.value);
                  if (chosen) insert(chosen.body);
                }}
              >
                <option value="">Canned responses…</option>
                {canned.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.title}
                    {c.teamName ? ` (${c.teamName})` : ''}
                  </option>
                ))}
              </select>
            </label>
          ) : null}
          {win.templatesAllowed && templates.length > 0 ? (
            <button type="button" className="secondary small" onClick={() => templateDialog.current?.open()}>
              Templates
            </button>
          ) : null}
        </div>
        {mode === 'note' ? <p className="note-hint">Private note — never sent to the customer</p> : null}
        <div className="composer-row">
          <label htmlFor={`${id}-text`} className="sr-only">
            {mode === 'reply' ? `Reply to ${name}` : `Private note on ${name}`}
          </label>
          <textarea
            id={`${id}-text`}
            ref={textRef}
            name="text"
            rows={2}
            required
            maxLength={mode === 'reply' ? MAX_REPLY_LENGTH : MAX_NOTE_LENGTH}
            disabled={textDisabled}
            placeholder={
              textDisabled
                ? 'Window closed: use a template'
                : mode === 'reply'
                  ? resolved
                    ? 'Write a reply… (the conversation is resolved)'
                    : 'Write a reply…'
                  : 'Write a private note for your team…'
            }
            {...describedBy(`${id}-error`, errors?.text ?? errors?.form)}
          />
          <button type="submit" className="primary" disabled={busy || textDisabled}>
            {busy ? (mode === 'reply' ? 'Sending…' : 'Saving…') : mode === 'reply' ? 'Send' : 'Add note'}
          </button>
        </div>
        <FieldError id={`${id}-error`} error={errors?.text ?? errors?.form} />
      </fetcher.Form>
      {win.templatesAllowed ? <TemplateDialog ref={templateDialog} templates={templates} contactName={name} /> : null}
    </div>
  );
}

function WindowIndicator({
  win,
  onTemplate,
  hasTemplates,
}: {
  win: ComposerWindow;
  onTemplate: () => void;
  hasTemplates: boolean;
}) {
  const now = useNow();
  if (!win.freeForm) {
    const wrote =
      win.closesAt === null ? null : new Date(win.closesAt - (win.templatesAllowed ? DAY_MS : WEEK_MS)).toISOString();
    return (
      <div className="window-indicator window-closed" role="status">
        <strong>{win.templatesAllowed ? 'Window closed: use a template' : 'Reply window closed'}</strong>
        <span>
          {wrote === null ? (
            ' The customer has not written yet.'
          ) : (
            <>
              {' '}
              The customer last wrote <Time at={wrote} withDate />
              {win.templatesAllowed
                ? '; free text is allowed for 24 hours after that.'
                : '; they have to write again before you can reply.'}
            </>
          )}
        </span>
        {win.templatesAllowed && hasTemplates ? (
          <button type="button" className="secondary small" onClick={onTemplate}>
            Choose a template
          </button>
        ) : null}
      </div>
    );
  }
  const left = win.closesAt === null ? null : Math.max(0, win.closesAt - now);
  const soon = left !== null && left < 60 * 60_000;
  return (
    <p className={`window-indicator ${soon ? 'window-soon' : 'window-open'}`}>
      <span className="window-dot" aria-hidden="true" />
      {win.tag === 'HUMAN_AGENT' ? 'Human agent window' : '24-hour window open'}
      {left !== null ? <span> · closes in {humanDuration(Math.round(left / 1000))}</span> : null}
    </p>
  );
}

const TemplateDialog = forwardRef<ModalHandle, { templates: PickableTemplate[]; contactName: string }>(
  function TemplateDialog({ templates, contactName }, ref) {
    const fetcher = useFetcher<FormResult>();
    const [chosen, setChosen] = useState(templates[0] ? `${templates[0].name}|${templates[0].language}` : '');
    const [params, setParams] = useState<string[]>([]);
    const inner = useRef<ModalHandle>(null);
    const template = templates.find((t) => `${t.name}|${t.language}` === chosen);
    const errors = fetcher.data && !fetcher.data.ok ? fetcher.data.errors : undefined;

    useEffect(() => {
      if (fetcher.state === 'idle' && fetcher.data?.ok && fetcher.data.intent === 'template') inner.current?.close();
    }, [fetcher.state, fetcher.data]);

    useImperativeHandle(ref, () => ({
      open: () => inner.current?.open(),
      close: () => inner.current?.close(),
    }));

    const preview = (template?.body ?? '').replace(/\{\{(\d+|\w+)\}\}/g, (_match: string, key: string) => {
      const index = /^\d+$/.test(key) ? Number(key) - 1 : 0;
      return params[index] || `{{${key}}}`;
    });

    return (
      <Modal ref={inner} id="template-dialog" title="Send a template">
        {templates.length === 0 ? (
          <p className="muted">This channel has no approved templates yet. An admin can sync them from Meta.</p>
        ) : (
          <fetcher.Form method="post" className="stack">
            <input type="hidden" name="intent" value="template" />
            <label>
              Template
              <select
                name="template"
                value={chosen}
                onChange={(e) => {
                  setChosen(e.target.value);
                  setParams([]);
                }}
                {...describedBy('template-error', errors?.template)}
              >
                {templates.map((t) => (
                  <option key={t.id} value={`${t.name}|${t.language}`}>
                    {t.name} ({t.language})
                  </option>
                ))}
              </select>
            </label>
            <FieldError id="template-error" error={errors?.template} />
            {Array.from({ length: template?.parameterCount ?? 0 }, (_, i) => (
              <label key={`${chosen}-${i}`}>
                Placeholder {`{{${i + 1}}}`}
                <input
                  name="param[]"
                  required
                  maxLength={1024}
                  value={params[i] ?? ''}
                  onChange={(e) => setParams((p) => Object.assign([...p], { [i]: e.target.value }))}
                  {...describedBy(`param-error-${i}`, errors?.[`param[].${i}`])}
                />
                <FieldError id={`param-error-${i}`} error={errors?.[`param[].${i}`]} />
              </label>
            ))}
            <div className="template-preview" aria-label="Preview">
              <p className="muted">To {contactName}:</p>
              <p>{preview || 'No body text'}</p>
            </div>
            {errors?.form ? (
              <p className="form-error" role="alert">
                {errors.form}
              </p>
            ) : null}
            <button type="submit" className="primary" disabled={fetcher.state !== 'idle'}>
              {fetcher.state !== 'idle' ? 'Sending…' : 'Send template'}
            </button>
          </fetcher.Form>
        )}
      </Modal>
    );
  },
);
