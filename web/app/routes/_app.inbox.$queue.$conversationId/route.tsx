/**
 * One conversation (DESIGN §5): the thread with notes and timeline rows, the handover card, the
 * composer (reply, private note, canned responses, templates, 24-hour window), the agent actions
 * and the customer panel. Every action posts an `intent` and goes through the inbox service to
 * the conversation workflow; nothing here writes conversation state.
 */
import { type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Link, isRouteErrorResponse, useLoaderData, useParams, useRouteError } from '@remix-run/react';
import { useMemo, useRef, useState } from 'react';
import { ChannelBadge, SlaBadge, StatusBadge } from '../../components/badges';
import type { FormResult } from '../../utils/forms';
import { parseForm } from '../../utils/forms';
import { requireUser } from '../../utils/auth.server';
import {
  formAction,
  invalid,
  isManagerRole,
  orResponse,
  requireParam,
  temporalWorkflowUrl,
} from '../../utils/http.server';
import { liveState, settled, windowFor } from '../../utils/thread.server';
import { ActionBar, ActionDialogs, type ActionDialogsHandle } from './actions';
import { Composer } from './composer';
import { DetailsPanel } from './details';
import { snoozeUntil, ThreadActionSchema } from './schemas';
import { HandoverCard, Thread } from './thread';

/** Messages per page: the newest on load, older ones with "Load earlier". */
export const THREAD_PAGE = 50;

export const meta: MetaFunction<typeof loader> = ({ data: loaded }) => [
  { title: `${loaded?.conversation.contact.name ?? 'Conversation'} · Kliovo Inbox` },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const actor = await requireUser(request, context);
  const id = requireParam(params, 'conversationId');
  const inbox = context.services.inbox;
  const [conversation, messages, users, teams, canned] = await orResponse(
    Promise.all([
      inbox.getConversation(actor, id),
      inbox.listMessages(actor, id, { limit: THREAD_PAGE }),
      inbox.listUsers(actor),
      inbox.teamDirectory(actor),
      inbox.listCannedResponses(actor),
    ]),
  );
  // Notes and events from the oldest message shown (all of them when the whole thread is shown).
  const from = messages.nextCursor ? (messages.data[0]?.sentAt ?? null) : null;
  const [side, contact, templates, state] = await orResponse(
    Promise.all([
      inbox.threadSide(actor, id, { from }),
      inbox.contact(actor, conversation.contact.id),
      conversation.channel.kind === 'whatsapp' ? inbox.composerTemplates(actor, id) : Promise.resolve([]),
      liveState(inbox.state(actor, id)),
    ]),
  );
  const manager = isManagerRole(actor);
  return {
    me: { id: actor.id, name: actor.name, isManager: manager },
    conversation,
    messages,
    side,
    contact,
    templates,
    canned: canned.data,
    users: users.data.map((u) => ({
      id: u.id,
      name: u.name,
      role: u.role,
      availability: u.availability,
      capacity: u.capacity,
      openLoad: u.openLoad,
      teamIds: u.teamIds,
    })),
    teams,
    state,
    window: windowFor(conversation.channel.kind, conversation.lastInboundAt, state),
    temporalUrl: manager ? temporalWorkflowUrl(context, conversation.workflowId) : null,
  };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const actor = await requireUser(request, context);
  const id = requireParam(params, 'conversationId');
  const form = await request.formData();
  // A plain `text` post (no intent) is a reply: the composer's form without JavaScript, and clients of the first slice.
  if (!form.has('intent')) form.set('intent', 'reply');
  const intent = String(form.get('intent'));
  const parsed = parseForm(ThreadActionSchema, form);
  if (!parsed.ok) return invalid(intent, parsed.errors);
  const inbox = context.services.inbox;
  const input = parsed.value;

  // Updates answer once the workflow decided; signals are waited for until projected (bounded).
  // The work starts only after the visibility check: a refused probe must not leave a rejected
  // promise behind (an unhandled rejection would take the web process down).
  const signal = async (work: () => Promise<unknown>) => {
    const before = await orResponse(inbox.getConversation(actor, id));
    await work();
    await settled(inbox, actor, id, before.version);
  };

  switch (input.intent) {
    case 'reply':
    case 'template': {
      const result = await formAction(
        input.intent,
        input.intent === 'reply'
          ? inbox.reply(actor, id, { text: input.text })
          : inbox.reply(actor, id, {
              template: {
                name: input.template.split('|')[0]!,
                language: input.template.split('|')[1]!,
                parameters: input['param[]'],
              },
            }),
      );
      // Refused by the provider: the message is in the thread as failed; say why at the composer.
      if ('ok' in result && result.ok && result.value?.status === 'failed') {
        return { ok: false, intent: input.intent, errors: { form: `Not sent: ${result.value.error ?? 'refused'}` } };
      }
      return result;
    }
    case 'note':
      return formAction('note', inbox.addNote(actor, id, { text: input.text }), 'Note added');
    case 'claim':
      return formAction('claim', inbox.claim(actor, id), 'You own this conversation now');
    case 'assign':
      return formAction('assign', inbox.assign(actor, id, { userId: input.userId, teamId: input.teamId }), 'Assigned');
    case 'handover': {
      const to =
        input.to === 'agent'
          ? { kind: 'agent' as const, userId: input.userId! }
          : input.to === 'team'
            ? { kind: 'team' as const, teamId: input.teamId! }
            : { kind: 'manager' as const };
      return formAction(
        'handover',
        signal(() => inbox.handover(actor, id, { to, reason: input.reason, note: input.note || undefined })),
        'Handed over',
      );
    }
    case 'tag':
      return formAction(
        'tag',
        signal(() => inbox.tag(actor, id, { add: [input.tag] })),
        `Tagged “${input.tag}”`,
      );
    case 'untag':
      return formAction(
        'untag',
        signal(() => inbox.tag(actor, id, { remove: [input.tag] })),
        `Removed “${input.tag}”`,
      );
    case 'snooze': {
      const until = snoozeUntil(input, Date.now());
      return formAction(
        'snooze',
        signal(() => inbox.snooze(actor, id, { until: until.toISOString() })),
        'Snoozed',
      );
    }
    case 'resolve':
      return formAction(
        'resolve',
        signal(() => inbox.resolve(actor, id)),
        'Resolved',
      );
    case 'reopen':
      return formAction(
        'reopen',
        signal(() => inbox.reopen(actor, id)),
        'Reopened',
      );
  }
}

export type ThreadActionResult = FormResult;
export type ThreadLoader = typeof loader;

export default function ConversationPage() {
  const loaded = useLoaderData<typeof loader>();
  const { conversation, state, side } = loaded;
  const { queue } = useParams();
  const dialogs = useRef<ActionDialogsHandle>(null);
  const [detailsOpen, setDetailsOpen] = useState(false);
  const status = state?.status ?? conversation.status;
  const escalationLevel = state?.escalationLevel ?? conversation.escalationLevel;
  const sla = state ? state.sla : conversation.sla;
  const names = useMemo(
    () => ({
      users: Object.fromEntries(loaded.users.map((u) => [u.id, u.name])),
      teams: Object.fromEntries(loaded.teams.map((t) => [t.id, t.name])),
    }),
    [loaded.users, loaded.teams],
  );

  return (
    <div className="thread" key={conversation.id}>
      <header className="thread-header">
        <Link to={`/inbox/${queue ?? 'all'}`} className="back" aria-label="Back to the list">
          ←
        </Link>
        <div className="thread-heading">
          <h2 id="thread-title">{conversation.contact.name}</h2>
          <p className="muted thread-sub">
            <ChannelBadge kind={conversation.channel.kind} /> <StatusBadge status={status} />{' '}
            <SlaBadge sla={sla} escalationLevel={escalationLevel} />
            <span className="owner-line">
              {conversation.assignee ? `Owner: ${conversation.assignee.name}` : 'No owner'}
              {conversation.team ? ` · ${conversation.team.name}` : ''}
            </span>
          </p>
        </div>
        <ActionBar
          loaded={loaded}
          dialogs={dialogs}
          onDetails={() => setDetailsOpen((o) => !o)}
          detailsOpen={detailsOpen}
        />
      </header>
      <div className={`thread-body ${detailsOpen ? 'details-open' : ''}`}>
        <div className="thread-main">
          {side.handover ? <HandoverCard handover={side.handover} names={names} /> : null}
          {/* The transcript is the region named after the customer (the handover card sits outside it). */}
          <section className="transcript" aria-labelledby="thread-title">
            <Thread
              key={conversation.id}
              conversation={conversation}
              messages={loaded.messages}
              side={side}
              queue={queue ?? 'all'}
              names={names}
            />
            <Composer
              key={`composer-${conversation.id}`}
              conversation={conversation}
              window={loaded.window}
              canned={loaded.canned}
              templates={loaded.templates}
              resolved={status === 'resolved'}
            />
          </section>
        </div>
        <DetailsPanel loaded={loaded} onClose={() => setDetailsOpen(false)} names={names} />
      </div>
      <ActionDialogs ref={dialogs} loaded={loaded} />
    </div>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  const notFound = isRouteErrorResponse(error) && error.status === 404;
  return (
    <section className="thread thread-error" role="alert">
      <h2>{notFound ? 'Conversation not found' : 'This conversation could not be shown'}</h2>
      <p className="muted">{notFound ? 'It may not exist, or it is not in your queues.' : 'Please try again.'}</p>
      <Link to="/inbox">Back to the inbox</Link>
    </section>
  );
}
