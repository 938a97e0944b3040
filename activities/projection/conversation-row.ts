import type { Knex } from 'knex';
import type { ConversationSnapshot } from './types';

const at = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

export function snapshotColumns(snapshot: ConversationSnapshot) {
  return {
    status: snapshot.status,
    priority: snapshot.priority,
    escalation_level: snapshot.escalationLevel,
    team_id: snapshot.teamId,
    assignee_id: snapshot.assigneeId,
    tags: snapshot.tags,
    waiting_since: at(snapshot.waitingSince),
    last_inbound_at: at(snapshot.lastInboundAt),
    last_message_at: at(snapshot.lastMessageAt),
    sla_next_tier: snapshot.slaNextTier,
    sla_next_at: at(snapshot.slaNextAt),
    snoozed_until: at(snapshot.snoozedUntil),
    intent: snapshot.intent,
    version: snapshot.version,
  };
}

/**
 * Moves the conversations row to `snapshot` only when it is newer (DESIGN §1): a retried or
 * reordered write of an older version changes nothing. The update alone, for a statement that
 * makes it one of its parts (`returning` tells whether it moved the row).
 */
export function snapshotUpdate(
  db: Knex.Transaction | Knex,
  conversationId: string,
  snapshot: ConversationSnapshot,
  lastMessage?: { preview: string; author: string },
): Knex.QueryBuilder {
  return db('conversations')
    .where({ id: conversationId })
    .andWhere('version', '<', snapshot.version)
    .update({
      ...snapshotColumns(snapshot),
      ...(lastMessage ? { last_message_preview: lastMessage.preview, last_message_author: lastMessage.author } : {}),
      updated_at: db.fn.now(),
    });
}

/** Applies `snapshotUpdate`; true when the row moved to the snapshot's version. */
export async function applySnapshot(
  trx: Knex.Transaction | Knex,
  conversationId: string,
  snapshot: ConversationSnapshot,
  lastMessage?: { preview: string; author: string },
): Promise<boolean> {
  const updated: number = await snapshotUpdate(trx, conversationId, snapshot, lastMessage);
  return updated > 0;
}
