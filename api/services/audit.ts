/**
 * The audit log of staff actions (DESIGN §2). Written by the API after an action was accepted; it
 * is a record of who asked for what, not conversation state, so the API may write it directly.
 * No message text or note bodies: ids, targets and reasons only.
 */
import type { Knex } from 'knex';
import type { Actor } from './auth.service';

export interface AuditEntry {
  /** `<area>.<verb>`, e.g. `conversation.claim`, `sla_policy.update`. */
  action: string;
  targetKind: 'conversation' | 'notification' | 'sla_policy' | 'user';
  targetId: string;
  data?: Record<string, unknown>;
}

export async function recordAudit(db: Knex, actor: Actor, entry: AuditEntry): Promise<void> {
  await db('audit_log').insert({
    actor_user_id: actor.id,
    action: entry.action,
    target_kind: entry.targetKind,
    target_id: entry.targetId,
    data: JSON.stringify(entry.data ?? {}),
  });
}
