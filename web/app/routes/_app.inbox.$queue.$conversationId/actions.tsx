/**
 * The agent actions on a conversation (DESIGN §3 inputs, §4 roles): claim, assign (owners and
 * admins), hand over, tag, snooze, resolve and reopen. On desktop they sit in the thread header;
 * on a phone they open as a bottom sheet, all within thumb reach. Each form posts an `intent`.
 */
import { Link, useFetcher, useLoaderData } from '@remix-run/react';
import { forwardRef, useEffect, useId, useImperativeHandle, useRef, useState, type RefObject } from 'react';
import { describedBy, FieldError, FormError, Modal, type ModalHandle } from '../../components/ui';
import type { FormResult } from '../../utils/forms';
import type { ThreadLoader } from './route';
import { MAX_NOTE_LENGTH, MAX_REASON_LENGTH, MAX_TAG_LENGTH } from './schemas';

type Loaded = ReturnType<typeof useLoaderData<ThreadLoader>>;

export interface ActionDialogsHandle {
  assign(): void;
  handover(): void;
  snooze(): void;
}

function useAbilities(loaded: Loaded) {
  const { conversation, me, users, state } = loaded;
  const status = state?.status ?? conversation.status;
  const assigneeId = state?.assigneeId ?? conversation.assigneeId;
  const owner = users.find((u) => u.id === assigneeId);
  // An owner who is offline or gone keeps nothing hostage (DESIGN §3): teammates may take over.
  const ownerAway = !!assigneeId && (!owner || owner.availability === 'offline');
  return {
    status,
    resolved: status === 'resolved',
    mine: assigneeId === me.id,
    canClaim: status !== 'resolved' && assigneeId !== me.id && (!assigneeId || ownerAway),
    claimLabel: assigneeId && ownerAway ? 'Take over' : 'Claim',
    canAssign: me.isManager,
  };
}

/** One-button actions (claim, resolve, reopen) with their own pending state and error. */
function IntentButton({
  intent,
  label,
  busyLabel,
  className,
}: {
  intent: string;
  label: string;
  busyLabel: string;
  className?: string;
}) {
  const fetcher = useFetcher<FormResult>();
  const error = fetcher.data && !fetcher.data.ok ? fetcher.data.errors.form : undefined;
  return (
    <fetcher.Form method="post" className="intent-form">
      <input type="hidden" name="intent" value={intent} />
      <button type="submit" className={className ?? 'secondary'} disabled={fetcher.state !== 'idle'}>
        {fetcher.state !== 'idle' ? busyLabel : label}
      </button>
      {error ? (
        <p className="form-error action-error" role="alert">
          {error}
        </p>
      ) : null}
    </fetcher.Form>
  );
}

export function ActionBar({
  loaded,
  dialogs,
  onDetails,
  detailsOpen,
}: {
  loaded: Loaded;
  dialogs: RefObject<ActionDialogsHandle>;
  onDetails: () => void;
  detailsOpen: boolean;
}) {
  const can = useAbilities(loaded);
  const sheet = useRef<ModalHandle>(null);
  const openFromSheet = (open: () => void) => {
    sheet.current?.close();
    open();
  };
  return (
    <div className="thread-actions">
      <div className="toolbar" role="group" aria-label="Conversation actions">
        {can.canClaim ? (
          <IntentButton intent="claim" label={can.claimLabel} busyLabel="Claiming…" className="primary" />
        ) : null}
        {can.canAssign ? (
          <button type="button" className="secondary" onClick={() => dialogs.current?.assign()}>
            Assign…
          </button>
        ) : null}
        {!can.resolved ? (
          <>
            <button type="button" className="secondary" onClick={() => dialogs.current?.handover()}>
              Hand over…
            </button>
            <button type="button" className="secondary" onClick={() => dialogs.current?.snooze()}>
              Snooze…
            </button>
            <IntentButton intent="resolve" label="Resolve" busyLabel="Resolving…" />
          </>
        ) : (
          <IntentButton intent="reopen" label="Reopen" busyLabel="Reopening…" />
        )}
      </div>
      <button
        type="button"
        className="secondary details-toggle"
        aria-expanded={detailsOpen}
        aria-controls="details-panel"
        onClick={onDetails}
      >
        Details
      </button>
      <button type="button" className="primary sheet-toggle" onClick={() => sheet.current?.open()}>
        Actions
      </button>
      <Modal ref={sheet} id="actions-sheet" title="Actions">
        <div className="sheet-actions">
          {can.canClaim ? (
            <IntentButton intent="claim" label={can.claimLabel} busyLabel="Claiming…" className="primary wide" />
          ) : null}
          {can.canAssign ? (
            <button
              type="button"
              className="secondary wide"
              onClick={() => openFromSheet(() => dialogs.current?.assign())}
            >
              Assign…
            </button>
          ) : null}
          {!can.resolved ? (
            <>
              <button
                type="button"
                className="secondary wide"
                onClick={() => openFromSheet(() => dialogs.current?.handover())}
              >
                Hand over…
              </button>
              <button
                type="button"
                className="secondary wide"
                onClick={() => openFromSheet(() => dialogs.current?.snooze())}
              >
                Snooze…
              </button>
              <IntentButton intent="resolve" label="Resolve" busyLabel="Resolving…" className="secondary wide" />
            </>
          ) : (
            <IntentButton intent="reopen" label="Reopen" busyLabel="Reopening…" className="secondary wide" />
          )}
          <TagEditor tags={loaded.state?.tags ?? loaded.conversation.tags} idPrefix="sheet" />
          <p className="sheet-links">
            <Link to={`/contacts/${loaded.conversation.contact.id}`}>Customer profile</Link>
            {loaded.temporalUrl ? (
              <>
                {' · '}
                <a href={loaded.temporalUrl} target="_blank" rel="noreferrer">
                  Open in Temporal UI
                </a>
              </>
            ) : null}
          </p>
        </div>
      </Modal>
    </div>
  );
}

/** Tags on the conversation: remove one with its ×, add one with the small form. */
export function TagEditor({ tags, idPrefix }: { tags: string[]; idPrefix: string }) {
  const add = useFetcher<FormResult>();
  const remove = useFetcher<FormResult>();
  const formRef = useRef<HTMLFormElement>(null);
  const errors = add.data && !add.data.ok ? add.data.errors : undefined;
  const inputId = `${idPrefix}-tag`;
  useEffect(() => {
    if (add.state === 'idle' && add.data?.ok) formRef.current?.reset();
  }, [add.state, add.data]);
  const pendingRemoval = remove.formData?.get('tag');
  return (
    <div className="tag-editor">
      <h3 className="panel-title">Tags</h3>
      {tags.length > 0 ? (
        <ul className="tags editable" aria-label="Conversation tags">
          {tags
            .filter((t) => t !== pendingRemoval)
            .map((t) => (
              <li key={t} className="tag">
                {t}
                <remove.Form method="post">
                  <input type="hidden" name="intent" value="untag" />
                  <input type="hidden" name="tag" value={t} />
                  <button type="submit" className="tag-remove" aria-label={`Remove tag ${t}`}>
                    ×
                  </button>
                </remove.Form>
              </li>
            ))}
        </ul>
      ) : (
        <p className="muted">No tags yet.</p>
      )}
      <add.Form method="post" className="inline-form" ref={formRef}>
        <input type="hidden" name="intent" value="tag" />
        <label htmlFor={inputId} className="sr-only">
          New tag
        </label>
        <input
          id={inputId}
          name="tag"
          required
          maxLength={MAX_TAG_LENGTH}
          placeholder="Add a tag"
          {...describedBy(`${inputId}-error`, errors?.tag ?? errors?.form)}
        />
        <button type="submit" className="secondary" disabled={add.state !== 'idle'}>
          {add.state !== 'idle' ? 'Adding…' : 'Add tag'}
        </button>
      </add.Form>
      <FieldError id={`${inputId}-error`} error={errors?.tag ?? errors?.form} />
    </div>
  );
}

/** The dialogs behind Assign…, Hand over… and Snooze…, rendered once for toolbar and sheet. */
export const ActionDialogs = forwardRef<ActionDialogsHandle, { loaded: Loaded }>(function ActionDialogs(
  { loaded },
  ref,
) {
  const assign = useRef<ModalHandle>(null);
  const handover = useRef<ModalHandle>(null);
  const snooze = useRef<ModalHandle>(null);
  useImperativeHandle(ref, () => ({
    assign: () => assign.current?.open(),
    handover: () => handover.current?.open(),
    snooze: () => snooze.current?.open(),
  }));
  return (
    <>
      {loaded.me.isManager ? (
        <Modal ref={assign} id="assign-dialog" title="Assign conversation">
          <AssignForm loaded={loaded} onDone={() => assign.current?.close()} />
        </Modal>
      ) : null}
      <Modal ref={handover} id="handover-dialog" title="Hand over">
        <HandoverForm loaded={loaded} onDone={() => handover.current?.close()} />
      </Modal>
      <Modal ref={snooze} id="snooze-dialog" title="Snooze until">
        <SnoozeForm onDone={() => snooze.current?.close()} />
      </Modal>
    </>
  );
});

function useDoneOnSuccess(
  fetcher: ReturnType<typeof useFetcher<FormResult>>,
  onDone: () => void,
  formRef?: RefObject<HTMLFormElement>,
) {
  useEffect(() => {
    if (fetcher.state === 'idle' && fetcher.data?.ok) {
      formRef?.current?.reset();
      onDone();
    }
    // onDone is a fresh closure each render; the fetcher's settling is what matters.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [fetcher.state, fetcher.data]);
}

function userLabel(u: Loaded['users'][number]): string {
  return `${u.name} — ${u.availability}, ${u.openLoad}/${u.capacity} open${u.role !== 'agent' ? `, ${u.role}` : ''}`;
}

function AssignForm({ loaded, onDone }: { loaded: Loaded; onDone: () => void }) {
  const fetcher = useFetcher<FormResult>();
  const formRef = useRef<HTMLFormElement>(null);
  useDoneOnSuccess(fetcher, onDone, formRef);
  const errors = fetcher.data && !fetcher.data.ok ? fetcher.data.errors : undefined;
  return (
    <fetcher.Form method="post" className="stack" ref={formRef}>
      <input type="hidden" name="intent" value="assign" />
      <label>
        Person
        <select name="userId" defaultValue="" {...describedBy('assign-user-error', errors?.userId)}>
          <option value="">Keep the current owner</option>
          {loaded.users.map((u) => (
            <option key={u.id} value={u.id}>
              {userLabel(u)}
            </option>
          ))}
        </select>
      </label>
      <FieldError id="assign-user-error" error={errors?.userId} />
      <label>
        Team
        <select name="teamId" defaultValue="" {...describedBy('assign-team-error', errors?.teamId)}>
          <option value="">Keep the current team</option>
          {loaded.teams.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </select>
      </label>
      <FieldError id="assign-team-error" error={errors?.teamId} />
      <FormError errors={errors} />
      <button type="submit" className="primary" disabled={fetcher.state !== 'idle'}>
        {fetcher.state !== 'idle' ? 'Assigning…' : 'Assign'}
      </button>
    </fetcher.Form>
  );
}

function HandoverForm({ loaded, onDone }: { loaded: Loaded; onDone: () => void }) {
  const fetcher = useFetcher<FormResult>();
  const formRef = useRef<HTMLFormElement>(null);
  const [to, setTo] = useState<'agent' | 'team' | 'manager'>('agent');
  useDoneOnSuccess(fetcher, onDone, formRef);
  const errors = fetcher.data && !fetcher.data.ok ? fetcher.data.errors : undefined;
  const others = loaded.users.filter((u) => u.id !== loaded.me.id);
  return (
    <fetcher.Form method="post" className="stack" ref={formRef}>
      <input type="hidden" name="intent" value="handover" />
      <fieldset className="choice">
        <legend>Hand over to</legend>
        {(
          [
            ['agent', 'An agent'],
            ['team', 'A team'],
            ['manager', 'A manager (escalation lane)'],
          ] as const
        ).map(([value, label]) => (
          <label key={value} className="radio">
            <input type="radio" name="to" value={value} checked={to === value} onChange={() => setTo(value)} />
            {label}
          </label>
        ))}
      </fieldset>
      {to === 'agent' ? (
        <>
          <label>
            Agent
            <select name="userId" defaultValue="" required {...describedBy('handover-user-error', errors?.userId)}>
              <option value="" disabled>
                Choose an agent
              </option>
              {others.map((u) => (
                <option key={u.id} value={u.id}>
                  {userLabel(u)}
                </option>
              ))}
            </select>
          </label>
          <FieldError id="handover-user-error" error={errors?.userId} />
        </>
      ) : null}
      {to === 'team' ? (
        <>
          <label>
            Team
            <select name="teamId" defaultValue="" required {...describedBy('handover-team-error', errors?.teamId)}>
              <option value="" disabled>
                Choose a team
              </option>
              {loaded.teams.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          </label>
          <FieldError id="handover-team-error" error={errors?.teamId} />
        </>
      ) : null}
      <label>
        Reason (required)
        <textarea
          name="reason"
          rows={2}
          required
          maxLength={MAX_REASON_LENGTH}
          placeholder="Why should someone else take it?"
          {...describedBy('handover-reason-error', errors?.reason)}
        />
      </label>
      <FieldError id="handover-reason-error" error={errors?.reason} />
      <label>
        Note for the receiver (optional, private)
        <textarea name="note" rows={2} maxLength={MAX_NOTE_LENGTH} />
      </label>
      <FormError errors={errors} />
      <button type="submit" className="primary" disabled={fetcher.state !== 'idle'}>
        {fetcher.state !== 'idle' ? 'Handing over…' : 'Hand over'}
      </button>
    </fetcher.Form>
  );
}

function SnoozeForm({ onDone }: { onDone: () => void }) {
  const fetcher = useFetcher<FormResult>();
  const id = useId();
  const [tzOffset, setTzOffset] = useState(0);
  useEffect(() => setTzOffset(new Date().getTimezoneOffset()), []);
  useDoneOnSuccess(fetcher, onDone);
  const errors = fetcher.data && !fetcher.data.ok ? fetcher.data.errors : undefined;
  const busy = fetcher.state !== 'idle';
  return (
    <fetcher.Form method="post" className="stack">
      <input type="hidden" name="intent" value="snooze" />
      <input type="hidden" name="tzOffset" value={tzOffset} />
      <div className="preset-grid" role="group" aria-label="Quick choices">
        {(
          [
            ['1h', 'In 1 hour'],
            ['3h', 'In 3 hours'],
            ['tomorrow', 'Tomorrow 9:00'],
            ['next-week', 'Next Monday 9:00'],
          ] as const
        ).map(([value, label]) => (
          <button key={value} type="submit" name="preset" value={value} className="secondary" disabled={busy}>
            {label}
          </button>
        ))}
      </div>
      <label htmlFor={`${id}-until`}>Or pick a date and time</label>
      <div className="inline-form">
        <input id={`${id}-until`} type="datetime-local" name="until" {...describedBy(`${id}-error`, errors?.until)} />
        <button type="submit" name="preset" value="custom" className="primary" disabled={busy}>
          Snooze
        </button>
      </div>
      <FieldError id={`${id}-error`} error={errors?.until ?? errors?.preset} />
      <FormError errors={errors} />
    </fetcher.Form>
  );
}
