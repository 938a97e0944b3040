/**
 * conversationWorkflow: one durable workflow per conversation (DESIGN §3).
 *
 * Id `conv:<channelId>:<contactKey>`; started by the first webhook through signalWithStart.
 * The story: the first message opens the conversation; while the AI holds it, each customer message
 * gets an AI first response (a reply, or a handover with its card); routing picks a team and owner
 * through a child routing workflow; agents reply, note, claim, assign, hand over, tag, snooze and
 * resolve; while a customer waits for a human, the SLA clock climbs three named durable timers.
 * Every change is a pure transition in state.ts whose effects end in one projection write carrying
 * the new version. It continues as new when the server suggests, and completes once a resolved
 * conversation has idled for `idleTimeoutMs`; a later message starts a fresh run over the same row.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  executeChild,
  log,
  makeContinueAsNewFunc,
  patched,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { AiDecision } from '../../activities/ai/types';
import type { OutboundContent } from '../../activities/channels/send.activities';
import type { OpenConversationResult, OpeningMessage, ProjectedEffects } from '../../activities/projection/types';
import type { ChosenRule } from '../../activities/routing/rules';
import {
  routingChildWorkflowId,
  type RoutingContext,
  type RoutingDecision,
  type RoutingWorkflow,
} from '../routing/contract';
import { decidesFromContextAlone, routingWorkflowFor } from '../routing/registry';
import { ai, channelSend, mainLoopLocal, media, notify, projection, routing } from '../shared/activity-profiles';
import { ErrorType } from '../shared/errors';
import { WORKFLOW_TASK_TIMEOUT } from '../shared/workflow-task-timeout';
import {
  INBOX_ASSIGNEE,
  INBOX_ESCALATION,
  INBOX_PRIORITY,
  INBOX_STATUS,
  INBOX_TEAM,
  INBOX_WAITING_SINCE,
} from '../shared/search-attributes';
import {
  addNoteUpdate,
  assignUpdate,
  claimUpdate,
  handoverSignal,
  inboundMessageSignal,
  reopenSignal,
  replyUpdate,
  resolveSignal,
  snoozeSignal,
  stateQuery,
  tagSignal,
  untagSignal,
  type Actor,
  type ConversationCommand as Command,
  type ConversationInput,
  type InboundMessage,
  type OwnershipResult,
  type ReplyTemplate,
} from './contract';
import { causedIds, effectCauses } from './effect-ids';
import { projectionSnapshot } from './snapshot';
import { SLA_TIERS, type SlaPolicy } from './sla';
import {
  agentReplied,
  aiReplied,
  aiStarted,
  assigned,
  escalated,
  handover,
  initialState,
  isDuplicate,
  opened,
  ownerUnavailable,
  receiveInbound,
  reopened,
  resolved,
  routed,
  slaDue,
  slaPolicyLoaded,
  snoozed,
  tagged,
  toView,
  untagged,
  woke,
  type Change,
  type ConversationState,
} from './state';
import {
  validateAddNote,
  validateAssign,
  validateClaim,
  validateHandover,
  validateReply,
  validateSnooze,
  validateTags,
} from './validation';

const DEFAULT_IDLE_TIMEOUT_MS = 7 * 24 * 60 * 60 * 1000;
const ROUTING_TIMEOUT = '1 minute';

/** At most this many waiting customer messages are recorded together (one workflow task). */
const INBOUND_BATCH = 50;

/** Since this patch, customer messages are written by a local activity (activity-profiles.ts). */
const INBOUND_LOCAL_ACTIVITY_PATCH = 'inbound-message-local-activity';

/**
 * Since this patch, the main loop's other writes are local activities too (opening the row, the
 * changes it applies, the routing rule it reads), and routing workflows that decide from their
 * context alone run inline (registry.ts): a new conversation is opened and routed in one workflow
 * task. It implies the patch above, so a new run records one patch instead of two: each costs a
 * marker and an upsert of the TemporalChangeVersion search attribute (issue #6).
 */
const LEAN_MAIN_LOOP_PATCH = 'lean-main-loop';

/**
 * Since this patch, the SLA clock hands a tier that came due to the main loop, which writes the
 * escalation with its local activities, in the workflow task the tier's timer fired in (issue #6:
 * the 1,000-deadline burst cost an activity task and a second workflow task per escalation). The
 * clock only decides when: local writes of its own, beside the main loop's, failed replay in the
 * interleaving test (non-determinism between their commands), as handler writes once did.
 */
const SLA_DUE_TO_MAIN_LOOP_PATCH = 'sla-due-to-main-loop';

/**
 * Since this patch, the SLA clock writes its escalation with an ordinary activity again, as before
 * SLA_DUE_TO_MAIN_LOOP_PATCH; runs that took the hand-over replay as they ran. The chaos run
 * (issue #7) found a tier fired twice in one waiting period: a local activity's write commits even
 * when its workflow task does not (a worker paused past the task's timeout), and the retried task,
 * with the signals that arrived meanwhile ahead of the timer, wrote the escalation again under
 * other ids. An ordinary activity is scheduled only by a completed task, so it is written once.
 */
const SLA_ESCALATION_ACTIVITY_PATCH = 'sla-escalation-activity-again';

/**
 * Since this patch, what the main loop's local activities write (a customer message, the events,
 * notes and notifications of the changes it applies) has ids named after its cause (effect-ids.ts)
 * instead of the run's random numbers, so a workflow task retried after its local write committed
 * writes the same rows again, which the projection ignores. Runs from before replay as they ran.
 */
const CAUSED_EFFECT_IDS_PATCH = 'effect-ids-from-causes';

/**
 * Since this patch, a change the main loop applies with nothing to write (no event, note or
 * notification, and the very state whose snapshot the customer's message just wrote) writes
 * nothing: a new conversation's 'route' effect cost a local activity whose transaction updated no
 * row, one of an opening's five (issue #6: openings are a quarter of steady traffic and 38% of its
 * CPU). It implies the two patches above, so a new run records one patch, and one upsert of the
 * TemporalChangeVersion search attribute, instead of two.
 */
const SKIP_EMPTY_WRITES_PATCH = 'skip-empty-writes';

/**
 * Since this patch, a run's opening is one local activity instead of three: it opens the row,
 * stores the first customer message with its snapshot and, without the AI, reads the routing rule,
 * in one transaction. The snapshot depends on the row's version and the channel's settings, so the
 * activity computes it from what it reads with the workflow's own pure steps (snapshot.ts), at the
 * time the workflow gives it. A new conversation is opened and routed with two local activities,
 * not four; with the AI, one instead of two (issue #6). It implies the patches above.
 */
const OPEN_WITH_FIRST_MESSAGE_PATCH = 'open-with-first-message';

/** What the main loop reads and writes as it applies a change, as ordinary or local activities. */
type MainLoopActivities = Pick<typeof projection, 'recordChange' | 'chooseRoutingRule'>;
const ORDINARY: MainLoopActivities = {
  recordChange: projection.recordChange,
  chooseRoutingRule: routing.chooseRoutingRule,
};

export async function conversationWorkflow(input: ConversationInput): Promise<void> {
  // Runs from before OPEN_WITH_FIRST_MESSAGE_PATCH replay with the patches they recorded; the
  // newest is asked first, so a new run records one patch marker.
  const opensWithMessage = () => patched(OPEN_WITH_FIRST_MESSAGE_PATCH);
  const skipsEmptyWrites = () => opensWithMessage() || patched(SKIP_EMPTY_WRITES_PATCH);
  const lean = () => skipsEmptyWrites() || patched(LEAN_MAIN_LOOP_PATCH);
  const causedEffectIds = () => skipsEmptyWrites() || patched(CAUSED_EFFECT_IDS_PATCH);
  const commands: Command[] = [];
  /** Why each command came (the run's n-th signal, the AI's n-th turn): its effects' ids. */
  const causeOf = new Map<Command, string>();
  let signalsReceived = 0;
  const receive = (command: Command) => {
    if (command.kind !== 'inbound') causeOf.set(command, `signal/${++signalsReceived}`);
    commands.push(command);
  };
  for (const command of input.carriedCommands ?? []) receive(command);
  const idOf = causedIds(workflowInfo());
  let aiTurns = 0;
  let state: ConversationState | undefined = input.carried;
  let publishedAttributes = '';
  /** Effects of opening the run that must wait until its first message is stored. */
  let pendingAfterOpen: Change['effects'] = [];
  /** The SLA policy the opening read with the row, for the run's first waiting period. */
  let openingPolicy: { teamId: string | null; policy: SlaPolicy } | undefined;
  /** The state whose snapshot the last customer messages wrote to the projection row. */
  let projected: ConversationState | undefined;
  /** The routing rule the opening read with the first message, for the route it leads to. */
  let openingRule: ChosenRule | undefined;

  // Handlers first, before any await: the signal that started this run is delivered now.
  // Signals only record their input (malformed payloads are logged and dropped); the main loop acts.
  setHandler(inboundMessageSignal, (message) => {
    if (typeof message?.externalId !== 'string' || !message.contact?.key) return dropped('inboundMessage');
    receive({ kind: 'inbound', message });
  });
  setHandler(handoverSignal, (handoverInput) => {
    const problem = validateHandover(handoverInput);
    if (problem) return dropped('handover', problem);
    receive({ kind: 'handover', input: handoverInput });
  });
  setHandler(tagSignal, (tagInput) => {
    const problem = validateTags(tagInput);
    if (problem) return dropped('tag', problem);
    receive({ kind: 'tag', tags: tagInput.tags, by: tagInput.by });
  });
  setHandler(untagSignal, (tagInput) => {
    const problem = validateTags(tagInput);
    if (problem) return dropped('untag', problem);
    receive({ kind: 'untag', tags: tagInput.tags, by: tagInput.by });
  });
  setHandler(snoozeSignal, (snoozeInput) => {
    const problem = validateSnooze(snoozeInput);
    if (problem) return dropped('snooze', problem);
    receive({ kind: 'snooze', until: snoozeInput.until, by: snoozeInput.by });
  });
  setHandler(resolveSignal, (actorInput) => {
    receive({ kind: 'resolve', by: actorInput?.by ?? { kind: 'system' } });
  });
  setHandler(reopenSignal, (actorInput) => {
    receive({ kind: 'reopen', by: actorInput?.by ?? { kind: 'system' } });
  });

  setHandler(stateQuery, () => toView(requireState(), input.channelKind, Date.now()), {
    description: 'Status, owner, team, SLA deadlines, escalation level and reply window of this conversation',
  });

  // Updates decide synchronously when they start (so concurrent claims see each other at once),
  // then await the projection: when the caller hears back, the inbox shows the change.
  setHandler(
    replyUpdate,
    async (reply) => {
      const current = requireState();
      const messageId = uuid4();
      const change = agentReplied(
        current,
        { userId: reply.authorUserId, waitForCustomer: reply.waitForCustomer },
        Date.now(),
      );
      const author: Actor = { kind: 'user', userId: reply.authorUserId };
      if (reply.template !== undefined) {
        const template = {
          name: reply.template.name,
          language: reply.template.language,
          parameters: [...reply.template.parameters],
        };
        const content: OutboundContent = { type: 'template', ...template };
        return sendMessage({ messageId, text: templatePreview(template), content, author, change });
      }
      return sendMessage({ messageId, text: reply.text.trim(), author, change });
    },
    {
      description:
        'An agent reply (a text inside the reply window, or an approved template): stored, sent through the channel, and recorded with the provider id',
      // Date.now() is the workflow task's time: the window is judged as of the update's arrival.
      validator: (reply) => validateReply(state, reply, { kind: input.channelKind, now: Date.now() }),
    },
  );
  setHandler(
    claimUpdate,
    async (claim) => {
      const current = requireState();
      // Re-checked here: the validators of updates in one task run before any handler.
      if (current.assigneeId && current.assigneeId !== claim.userId && current.assigneeId !== claim.offlineOwnerId) {
        throw ApplicationFailure.nonRetryable('someone else already owns this conversation', ErrorType.AlreadyOwned);
      }
      if (current.assigneeId === claim.userId && current.status !== 'bot') return ownership(current);
      await apply(
        assigned(current, { userId: claim.userId, teamId: null }, { kind: 'user', userId: claim.userId }, Date.now()),
      );
      return ownership(requireState());
    },
    {
      description: 'Take ownership from the queue; the first claim wins, later ones are refused',
      validator: (claim) => validateClaim(state, claim),
    },
  );
  setHandler(
    assignUpdate,
    async (assign) => {
      const current = requireState();
      if (assign.onlyIfUnowned && (current.assigneeId !== null || current.status !== 'queued')) {
        throw ApplicationFailure.nonRetryable(
          'the conversation is no longer waiting in the queue',
          ErrorType.AlreadyOwned,
        );
      }
      const to = { userId: assign.userId ?? null, teamId: assign.teamId ?? null };
      await apply(assigned(current, to, assign.by, Date.now()));
      return ownership(requireState());
    },
    {
      description: 'Assign an owner or a team queue (managers, and the team queue offering a free agent)',
      validator: (assign) => validateAssign(state, assign),
    },
  );
  setHandler(
    addNoteUpdate,
    async (note) => {
      const current = requireState();
      const noteId = uuid4();
      await projection.recordChange({
        conversationId: current.conversationId!,
        snapshot: null,
        notes: [{ id: noteId, authorKind: 'agent', authorUserId: note.authorUserId, body: note.text.trim() }],
        events: [],
        notifications: [],
      });
      return { noteId };
    },
    {
      description: 'A private note for staff; never sent to the customer',
      validator: (note) => validateAddNote(state, note),
    },
  );

  function requireState(): ConversationState {
    if (!state?.conversationId) {
      throw ApplicationFailure.nonRetryable('the conversation is still opening', ErrorType.NotReady);
    }
    return state;
  }

  function dropped(name: string, problem = 'malformed payload'): void {
    log.warn('dropped a signal', { signal: name, problem });
  }

  // ---------------------------------------------------------------------------------------------
  // Carrying out changes

  /**
   * Adopts a transition's state at once (before any await, so handlers never act on stale state),
   * publishes it to the Temporal UI, writes it to the projection, then carries out its effects.
   * `via`: the main loop passes its local activities; handlers and the clocks write through ordinary
   * ones (activity-profiles.ts says why). `causes`, one per effect, name the ids of what a local
   * write projects (effect-ids.ts); an ordinary activity's input is in the history, so its ids may
   * be random.
   */
  async function apply(
    change: Change | null,
    via: MainLoopActivities = ORDINARY,
    causes?: readonly string[],
  ): Promise<void> {
    if (!change) return;
    state = change.state;
    publish(state);
    const caused = causes !== undefined && causedEffectIds();
    const idFor = (i: number) => (caused ? idOf(causes[i]!) : uuid4());
    const causesOf = (i: number, next: Change | null) =>
      caused && next ? effectCauses(`${causes[i]}/owner`, next.effects) : undefined;
    const written: ProjectedEffects = { events: [], notes: [], notifications: [] };
    for (const [i, effect] of change.effects.entries()) {
      if (effect.kind === 'event') {
        written.events.push({ id: idFor(i), type: effect.type, actor: effect.actor, data: effect.data });
      } else if (effect.kind === 'note') {
        written.notes.push({
          id: idFor(i),
          authorKind: effect.author.kind === 'user' ? 'agent' : effect.author.kind,
          authorUserId: effect.author.kind === 'user' ? effect.author.userId : null,
          body: effect.body,
        });
      } else if (effect.kind === 'notify') {
        const { kind: _kind, notification, ...rest } = effect;
        written.notifications.push({ batchId: idFor(i), kind: notification, ...rest });
      }
    }
    // Nothing to write means no notification either, so no alert below depends on `recorded`.
    const nothingNew =
      change.state === projected &&
      written.events.length + written.notes.length + written.notifications.length === 0 &&
      skipsEmptyWrites();
    const recorded = nothingNew
      ? undefined
      : await via.recordChange({
          conversationId: state.conversationId!,
          snapshot: projectionSnapshot(state),
          ...written,
        });
    // Handover and escalation alerts also go to opted-in agents' WhatsApp. Started now and awaited
    // after the other effects, so a slow or failing alert never holds up routing or the queue.
    // Skipped when no receiver has WhatsApp alerts on (most escalations: one activity fewer). A
    // result without the count is from a history recorded before it existed: alert as it did.
    const alertBatches = written.notifications
      .filter((n) => n.kind === 'handover' || n.kind === 'escalation')
      .map((n) => n.batchId);
    const anyoneAlerted = (recorded?.whatsappAlertRecipients ?? 1) > 0;
    const alerting = alertBatches.length > 0 && anyoneAlerted ? alertAgentsOnWhatsApp(alertBatches) : undefined;
    for (const [i, effect] of change.effects.entries()) {
      switch (effect.kind) {
        case 'route':
          await route(effect.reason, via, caused);
          break;
        case 'joinQueue':
          await routing.joinTeamQueue({
            teamId: effect.teamId,
            entry: {
              workflowId: workflowInfo().workflowId,
              since: requireState().waitingSince ?? Date.now(),
              strategy: effect.strategy,
              ...(effect.excludeUserId && { excludeUserId: effect.excludeUserId }),
            },
          });
          break;
        case 'capacityFreed':
          await routing.announceFreeCapacity({ userId: effect.userId });
          break;
        case 'checkOwner': {
          const owner = await routing.agentAvailability({ userId: effect.userId });
          if (!owner.online) {
            const unavailable = ownerUnavailable(requireState(), effect.userId, Date.now());
            await apply(unavailable, via, causesOf(i, unavailable));
          }
          break;
        }
        default:
          break;
      }
    }
    await alerting;
  }

  /** Best effort: the in-app notification is already written; a failed WhatsApp alert is logged. */
  async function alertAgentsOnWhatsApp(batchIds: string[]): Promise<void> {
    try {
      await notify.notifyAgentsOnWhatsApp({ batchIds });
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      const cause = err.cause instanceof ApplicationFailure ? err.cause.message : undefined;
      log.warn('WhatsApp alerts to agents failed', { batches: batchIds.length, cause });
    }
  }

  /** Routing rules pick a routing workflow; it decides team and owner, as a child run or inline. */
  async function route(reason: string, via: MainLoopActivities, caused = false): Promise<void> {
    const rule =
      openingRule ??
      (await via.chooseRoutingRule({
        conversationId: requireState().conversationId!,
        intent: requireState().intent,
      }));
    openingRule = undefined;
    const { name, workflow } = routingWorkflowFor(rule.workflow);
    // Read state after the await: a handler may have changed it meanwhile.
    const current = requireState();
    const n = current.routeCount + 1;
    state = { ...current, routeCount: n };
    const ctx: RoutingContext = {
      conversationId: current.conversationId!,
      channelId: input.channelId,
      teamId: current.teamId,
      intent: current.intent,
      tags: [...current.tags, ...rule.contactTags],
      reason,
      rule: rule.name,
      params: rule.params,
    };
    let decision: RoutingDecision;
    if (decidesFromContextAlone(name) && lean()) {
      decision = await decideInline(name, workflow, ctx);
    } else {
      // Keep the awaits here as they are: how many lie between the child's result and the next
      // command decides that command's order against the other coroutines', and recorded
      // histories replay only in their order (test/fixtures/histories).
      try {
        decision = await executeChild(workflow, {
          workflowId: routingChildWorkflowId(workflowInfo().workflowId, n),
          args: [ctx],
          // A routing run belongs to its conversation: if the conversation ends, so does the run.
          parentClosePolicy: ParentClosePolicy.TERMINATE,
          // A broken routing workflow must not strand the customer: it times out into the fallback.
          workflowExecutionTimeout: ROUTING_TIMEOUT,
          workflowTaskTimeout: WORKFLOW_TASK_TIMEOUT,
          staticSummary: `Routing (${name}) for a conversation`,
        });
      } catch (err) {
        if (!(err instanceof ChildWorkflowFailure)) throw err;
        decision = routingFailed(name, err.cause?.message ?? err.message);
      }
    }
    const change = routed(
      requireState(),
      {
        teamId: decision.teamId,
        assigneeId: decision.assigneeId ?? null,
        autoAssign: decision.autoAssign ?? null,
        reason: decision.reason,
        rule: rule.name,
      },
      Date.now(),
    );
    await apply(change, via, caused && change ? effectCauses(`route/${n}`, change.effects) : undefined);
  }

  /**
   * A routing workflow that decides from its context alone runs inline: as a child it cost the
   * server a workflow execution and the conversation two workflow tasks (issue #6). A failure keeps
   * the team queue, as a failed child does.
   */
  async function decideInline(name: string, workflow: RoutingWorkflow, ctx: RoutingContext): Promise<RoutingDecision> {
    try {
      return await workflow(ctx);
    } catch (err) {
      return routingFailed(name, err instanceof Error ? err.message : String(err));
    }
  }

  function routingFailed(name: string, why: string): RoutingDecision {
    return {
      teamId: requireState().teamId,
      reason: `routing workflow "${name}" failed (${why}); kept in the team queue`,
    };
  }

  /** Stores an outgoing message before sending it, then sends; a refusal stays in the thread. */
  async function sendMessage(opts: {
    messageId: string;
    /** The thread's text: the message, or a template's preview until the send fills it in. */
    text: string;
    /** What to send when it is not a plain text of `text`. */
    content?: OutboundContent;
    author: Actor;
    change: Change;
  }): Promise<{ messageId: string; status: 'sent' | 'failed'; externalId?: string; error?: string }> {
    const { messageId, text, author } = opts;
    const now = Date.now();
    state = opts.change.state;
    publish(state);
    await projection.recordOutboundMessage({
      conversationId: state.conversationId!,
      channelId: input.channelId,
      messageId,
      authorKind: author.kind === 'user' ? 'agent' : author.kind,
      authorUserId: author.kind === 'user' ? author.userId : null,
      text,
      ...(opts.content && { content: opts.content }),
      sentAt: now,
      snapshot: projectionSnapshot(state),
    });
    // The transition's other effects (owner change, status event) follow the message itself.
    await apply({ state: requireState(), effects: opts.change.effects });
    try {
      const { externalId } = await channelSend.sendChannelMessage({ messageId });
      return { messageId, status: 'sent', externalId };
    } catch (err) {
      // A refused or undeliverable message stays in the thread as failed, with Meta's reason.
      const failure = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : undefined;
      const reason = failure?.message ?? 'the message could not be sent';
      const code = (failure?.details?.[0] as { code?: number | null } | undefined)?.code ?? null;
      await projection.recordMessageFailure({ messageId, code, reason });
      return { messageId, status: 'failed', error: reason };
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The conversation's steps

  /**
   * The first message of a run opens (or reopens) the projection row and adopts its version. Since
   * OPEN_WITH_FIRST_MESSAGE_PATCH the opening also stores that message with its snapshot, as of the
   * time this returns, and, without the AI and when it came alone, reads its routing rule: the rule
   * reads every waiting message's text, so a burst's rule is read once they are all stored.
   */
  async function open(first: InboundMessage, burst: number): Promise<number | undefined> {
    const fresh = initialState(first.contact);
    const withMessage = opensWithMessage();
    // Runs opened before the write became a local activity replay as they ran.
    const isLean = lean();
    const opening = {
      workflowId: workflowInfo().workflowId,
      channelId: input.channelId,
      contact: first.contact,
      snapshot: projectionSnapshot(fresh),
      createdEventId: isLean && causedEffectIds() ? idOf('opened') : uuid4(),
    };
    const receivedAt = Date.now();
    let row: OpenConversationResult;
    if (withMessage) {
      const message = inboundRecord(first, idOf(`message/${first.externalId}`));
      const {
        stored: _stored,
        rule,
        ...opened
      } = await mainLoopLocal.openConversationWithMessage({
        ...opening,
        message,
        receivedAt,
        readRoutingRule: burst === 1,
      });
      openingRule = rule ?? undefined;
      row = opened;
    } else {
      row = await (isLean ? mainLoopLocal : projection).openConversation(opening);
    }
    // The default team's policy comes with the row, so the first waiting period loads none. Only
    // for lean runs: an older run that got this result from a newer worker replays as it ran.
    const { slaPolicy, ...rest } = row;
    const change = opened(fresh, isLean ? row : rest);
    state = change.state;
    if (isLean && slaPolicy && state.slaPolicy === slaPolicy)
      openingPolicy = { teamId: state.teamId, policy: slaPolicy };
    // Routing (when the AI is off) waits until the first message is recorded: rules read its text.
    pendingAfterOpen = change.effects;
    return withMessage ? receivedAt : undefined;
  }

  /**
   * Records the customer messages waiting in the inbox. A burst (a customer sending five lines,
   * or a backlog after an outage) is recorded together: each message gets its own transition and
   * version, and their projection writes run in parallel, so a busy conversation spends one
   * workflow task on the burst instead of one per message.
   */
  async function recordInbound(batch: InboundMessage[]): Promise<void> {
    // The opening may store the first message itself (OPEN_WITH_FIRST_MESSAGE_PATCH), with the
    // snapshot of its state as of `openedAt`.
    const openedAt = state ? undefined : await open(batch[0]!, batch.length);
    const storedByOpening = openedAt === undefined ? undefined : batch[0];
    // Runs recorded before the write became a local activity replay as they ran.
    const isLean = lean();
    const { recordInboundMessage } = isLean || patched(INBOUND_LOCAL_ACTIVITY_PATCH) ? mainLoopLocal : projection;
    const caused = isLean && causedEffectIds();
    const effects: Change['effects'] = [];
    /** One per effect: the customer message that caused it, or the opening of the run. */
    const causes: string[] = [];
    const writes: Promise<unknown>[] = [];
    const media: string[] = [];
    for (const message of batch) {
      const current = requireState();
      if (isDuplicate(current, message)) continue;
      const change = receiveInbound(current, message, message === storedByOpening ? openedAt! : Date.now());
      state = change.state;
      effects.push(...change.effects);
      causes.push(...effectCauses(`inbound/${message.externalId}`, change.effects));
      const messageId = caused ? idOf(`message/${message.externalId}`) : uuid4();
      if (message.content.type === 'media') media.push(messageId);
      if (message === storedByOpening) continue;
      writes.push(
        recordInboundMessage({
          ...inboundRecord(message, messageId),
          conversationId: state.conversationId!,
          channelId: input.channelId,
          snapshot: projectionSnapshot(state),
        }),
      );
    }
    if (writes.length === 0 && !storedByOpening) return;
    // The last message's snapshot: the row holds it once every write is in (they are version-guarded).
    const lastSnapshot = requireState();
    publish(lastSnapshot);
    await Promise.all(writes);
    projected = lastSnapshot;
    effects.push(...pendingAfterOpen);
    causes.push(...effectCauses('opened', pendingAfterOpen));
    pendingAfterOpen = [];
    if (effects.length > 0) {
      await apply({ state: requireState(), effects }, isLean ? mainLoopLocal : ORDINARY, caused ? causes : undefined);
    }
    // Meta's media links expire (WIRE.md §2.5): copy the files at once.
    for (const messageId of media) await storeMedia(messageId);
  }

  /**
   * A file that cannot be copied must not hold up the conversation: the activity marks it failed
   * (permanent refusal or last attempt), and anything left over is only logged here.
   */
  async function storeMedia(messageId: string): Promise<void> {
    try {
      await media.storeInboundMedia({ messageId });
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      log.warn('inbound media was not stored', { messageId, error: err.cause?.message ?? err.message });
    }
  }

  /**
   * The AI's first response to the messages waiting for it. A reply goes to the customer as
   * author `ai`; a handover takes the same path as a human's `handover` signal. If a human took
   * the conversation while the model was thinking, the draft is dropped: the bot never answers
   * once a human owns the conversation.
   */
  async function respondWithAi(): Promise<void> {
    const turn = ++aiTurns;
    state = aiStarted(requireState());
    const decision = await draftAiResponse(requireState().conversationId!);
    if (requireState().status !== 'bot') return;
    if (decision.action === 'reply' && decision.reply) {
      const change = aiReplied(requireState(), decision, Date.now());
      await sendMessage({ messageId: uuid4(), text: decision.reply, author: { kind: 'ai' }, change });
      return;
    }
    const aiHandover: Command = {
      kind: 'handover',
      input: {
        to: { kind: 'routing' },
        reason: decision.reason ?? 'the AI handed over',
        by: { kind: 'ai' },
        card: { summary: decision.summary, intent: decision.intent, urgency: decision.urgency },
      },
    };
    causeOf.set(aiHandover, `ai/${turn}`);
    await handle(aiHandover);
  }

  async function draftAiResponse(conversationId: string): Promise<AiDecision> {
    try {
      return await ai.draftAiResponse({ conversationId });
    } catch (err) {
      // A model that stays unavailable must not strand the customer: humans take over.
      if (!(err instanceof ActivityFailure)) throw err;
      // The activity's failure messages carry the HTTP status and provider code, never the key or text.
      const cause = err.cause instanceof ApplicationFailure ? `: ${err.cause.message}` : '';
      return {
        action: 'handover',
        reason: `the AI is unavailable${cause}`,
        summary: 'The AI could not answer; read the thread.',
        intent: 'unknown',
        urgency: 'normal',
        source: 'fallback',
      };
    }
  }

  async function handle(command: Command): Promise<void> {
    if (command.kind === 'inbound') return recordInbound([command.message]);
    // Runs recorded before these writes became local activities replay as they ran.
    const via = lean() ? mainLoopLocal : ORDINARY;
    const change = transition(command, Date.now());
    const cause = causeOf.get(command);
    causeOf.delete(command);
    await apply(
      change,
      via,
      change && cause && via === mainLoopLocal ? effectCauses(cause, change.effects) : undefined,
    );
  }

  function transition(command: Exclude<Command, { kind: 'inbound' }>, now: number): Change | null {
    switch (command.kind) {
      case 'handover':
        return handover(requireState(), command.input, now);
      case 'tag':
        return tagged(requireState(), command.tags, command.by, now);
      case 'untag':
        return untagged(requireState(), command.tags, command.by, now);
      case 'snooze':
        return snoozed(requireState(), command.until, command.by, now);
      case 'resolve':
        return resolved(requireState(), command.by, now);
      case 'reopen':
        return reopened(requireState(), command.by, now);
      case 'slaDue':
        // Only in runs that took SLA_DUE_TO_MAIN_LOOP_PATCH, replayed as they ran. A tier of a
        // period that has since ended (an agent answered first) is not an escalation.
        if (requireState().slaSince !== command.since) return null;
        return escalated(requireState(), command.level, command.dueAt, now);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Clocks: each runs beside the main loop and rebuilds itself from state after continue-as-new.

  /**
   * The SLA clock (DESIGN §3): for each waiting period, the three tiers as named durable timers.
   * A timer ends early, cancelled, the moment the period ends (an agent answers, the conversation
   * is pending, snoozed or resolved); each tier fires at most once per period, and its escalation
   * is written by an ordinary activity (SLA_ESCALATION_ACTIVITY_PATCH).
   */
  async function runSlaClock(): Promise<never> {
    for (;;) {
      await condition(() => state?.slaSince != null);
      const since = requireState().slaSince!;
      const inPeriod = () => state?.slaSince === since;
      const opening = openingPolicy;
      openingPolicy = undefined;
      const teamId = requireState().teamId;
      const policy = opening && opening.teamId === teamId ? opening.policy : await projection.loadSlaPolicy({ teamId });
      if (inPeriod()) await apply(slaPolicyLoaded(requireState(), policy, Date.now()));
      for (const tier of SLA_TIERS) {
        if (!inPeriod()) break;
        if (requireState().escalationLevel >= tier.level) continue;
        const dueAt = since + policy.tiersMs[tier.level - 1]!;
        const waitMs = dueAt - Date.now();
        // condition() is true when the period ended first; false when the named timer fired.
        if (waitMs > 0 && (await condition(() => !inPeriod(), waitMs, { summary: tier.name }))) break;
        if (!inPeriod()) break;
        if (!patched(SLA_ESCALATION_ACTIVITY_PATCH) && patched(SLA_DUE_TO_MAIN_LOOP_PATCH)) {
          commands.push({ kind: 'slaDue', since, level: tier.level, dueAt });
          // The next tier's timer starts once the main loop wrote this one (or the period ended).
          await condition(() => !inPeriod() || requireState().escalationLevel >= tier.level);
        } else {
          await apply(escalated(requireState(), tier.level, dueAt, Date.now()));
        }
      }
      await condition(() => !inPeriod());
    }
  }

  /** A snoozed conversation wakes exactly at its time, unless the customer wrote first. */
  async function runSnoozeAlarm(): Promise<never> {
    for (;;) {
      await condition(() => state?.status === 'snoozed' && state.snoozedUntil !== null);
      const until = requireState().snoozedUntil!;
      const stillSnoozed = () => state?.status === 'snoozed' && state.snoozedUntil === until;
      const waitMs = until - Date.now();
      const ended = waitMs > 0 && (await condition(() => !stillSnoozed(), waitMs, { summary: 'snooze' }));
      if (!ended && stillSnoozed()) await apply(woke(requireState(), Date.now()));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The main loop

  void runSlaClock();
  void runSnoozeAlarm();
  if (state) publish(state);

  const idleTimeoutMs = input.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const aiDue = () => state?.status === 'bot' && state.aiPending;
  for (;;) {
    const hasWork = () => commands.length > 0 || aiDue() || workflowInfo().continueAsNewSuggested;
    // Only a resolved conversation may idle out; an open one waits for as long as it takes.
    if (state?.status === 'resolved') {
      if (!(await condition(hasWork, idleTimeoutMs))) break;
    } else {
      await condition(hasWork);
    }
    while (commands.length > 0) {
      if (commands[0]!.kind === 'inbound') {
        await recordInbound(takeInboundBurst());
      } else {
        await handle(commands.shift()!);
      }
    }
    if (aiDue()) await respondWithAi();
    if (workflowInfo().continueAsNewSuggested) {
      // Customers may keep writing: what is still waiting travels to the next run, so a busy
      // conversation continues as new instead of growing towards the history limit.
      await condition(allHandlersFinished);
      await makeContinueAsNewFunc<typeof conversationWorkflow>({ workflowTaskTimeout: WORKFLOW_TASK_TIMEOUT })({
        ...input,
        carried: state,
        ...(commands.length > 0 && { carriedCommands: commands.splice(0) }),
      });
    }
  }
  await condition(allHandlersFinished);

  /** The consecutive customer messages at the head of the inbox, in arrival order. */
  function takeInboundBurst(): InboundMessage[] {
    const burst: InboundMessage[] = [];
    while (burst.length < INBOUND_BATCH && commands[0]?.kind === 'inbound') {
      burst.push((commands.shift() as { kind: 'inbound'; message: InboundMessage }).message);
    }
    return burst;
  }

  // ---------------------------------------------------------------------------------------------

  function ownership(s: ConversationState): OwnershipResult {
    return { status: s.status, teamId: s.teamId, assigneeId: s.assigneeId, version: s.version };
  }

  /**
   * Search attributes (ids and enums only: they are plain text in the visibility store) and the
   * current details the Temporal UI shows a manager. Upserted only when they change, so a message
   * that changes nothing visible adds no history event.
   */
  function publish(s: ConversationState): void {
    const attributes = [
      { key: INBOX_STATUS, value: s.status },
      { key: INBOX_ESCALATION, value: s.escalationLevel },
      { key: INBOX_PRIORITY, value: s.priority },
      { key: INBOX_WAITING_SINCE, value: s.waitingSince === null ? null : new Date(s.waitingSince) },
      { key: INBOX_TEAM, value: s.teamId },
      { key: INBOX_ASSIGNEE, value: s.assigneeId },
    ] as const;
    const fingerprint = JSON.stringify(attributes.map((a) => a.value));
    if (fingerprint !== publishedAttributes) {
      publishedAttributes = fingerprint;
      upsertSearchAttributes([...attributes]);
    }
    setCurrentDetails(describe(s));
  }
}

/** What the projection stores of a customer message. */
function inboundRecord(message: InboundMessage, messageId: string): OpeningMessage {
  return {
    messageId,
    externalId: message.externalId,
    sentAt: message.sentAt,
    content: message.content,
    replyTo: message.replyTo,
    forwarded: message.forwarded,
    frequentlyForwarded: message.frequentlyForwarded,
    referral: message.referral,
  };
}

/** What the thread shows for a template until the send activity fills in its approved body. */
function templatePreview(template: ReplyTemplate): string {
  const values = template.parameters.length > 0 ? `: ${template.parameters.join(' · ')}` : '';
  return `Template ${template.name} (${template.language})${values}`;
}

/** Markdown for the Temporal UI's "current details": where this conversation stands. */
function describe(s: ConversationState): string {
  const due = slaDue(s);
  const iso = (ms: number) => new Date(ms).toISOString();
  return [
    `**Status**: ${s.status} · **priority**: ${s.priority} · **escalation level**: ${s.escalationLevel}`,
    `**Team**: ${s.teamId ?? 'none'} · **owner**: ${s.assigneeId ?? 'unassigned'}`,
    s.waitingSince !== null ? `**Customer waiting since**: ${iso(s.waitingSince)}` : '**Customer waiting**: no',
    due ? `**Next SLA tier**: ${due.nextTier} at ${iso(due.dueAt)}` : '**SLA clock**: stopped',
    s.snoozedUntil !== null ? `**Snoozed until**: ${iso(s.snoozedUntil)}` : '',
    s.intent ? `**Intent**: ${s.intent}` : '',
  ]
    .filter(Boolean)
    .join('\n\n');
}
