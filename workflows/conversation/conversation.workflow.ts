/**
 * conversationWorkflow: one durable workflow per conversation (DESIGN §3).
 *
 * Id `conv:<channelId>:<contactKey>`; started by the first webhook through signalWithStart.
 * Inputs: the `inboundMessage` signal, the `reply` update, the `state` query.
 * Every change bumps the state version and ends in one projection activity carrying it.
 * It continues as new when the server suggests, and completes once a resolved conversation
 * has idled for `idleTimeoutMs`; a later message starts a fresh run over the same row.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { channelSend, projection } from '../shared/activity-profiles';
import { ErrorType } from '../shared/errors';
import { Lock } from '../shared/lock';
import {
  INBOX_ASSIGNEE,
  INBOX_ESCALATION,
  INBOX_STATUS,
  INBOX_TEAM,
  INBOX_WAITING_SINCE,
} from '../shared/search-attributes';
import type { ConversationSnapshot } from '../../activities/projection/types';
import {
  MAX_REPLY_LENGTH,
  inboundMessageSignal,
  replyUpdate,
  stateQuery,
  type ConversationInput,
  type InboundMessage,
  type ReplyInput,
  type ReplyResult,
} from './contract';
import {
  agentReplied,
  initialState,
  isDuplicate,
  opened,
  receiveInbound,
  toView,
  type ConversationState,
} from './state';

const DEFAULT_IDLE_TIMEOUT_MS = 7 * 24 * 60 * 60 * 1000;

export async function conversationWorkflow(input: ConversationInput): Promise<void> {
  const lock = new Lock();
  const inbox: InboundMessage[] = [];
  let state: ConversationState | undefined = input.carried;

  // Handlers first, before any await: the signal that started this run is delivered now.
  setHandler(inboundMessageSignal, (message) => {
    inbox.push(message);
  });
  setHandler(stateQuery, () => toView(requireState()), {
    description: 'Status, owner, team, SLA clock and escalation level of this conversation',
  });
  setHandler(replyUpdate, (reply) => lock.run(() => sendAgentReply(reply)), {
    description: 'An agent reply: stored, sent through the channel, and recorded with the provider id',
    validator: (reply) => validateReply(reply),
  });

  function requireState(): ConversationState {
    if (!state) throw ApplicationFailure.nonRetryable('the conversation is still opening', ErrorType.NotReady);
    return state;
  }

  function validateReply(reply: ReplyInput): void {
    const text = reply?.text?.trim() ?? '';
    if (!text) throw ApplicationFailure.nonRetryable('a reply needs some text', ErrorType.InvalidInput);
    if (text.length > MAX_REPLY_LENGTH) {
      throw ApplicationFailure.nonRetryable(
        `a reply is at most ${MAX_REPLY_LENGTH} characters`,
        ErrorType.InvalidInput,
      );
    }
    if (!state?.conversationId) {
      throw ApplicationFailure.nonRetryable('the conversation is still opening', ErrorType.NotReady);
    }
  }

  /** The first message of a run opens (or reopens) the projection row and adopts its version. */
  async function open(first: InboundMessage): Promise<ConversationState> {
    const fresh = initialState(first.contact);
    const row = await projection.openConversation({
      workflowId: workflowInfo().workflowId,
      channelId: input.channelId,
      contact: first.contact,
      snapshot: snapshot(fresh),
      createdEventId: uuid4(),
    });
    return opened(fresh, row);
  }

  async function recordInbound(message: InboundMessage): Promise<void> {
    const current = state ?? (state = await open(message));
    if (isDuplicate(current, message)) return;
    state = receiveInbound(current, message);
    await projection.recordInboundMessage({
      conversationId: state.conversationId!,
      channelId: input.channelId,
      messageId: uuid4(),
      externalId: message.externalId,
      sentAt: message.sentAt,
      content: message.content,
      snapshot: snapshot(state),
    });
    publishSearchAttributes(state);
  }

  async function sendAgentReply(reply: ReplyInput): Promise<ReplyResult> {
    const current = requireState();
    const messageId = uuid4();
    const now = Date.now();
    state = agentReplied(current, now);
    await projection.recordOutboundMessage({
      conversationId: state.conversationId!,
      channelId: input.channelId,
      messageId,
      authorKind: 'agent',
      authorUserId: reply.authorUserId,
      text: reply.text.trim(),
      sentAt: now,
      snapshot: snapshot(state),
    });
    publishSearchAttributes(state);
    try {
      const { externalId } = await channelSend.sendChannelMessage({ messageId });
      return { messageId, status: 'sent', externalId };
    } catch (err) {
      // A refused or undeliverable reply stays in the thread as failed, with Meta's reason.
      const failure = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : undefined;
      const reason = failure?.message ?? 'the message could not be sent';
      const code = (failure?.details?.[0] as { code?: number | null } | undefined)?.code ?? null;
      await projection.recordMessageFailure({ messageId, code, reason });
      return { messageId, status: 'failed', error: reason };
    }
  }

  const idleTimeoutMs = input.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  for (;;) {
    const hasWork = () => inbox.length > 0 || workflowInfo().continueAsNewSuggested;
    // Only a resolved conversation may idle out; an open one waits for as long as it takes.
    if (state?.status === 'resolved') {
      if (!(await condition(hasWork, idleTimeoutMs))) break;
    } else {
      await condition(hasWork);
    }
    while (inbox.length > 0) {
      const message = inbox.shift()!;
      await lock.run(() => recordInbound(message));
    }
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      if (inbox.length === 0) await continueAsNew<typeof conversationWorkflow>({ ...input, carried: state });
    }
  }
  await condition(allHandlersFinished);
}

function snapshot(state: ConversationState): ConversationSnapshot {
  return {
    version: state.version,
    status: state.status,
    priority: state.priority,
    escalationLevel: state.escalationLevel,
    teamId: state.teamId,
    assigneeId: state.assigneeId,
    tags: state.tags,
    waitingSince: state.waitingSince,
    lastInboundAt: state.lastInboundAt,
    lastMessageAt: state.lastMessageAt,
  };
}

/** Ids and enums only: search attributes are plain text in the visibility store (DESIGN §3). */
function publishSearchAttributes(state: ConversationState): void {
  upsertSearchAttributes([
    { key: INBOX_STATUS, value: state.status },
    { key: INBOX_ESCALATION, value: state.escalationLevel },
    { key: INBOX_WAITING_SINCE, value: state.waitingSince === null ? null : new Date(state.waitingSince) },
    { key: INBOX_TEAM, value: state.teamId },
    { key: INBOX_ASSIGNEE, value: state.assigneeId },
  ]);
}
