/**
 * What the conversations row mirrors of a conversation's state (DESIGN §1), and the snapshot a run's
 * opening writes with its first customer message. Pure, so the opening's local activity computes the
 * same snapshot the workflow arrives at from the activity's result (OPEN_WITH_FIRST_MESSAGE_PATCH).
 */
import type { ConversationSnapshot } from '../../activities/projection/types';
import type { InboundMessage } from './contract';
import { initialState, opened, receiveInbound, slaDue, type ConversationState } from './state';

export function projectionSnapshot(state: ConversationState): ConversationSnapshot {
  const due = slaDue(state);
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
    slaNextTier: due?.nextTier ?? null,
    slaNextAt: due?.dueAt ?? null,
    snoozedUntil: state.snoozedUntil,
    intent: state.intent,
  };
}

/**
 * The snapshot after a run opens on `row` and receives its first message at `now`: the workflow's
 * own steps (a fresh state, `opened`, then `receiveInbound`), in the same order and with the same
 * inputs, so the row the opening writes is the state the workflow then holds.
 */
export function openingSnapshot(
  row: Parameters<typeof opened>[1],
  first: InboundMessage,
  now: number,
): ConversationSnapshot {
  const { state } = opened(initialState(first.contact), row);
  return projectionSnapshot(receiveInbound(state, first, now).state);
}
