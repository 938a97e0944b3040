/**
 * ConversationState and its pure transitions (STYLE §3): `(state, input, now) => { state, effects }`.
 * No Temporal imports, so every rule here is unit-testable without a server. The workflow only
 * carries out the effects: timeline events, private notes, notifications, routing and the team queue.
 * State is plain JSON (timestamps as epoch ms): it crosses queries and continue-as-new.
 */
import type { ChannelKind, InboundContact } from '../../activities/channels/types';
import type {
  Actor,
  HandoverCard,
  HandoverInput,
  HandoverTarget,
  InboundMessage,
  TimelineEventType,
  Urgency,
} from './contract';
import { replyWindow, type ReplyWindow } from './reply-window';
import { nextTier, type SlaPolicy, type SlaTierLevel } from './sla';

export type ConversationStatus = 'bot' | 'queued' | 'assigned' | 'pending' | 'snoozed' | 'resolved';
export type Priority = 'normal' | 'high' | 'urgent';
export type EscalationLevel = 0 | SlaTierLevel;

export interface ConversationState {
  /** Bumped by every change; projection rows only move to a higher version. */
  version: number;
  /** The projection row, known once the conversation has been opened there. */
  conversationId: string | null;
  status: ConversationStatus;
  priority: Priority;
  /** 0 none, 1 standard, 2 priority, 3 manager (the escalation lane). */
  escalationLevel: EscalationLevel;
  teamId: string | null;
  /** The owner; kept after resolution so a reopened conversation can return to them. */
  assigneeId: string | null;
  tags: string[];
  contact: InboundContact;
  /** When the oldest customer message still waiting for a human reply was sent (sort order). */
  waitingSince: number | null;
  /** Start of the current SLA waiting period; null while the clock is stopped (DESIGN §3). */
  slaSince: number | null;
  /** The team's policy, refreshed at the start of each waiting period. */
  slaPolicy: SlaPolicy | null;
  snoozedUntil: number | null;
  /** A customer message waits for the AI's first response. */
  aiPending: boolean;
  /** What the AI (or its fallback) understood the customer wants. */
  intent: string | null;
  lastInboundAt: number | null;
  lastMessageAt: number | null;
  /** Counts routing runs: child workflow ids are `<parent id>:route:<n>` (STYLE §2). */
  routeCount: number;
  /** Provider ids seen recently: a redelivered webhook changes nothing (WIRE.md §1.3). */
  recentExternalIds: string[];
}

/**
 * What the `state` query answers: the state minus bookkeeping, plus the next SLA deadline and the
 * reply window (the composer's indicator, from the same rule the `reply` validator enforces).
 * A query does not advance workflow time, so `replyWindow` is as of the workflow's last task: an
 * idle conversation's window may have closed since. Callers judge by `closesAt` against their own
 * clock, or recompute with `replyWindow(kind, lastInboundAt, Date.now())` from contract.ts.
 */
export type ConversationStateView = Omit<ConversationState, 'recentExternalIds'> & {
  sla: { nextTier: string; dueAt: number } | null;
  replyWindow: ReplyWindow;
};

export const RECENT_IDS_KEPT = 500;

/** Who hears about a change; resolved to users by the projection activity. */
export type Audience =
  | { kind: 'users'; userIds: string[] }
  | { kind: 'team'; teamId: string }
  | { kind: 'teamLeads'; teamId: string }
  | { kind: 'managers' };

export type Effect =
  | { kind: 'event'; type: TimelineEventType; actor: Actor; data: Record<string, unknown> }
  | { kind: 'note'; author: Actor; body: string }
  | {
      kind: 'notify';
      audience: Audience;
      notification: 'handover' | 'assigned' | 'escalation';
      title: string;
      body: string;
      /** Not notified even when in the audience: the person who acted. */
      exceptUserId?: string;
    }
  /** Run the routing rules and their routing workflow. */
  | { kind: 'route'; reason: string }
  /** Wait in the team queue for the next agent with free capacity. */
  | { kind: 'joinQueue'; teamId: string; strategy: AutoAssignStrategy; excludeUserId?: string }
  /** An owner lost a conversation: their teams' queues may assign them the next one. */
  | { kind: 'capacityFreed'; userId: string }
  /** Reopened: keep the previous owner only when they are online (DESIGN §3). */
  | { kind: 'checkOwner'; userId: string };

export type AutoAssignStrategy = 'least-loaded' | 'round-robin';

export interface Change {
  state: ConversationState;
  effects: Effect[];
}

const SYSTEM: Actor = { kind: 'system' };
const CONTACT_EVENT_ACTOR: Actor = { kind: 'system' };

export function initialState(contact: InboundContact): ConversationState {
  return {
    version: 0,
    conversationId: null,
    status: 'queued',
    priority: 'normal',
    escalationLevel: 0,
    teamId: null,
    assigneeId: null,
    tags: [],
    contact,
    waitingSince: null,
    slaSince: null,
    slaPolicy: null,
    snoozedUntil: null,
    aiPending: false,
    intent: null,
    lastInboundAt: null,
    lastMessageAt: null,
    routeCount: 0,
    recentExternalIds: [],
  };
}

/**
 * A run (re)opens the conversation: adopt the projection row's version so versions keep rising,
 * start in the channel's default team, and let the AI answer first when it is enabled. Without the
 * AI the conversation goes straight to routing.
 */
export function opened(
  state: ConversationState,
  row: {
    conversationId: string;
    version: number;
    defaultTeamId: string | null;
    aiEnabled: boolean;
    /** The default team's SLA policy (absent from results recorded before it existed). */
    slaPolicy?: SlaPolicy;
  },
): Change {
  const teamId = state.teamId ?? row.defaultTeamId;
  const next: ConversationState = {
    ...state,
    conversationId: row.conversationId,
    version: Math.max(state.version, row.version),
    teamId,
    status: row.aiEnabled ? 'bot' : 'queued',
    slaPolicy: row.slaPolicy && teamId === row.defaultTeamId ? row.slaPolicy : state.slaPolicy,
  };
  return { state: next, effects: row.aiEnabled ? [] : [{ kind: 'route', reason: 'new conversation' }] };
}

export function isDuplicate(state: ConversationState, message: InboundMessage): boolean {
  return state.recentExternalIds.includes(message.externalId);
}

const isHuman = (status: ConversationStatus) => status === 'queued' || status === 'assigned';
const ownedStatus = (state: ConversationState): ConversationStatus => (state.assigneeId ? 'assigned' : 'queued');

/** The SLA clock runs while a customer message waits for a human in a human state (DESIGN §3). */
function withClock(state: ConversationState, now: number): ConversationState {
  const running = state.waitingSince !== null && isHuman(state.status);
  if (!running) return { ...state, slaSince: null };
  return { ...state, slaSince: state.slaSince ?? now };
}

function bump(state: ConversationState, now: number): ConversationState {
  return withClock({ ...state, version: state.version + 1 }, now);
}

/**
 * A customer wrote. A resolved conversation reopens (to its owner if they are still online),
 * a pending or snoozed one comes back to its owner or queue, and the SLA clock starts at the first
 * unanswered message. While the AI handles the conversation, the message waits for the AI.
 */
export function receiveInbound(state: ConversationState, message: InboundMessage, now: number): Change {
  const contact = { ...state.contact, ...definedOnly(message.contact) };
  const recentExternalIds = [...state.recentExternalIds, message.externalId].slice(-RECENT_IDS_KEPT);
  // A reaction (👍 on a message) is no new message (WIRE.md §1.6): it opens no waiting period,
  // starts no SLA clock, wakes neither the AI nor a resolved or snoozed conversation, and does not
  // count as the customer's last message (whether it reopens the 24-hour window is undocumented,
  // WIRE.md §3.1). It is still recorded, deduplicated by its id, so the projection updates the target.
  if (message.content.type === 'reaction') {
    return { state: bump({ ...state, contact, recentExternalIds }, now), effects: [] };
  }
  const effects: Effect[] = [];
  let status = state.status;
  if (status === 'resolved') {
    status = ownedStatus(state);
    effects.push({ kind: 'event', type: 'reopened', actor: CONTACT_EVENT_ACTOR, data: { reason: 'customer wrote' } });
    if (state.assigneeId) effects.push({ kind: 'checkOwner', userId: state.assigneeId });
  } else if (status === 'pending' || status === 'snoozed') {
    status = ownedStatus(state);
    effects.push(statusEvent(state.status, status, CONTACT_EVENT_ACTOR, 'customer wrote'));
  }
  const next = bump(
    {
      ...state,
      status,
      contact,
      snoozedUntil: status === 'snoozed' ? state.snoozedUntil : null,
      aiPending: status === 'bot' ? true : state.aiPending,
      waitingSince: state.waitingSince ?? message.sentAt,
      lastInboundAt: Math.max(state.lastInboundAt ?? 0, message.sentAt),
      lastMessageAt: Math.max(state.lastMessageAt ?? 0, message.sentAt),
      recentExternalIds,
    },
    now,
  );
  return { state: next, effects };
}

/** The AI took the waiting messages; new ones that arrive meanwhile make it pending again. */
export function aiStarted(state: ConversationState): ConversationState {
  return { ...state, aiPending: false };
}

/** The AI answered the customer itself; the conversation stays with the bot. */
export function aiReplied(state: ConversationState, decision: { intent: string; source: string }, now: number): Change {
  const next = bump({ ...state, intent: decision.intent, lastMessageAt: Math.max(state.lastMessageAt ?? 0, now) }, now);
  return {
    state: next,
    effects: [
      {
        kind: 'event',
        type: 'ai_replied',
        actor: { kind: 'ai' },
        data: { source: decision.source, intent: decision.intent },
      },
    ],
  };
}

/**
 * A staff member replied. The SLA clock stops and escalation clears until the customer writes
 * again; replying to an unowned conversation (or one the AI held) makes the replier its owner.
 */
export function agentReplied(
  state: ConversationState,
  reply: { userId: string; waitForCustomer?: boolean },
  now: number,
): Change {
  const effects: Effect[] = [];
  let assigneeId = state.assigneeId;
  if (!assigneeId || state.status === 'bot' || state.status === 'resolved') {
    if (assigneeId !== reply.userId) {
      effects.push(...ownerChangeEffects(state, reply.userId, { kind: 'user', userId: reply.userId }, 'replied'));
    }
    assigneeId = reply.userId;
  }
  const status: ConversationStatus = reply.waitForCustomer ? 'pending' : 'assigned';
  if (status !== state.status) effects.push(statusEvent(state.status, status, { kind: 'user', userId: reply.userId }));
  const next = bump(
    {
      ...state,
      status,
      assigneeId,
      aiPending: false,
      waitingSince: null,
      escalationLevel: 0,
      snoozedUntil: null,
      lastMessageAt: Math.max(state.lastMessageAt ?? 0, now),
    },
    now,
  );
  return { state: next, effects };
}

/**
 * Hands the conversation over (AI to human, agent to agent, to a team or a manager): who, to whom
 * and why become a timeline event and the handover card, the card and note become a private note,
 * and the receiver is notified at once. `routing` lets the rules pick the team and owner.
 */
export function handover(state: ConversationState, input: HandoverInput, now: number): Change | null {
  // A resolved conversation is reopened first (the API refuses with 409; a late signal is dropped).
  if (state.status === 'resolved') return null;
  const effects: Effect[] = [
    {
      kind: 'event',
      type: 'handover_requested',
      actor: input.by,
      data: { to: input.to, reason: input.reason, ...(input.card && { card: input.card }), from: ownerOf(state) },
    },
  ];
  const noteBody = handoverNote(input);
  if (noteBody) effects.push({ kind: 'note', author: input.by, body: noteBody });
  const exceptUserId = input.by.kind === 'user' ? input.by.userId : undefined;
  const title = input.by.kind === 'ai' ? 'The AI handed over a conversation' : 'A conversation was handed over';
  const body = input.card ? `${input.reason} · ${input.card.summary}` : input.reason;

  let next: ConversationState = {
    ...state,
    aiPending: false,
    snoozedUntil: null,
    priority: raisePriority(state.priority, input.card?.urgency),
    intent: input.card?.intent ?? state.intent,
  };
  const to: HandoverTarget = input.to;
  switch (to.kind) {
    case 'agent':
      effects.push(...ownerChangeEffects(state, to.userId, input.by, input.reason));
      effects.push({
        kind: 'notify',
        audience: { kind: 'users', userIds: [to.userId] },
        notification: 'handover',
        title,
        body,
        ...(exceptUserId && { exceptUserId }),
      });
      next = { ...next, assigneeId: to.userId, status: 'assigned' };
      break;
    case 'team':
      effects.push(...ownerChangeEffects(state, null, input.by, input.reason));
      effects.push({
        kind: 'notify',
        audience: { kind: 'team', teamId: to.teamId },
        notification: 'handover',
        title,
        body,
        ...(exceptUserId && { exceptUserId }),
      });
      next = {
        ...next,
        assigneeId: null,
        teamId: to.teamId,
        status: 'queued',
        slaPolicy: to.teamId === state.teamId ? state.slaPolicy : null,
      };
      break;
    case 'manager':
      // The escalation lane: no owner, level 3, every manager told (DESIGN §3 "to a manager").
      effects.push(...ownerChangeEffects(state, null, input.by, input.reason));
      effects.push({
        kind: 'notify',
        audience: { kind: 'managers' },
        notification: 'handover',
        title,
        body,
        ...(exceptUserId && { exceptUserId }),
      });
      effects.push({
        kind: 'event',
        type: 'escalated',
        actor: input.by,
        data: { level: 3, lane: 'manager', reason: input.reason },
      });
      next = {
        ...next,
        assigneeId: null,
        status: 'queued',
        escalationLevel: 3,
        priority: raisePriority(next.priority, 'high'),
      };
      break;
    case 'routing':
      if (state.assigneeId) effects.push({ kind: 'capacityFreed', userId: state.assigneeId });
      next = { ...next, assigneeId: null, status: 'queued' };
      effects.push({ kind: 'route', reason: input.reason });
      break;
  }
  if (next.status !== state.status && to.kind !== 'routing')
    effects.push(statusEvent(state.status, next.status, input.by));
  return { state: bump(next, now), effects };
}

/** What routing decided: an owner, or the team queue (waiting for capacity when auto-assigned). */
export interface RoutedTo {
  teamId: string | null;
  assigneeId: string | null;
  autoAssign: AutoAssignStrategy | null;
  reason: string;
  rule: string;
}

export function routed(state: ConversationState, decision: RoutedTo, now: number): Change | null {
  // A human took the conversation (claimed, replied, snoozed, resolved) while routing ran: theirs wins.
  if (state.status !== 'queued' || state.assigneeId) return null;
  const teamId = decision.teamId ?? state.teamId;
  const effects: Effect[] = [];
  const actor = SYSTEM;
  const data = { rule: decision.rule, reason: decision.reason, teamId, autoAssign: decision.autoAssign };
  let next: ConversationState = { ...state, teamId, slaPolicy: teamId === state.teamId ? state.slaPolicy : null };
  if (decision.assigneeId) {
    effects.push(...ownerChangeEffects(state, decision.assigneeId, actor, decision.reason, data));
    effects.push({
      kind: 'notify',
      audience: { kind: 'users', userIds: [decision.assigneeId] },
      notification: 'assigned',
      title: 'A conversation was assigned to you',
      body: decision.reason,
    });
    next = { ...next, assigneeId: decision.assigneeId, status: 'assigned' };
  } else {
    effects.push({ kind: 'event', type: 'assigned', actor, data: { ...data, to: { kind: 'team', teamId } } });
    if (teamId) {
      effects.push({
        kind: 'notify',
        audience: { kind: 'team', teamId },
        notification: 'handover',
        title: 'A conversation is waiting in your team queue',
        body: decision.reason,
      });
      if (decision.autoAssign) effects.push({ kind: 'joinQueue', teamId, strategy: decision.autoAssign });
    }
    next = { ...next, assigneeId: null, status: 'queued' };
  }
  return { state: bump(next, now), effects };
}

/**
 * An explicit owner or team change (the `assign` and `claim` updates, the team queue's offers).
 * A conversation the AI held becomes a human one.
 */
export function assigned(
  state: ConversationState,
  to: { userId: string | null; teamId: string | null },
  by: Actor,
  now: number,
): Change {
  const effects: Effect[] = [];
  const teamId = to.teamId ?? state.teamId;
  if (to.userId !== state.assigneeId) {
    effects.push(...ownerChangeEffects(state, to.userId, by, null, teamId !== state.teamId ? { teamId } : {}));
    const self = by.kind === 'user' && by.userId === to.userId;
    if (to.userId && !self) {
      effects.push({
        kind: 'notify',
        audience: { kind: 'users', userIds: [to.userId] },
        notification: 'assigned',
        title: 'A conversation was assigned to you',
        body: state.intent ? `Topic: ${state.intent}` : 'Open it to read the thread',
      });
    }
  } else if (teamId !== state.teamId) {
    effects.push({ kind: 'event', type: 'assigned', actor: by, data: { to: { kind: 'team', teamId } } });
  }
  if (!to.userId && teamId && (teamId !== state.teamId || state.assigneeId)) {
    // Sent to a team queue: its members hear about it, as with a handover to the team.
    effects.push({
      kind: 'notify',
      audience: { kind: 'team', teamId },
      notification: 'assigned',
      title: 'A conversation was assigned to your team queue',
      body: state.intent ? `Topic: ${state.intent}` : 'Open it to read the thread',
      ...(by.kind === 'user' && { exceptUserId: by.userId }),
    });
  }
  const status: ConversationStatus =
    state.status === 'resolved' || state.status === 'pending' || state.status === 'snoozed'
      ? state.status
      : to.userId
        ? 'assigned'
        : 'queued';
  const next: ConversationState = {
    ...state,
    teamId,
    assigneeId: to.userId,
    status,
    aiPending: false,
    slaPolicy: teamId === state.teamId ? state.slaPolicy : null,
  };
  return { state: bump(next, now), effects };
}

export function tagged(state: ConversationState, tags: string[], by: Actor, now: number): Change | null {
  const added = unique(tags).filter((t) => !state.tags.includes(t));
  if (added.length === 0) return null;
  return {
    state: bump({ ...state, tags: [...state.tags, ...added] }, now),
    effects: [{ kind: 'event', type: 'tagged', actor: by, data: { added } }],
  };
}

export function untagged(state: ConversationState, tags: string[], by: Actor, now: number): Change | null {
  const removed = state.tags.filter((t) => tags.includes(t));
  if (removed.length === 0) return null;
  return {
    state: bump({ ...state, tags: state.tags.filter((t) => !tags.includes(t)) }, now),
    effects: [{ kind: 'event', type: 'tagged', actor: by, data: { removed } }],
  };
}

/** Snoozed until a time: the SLA clock pauses and the conversation wakes exactly then. */
export function snoozed(state: ConversationState, until: number, by: Actor, now: number): Change | null {
  if (state.status === 'resolved' || until <= now) return null;
  return {
    state: bump({ ...state, status: 'snoozed', snoozedUntil: until, aiPending: false }, now),
    effects: [statusEvent(state.status, 'snoozed', by, undefined, { until })],
  };
}

/** The snooze time came: back to the owner or the queue, with the clock running if the customer waits. */
export function woke(state: ConversationState, now: number): Change | null {
  if (state.status !== 'snoozed') return null;
  const status = ownedStatus(state);
  return {
    state: bump({ ...state, status, snoozedUntil: null }, now),
    effects: [statusEvent('snoozed', status, SYSTEM, 'snooze ended')],
  };
}

/** Resolved: the clock stops, escalation clears, and the owner's capacity frees up. */
export function resolved(state: ConversationState, by: Actor, now: number): Change | null {
  if (state.status === 'resolved') return null;
  const effects: Effect[] = [{ kind: 'event', type: 'resolved', actor: by, data: { from: state.status } }];
  if (state.assigneeId) effects.push({ kind: 'capacityFreed', userId: state.assigneeId });
  const next = bump(
    {
      ...state,
      status: 'resolved',
      waitingSince: null,
      escalationLevel: 0,
      priority: 'normal',
      snoozedUntil: null,
      aiPending: false,
    },
    now,
  );
  return { state: next, effects };
}

/** A staff member reopened a resolved conversation: back to its owner or queue. */
export function reopened(state: ConversationState, by: Actor, now: number): Change | null {
  if (state.status !== 'resolved') return null;
  const effects: Effect[] = [{ kind: 'event', type: 'reopened', actor: by, data: {} }];
  // Like a customer's reopen: an offline previous owner is skipped in favour of the queue.
  if (state.assigneeId) effects.push({ kind: 'checkOwner', userId: state.assigneeId });
  return { state: bump({ ...state, status: ownedStatus(state) }, now), effects };
}

/** A reopened conversation's previous owner is offline: it goes to the team queue instead. */
export function ownerUnavailable(state: ConversationState, userId: string, now: number): Change | null {
  if (state.assigneeId !== userId || state.status !== 'assigned') return null;
  const effects: Effect[] = [
    {
      kind: 'event',
      type: 'unassigned',
      actor: SYSTEM,
      data: { from: userId, reason: 'the previous owner is offline' },
    },
  ];
  if (state.teamId) {
    effects.push({ kind: 'joinQueue', teamId: state.teamId, strategy: 'least-loaded', excludeUserId: userId });
    effects.push({
      kind: 'notify',
      audience: { kind: 'team', teamId: state.teamId },
      notification: 'handover',
      title: 'A reopened conversation is waiting in your team queue',
      body: 'Its previous owner is offline',
    });
  }
  return { state: bump({ ...state, assigneeId: null, status: 'queued' }, now), effects };
}

/** The team's SLA policy for this waiting period (it may have changed since the last one). */
export function slaPolicyLoaded(state: ConversationState, policy: SlaPolicy, now: number): Change | null {
  if (JSON.stringify(state.slaPolicy) === JSON.stringify(policy)) return null;
  return { state: bump({ ...state, slaPolicy: policy }, now), effects: [] };
}

/**
 * An SLA tier's deadline passed with the customer still waiting (DESIGN §3, the 3 tiers):
 * standard notifies the owner (or the whole team when unowned); priority raises the priority and
 * notifies the team leads, and may return the conversation to the team queue; manager puts it in
 * the escalation lane and notifies the managers.
 */
export function escalated(state: ConversationState, level: SlaTierLevel, dueAt: number, now: number): Change | null {
  if (state.escalationLevel >= level || state.slaSince === null) return null;
  const tierName = ['sla-standard', 'sla-priority', 'sla-manager'][level - 1]!;
  const waitedMin = Math.round((now - state.slaSince) / 60_000);
  const effects: Effect[] = [
    {
      kind: 'event',
      type: level === 1 ? 'sla_breached' : 'escalated',
      actor: SYSTEM,
      data: { level, tier: tierName, dueAt, firedAt: now },
    },
  ];
  const title = `SLA ${['standard', 'priority', 'manager'][level - 1]} tier: a customer has waited ${waitedMin} min`;
  let next: ConversationState = { ...state, escalationLevel: level };
  if (level === 1) {
    const audience: Audience = state.assigneeId
      ? { kind: 'users', userIds: [state.assigneeId] }
      : state.teamId
        ? { kind: 'team', teamId: state.teamId }
        : { kind: 'managers' };
    effects.push({ kind: 'notify', audience, notification: 'escalation', title, body: 'Reply to stop the clock' });
  } else if (level === 2) {
    next = { ...next, priority: raisePriority(state.priority, 'high') };
    effects.push({
      kind: 'notify',
      audience: state.teamId ? { kind: 'teamLeads', teamId: state.teamId } : { kind: 'managers' },
      notification: 'escalation',
      title,
      body: state.assigneeId ? 'Still unanswered by its owner' : 'Still unclaimed in the queue',
    });
    if (state.slaPolicy?.requeueAtPriority && state.assigneeId && state.teamId) {
      effects.push({
        kind: 'event',
        type: 'unassigned',
        actor: SYSTEM,
        data: { from: state.assigneeId, reason: 'unanswered at the priority tier' },
      });
      effects.push({ kind: 'capacityFreed', userId: state.assigneeId });
      effects.push({
        kind: 'joinQueue',
        teamId: state.teamId,
        strategy: 'least-loaded',
        excludeUserId: state.assigneeId,
      });
      next = { ...next, assigneeId: null, status: 'queued' };
    }
  } else {
    next = { ...next, priority: 'urgent' };
    effects.push({
      kind: 'notify',
      audience: { kind: 'managers' },
      notification: 'escalation',
      title,
      body: 'In the escalation lane',
    });
  }
  // Not bump(): the waiting period (and with it the clock) continues unchanged.
  return { state: { ...next, version: next.version + 1 }, effects };
}

export function toView(state: ConversationState, channelKind: ChannelKind, now: number): ConversationStateView {
  const { recentExternalIds: _omitted, ...view } = state;
  const due = slaDue(state);
  return { ...view, sla: due, replyWindow: replyWindow(channelKind, state.lastInboundAt, now) };
}

/** The next tier's name and deadline while the clock runs (the list's aging badge). */
export function slaDue(state: ConversationState): { nextTier: string; dueAt: number } | null {
  if (state.slaSince === null || state.slaPolicy === null) return null;
  const tier = nextTier(state.slaPolicy, state.slaSince, state.escalationLevel);
  return tier ? { nextTier: tier.name, dueAt: tier.dueAt } : null;
}

// ---------------------------------------------------------------------------------------------

function ownerOf(state: ConversationState) {
  return { assigneeId: state.assigneeId, teamId: state.teamId, status: state.status };
}

/** The events (and freed capacity) of an owner change; notifications are the caller's choice. */
function ownerChangeEffects(
  state: ConversationState,
  toUserId: string | null,
  by: Actor,
  reason: string | null,
  extra: Record<string, unknown> = {},
): Effect[] {
  const effects: Effect[] = [];
  if (state.assigneeId && state.assigneeId !== toUserId) {
    if (state.status !== 'resolved') effects.push({ kind: 'capacityFreed', userId: state.assigneeId });
    if (!toUserId) {
      effects.push({
        kind: 'event',
        type: 'unassigned',
        actor: by,
        data: { from: state.assigneeId, ...(reason && { reason }), ...extra },
      });
    }
  }
  if (toUserId && toUserId !== state.assigneeId) {
    effects.push({
      kind: 'event',
      type: 'assigned',
      actor: by,
      data: { to: { kind: 'agent', userId: toUserId }, from: state.assigneeId, ...(reason && { reason }), ...extra },
    });
  }
  return effects;
}

function statusEvent(
  from: ConversationStatus,
  to: ConversationStatus,
  by: Actor,
  reason?: string,
  extra: Record<string, unknown> = {},
): Effect {
  return { kind: 'event', type: 'status_changed', actor: by, data: { from, to, ...(reason && { reason }), ...extra } };
}

function handoverNote(input: HandoverInput): string | null {
  const lines: string[] = [];
  if (input.card) lines.push(...cardLines(input.reason, input.card));
  if (input.note?.trim()) lines.push(input.note.trim());
  return lines.length > 0 ? lines.join('\n') : null;
}

function cardLines(reason: string, card: HandoverCard): string[] {
  return [`Handover: ${reason}`, `Summary: ${card.summary}`, `Intent: ${card.intent} · urgency: ${card.urgency}`];
}

const PRIORITY_ORDER: Priority[] = ['normal', 'high', 'urgent'];

/** Priority only ever rises within a conversation's open life; resolving resets it. */
function raisePriority(current: Priority, urgency: Urgency | undefined): Priority {
  const wanted: Priority = urgency === 'urgent' ? 'urgent' : urgency === 'high' ? 'high' : 'normal';
  return PRIORITY_ORDER.indexOf(wanted) > PRIORITY_ORDER.indexOf(current) ? wanted : current;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
