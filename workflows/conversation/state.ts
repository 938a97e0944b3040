/**
 * ConversationState and its pure transitions (STYLE §3): `(state, input, now) => next`.
 * No Temporal imports, so every rule here is unit-testable without a server.
 * State is plain JSON (timestamps as epoch ms): it crosses queries and continue-as-new.
 */
import type { InboundContact } from '../../activities/channels/types';
import type { InboundMessage } from './contract';

export type ConversationStatus = 'bot' | 'queued' | 'assigned' | 'pending' | 'snoozed' | 'resolved';
export type Priority = 'normal' | 'high' | 'urgent';

export interface ConversationState {
  /** Bumped by every change; projection rows only move to a higher version. */
  version: number;
  /** The projection row, known once the conversation has been opened there. */
  conversationId: string | null;
  status: ConversationStatus;
  priority: Priority;
  escalationLevel: 0 | 1 | 2 | 3;
  teamId: string | null;
  assigneeId: string | null;
  tags: string[];
  contact: InboundContact;
  /** When the oldest customer message still waiting for a human arrived (the SLA clock). */
  waitingSince: number | null;
  lastInboundAt: number | null;
  lastMessageAt: number | null;
  /** Provider ids seen recently: a redelivered webhook changes nothing (WIRE.md §1.3). */
  recentExternalIds: string[];
}

/** What the `state` query answers: the state minus bookkeeping. */
export type ConversationStateView = Omit<ConversationState, 'recentExternalIds'>;

export const RECENT_IDS_KEPT = 200;

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
    lastInboundAt: null,
    lastMessageAt: null,
    recentExternalIds: [],
  };
}

/**
 * Adopts the projection's row when a run (re)opens a conversation, so versions keep rising, and
 * places it in the channel's default team until routing (issue #3) decides otherwise.
 */
export function opened(
  state: ConversationState,
  row: { conversationId: string; version: number; defaultTeamId: string | null },
): ConversationState {
  return {
    ...state,
    conversationId: row.conversationId,
    version: Math.max(state.version, row.version),
    teamId: state.teamId ?? row.defaultTeamId,
  };
}

export function isDuplicate(state: ConversationState, message: InboundMessage): boolean {
  return state.recentExternalIds.includes(message.externalId);
}

/**
 * A customer wrote. A resolved conversation reopens into its queue; the SLA clock starts at the
 * first unanswered message and keeps running until a human answers.
 */
export function receiveInbound(state: ConversationState, message: InboundMessage): ConversationState {
  const contact = { ...state.contact, ...definedOnly(message.contact) };
  return {
    ...state,
    version: state.version + 1,
    status: state.status === 'resolved' ? 'queued' : state.status,
    contact,
    waitingSince: state.waitingSince ?? message.sentAt,
    lastInboundAt: Math.max(state.lastInboundAt ?? 0, message.sentAt),
    lastMessageAt: Math.max(state.lastMessageAt ?? 0, message.sentAt),
    recentExternalIds: [...state.recentExternalIds, message.externalId].slice(-RECENT_IDS_KEPT),
  };
}

/** An agent answered: the SLA clock stops until the customer writes again. */
export function agentReplied(state: ConversationState, at: number): ConversationState {
  return {
    ...state,
    version: state.version + 1,
    waitingSince: null,
    lastMessageAt: Math.max(state.lastMessageAt ?? 0, at),
  };
}

export function toView(state: ConversationState): ConversationStateView {
  const { recentExternalIds: _omitted, ...view } = state;
  return view;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
