/**
 * Reading the audit log of staff actions (DESIGN §2, issue #7): who did what to which target, and
 * when, newest first. Owners only (DESIGN §4: the workspace's oversight is the owner's). Rows are
 * written where the actions happen (audit.ts, settings.service.ts, auth.service.ts); this service
 * only reads them, keyset-paginated on the log's own increasing id.
 */
import type { Knex } from 'knex';
import { z } from 'zod';
import { HttpError } from '../http/errors';
import type { Actor } from './auth.service';
import { decodeCursor, encodeCursor } from './cursor';

export interface AuditLogEntry {
  id: string;
  at: string;
  /** Null for an anonymous failure (e.g. a sign-in attempt for an unknown email) or a deleted user. */
  actor: { id: string; name: string; email: string } | null;
  /** `<area>.<verb>`, e.g. `conversation.assign`, `user.update`, `sla_policy.update`. */
  action: string;
  target: { kind: string; id: string | null };
  data: Record<string, unknown>;
}

export interface AuditLogQuery {
  cursor?: string;
  limit?: number;
  /** One action (`conversation.assign`) or an area with a trailing dot (`conversation.`). */
  action?: string;
  actorUserId?: string;
  targetKind?: string;
  targetId?: string;
}

const idCursor = z.tuple([z.string().regex(/^\d{1,19}$/)]);
const MAX_LIMIT = 100;

export function createAuditLogService({ db }: { db: Knex }) {
  return {
    async list(actor: Actor, query: AuditLogQuery = {}): Promise<{ data: AuditLogEntry[]; nextCursor: string | null }> {
      if (actor.role !== 'owner') throw new HttpError('forbidden', 'only owners can read the audit log');
      const limit = Math.min(Math.max(query.limit ?? 50, 1), MAX_LIMIT);
      const q = db('audit_log as a')
        .leftJoin('users as u', 'u.id', 'a.actor_user_id')
        .orderBy('a.id', 'desc')
        .limit(limit + 1)
        .select('a.*', 'u.name as actor_name', 'u.email as actor_email');
      if (query.action?.endsWith('.')) q.whereLike('a.action', `${query.action.replace(/[\\%_]/g, '\\$&')}%`);
      else if (query.action) q.where('a.action', query.action);
      if (query.actorUserId) q.where('a.actor_user_id', query.actorUserId);
      if (query.targetKind) q.where('a.target_kind', query.targetKind);
      if (query.targetId) q.where('a.target_id', query.targetId);
      if (query.cursor) {
        const [before] = decodeCursor(query.cursor, idCursor);
        q.where('a.id', '<', before);
      }
      const rows = await q;
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        data: page.map((r) => ({
          id: String(r.id),
          at: r.created_at.toISOString(),
          actor:
            r.actor_user_id && r.actor_name ? { id: r.actor_user_id, name: r.actor_name, email: r.actor_email } : null,
          action: r.action,
          target: { kind: r.target_kind, id: r.target_id ?? null },
          data: r.data ?? {},
        })),
        nextCursor: rows.length > limit && last ? encodeCursor([String(last.id)]) : null,
      };
    },
  };
}

export type AuditLogService = ReturnType<typeof createAuditLogService>;
