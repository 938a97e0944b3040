/**
 * The signed-in user's notifications (handover, assignment, SLA escalation), written by the
 * workflow's projection; the user may only read theirs and mark them read.
 */
import type { Knex } from 'knex';
import { z } from 'zod';
import type { Availability } from '../../db/models';
import { notFound } from '../http/errors';
import { isUuid } from './access';
import type { Actor } from './auth.service';
import { decodeCursor, encodeCursor, exactTimestamp, isoTimestamp, uuid } from './cursor';
import { prepared } from './prepared';

const newestFirst = z.tuple([isoTimestamp, uuid]);
const MAX_LIMIT = 100;

export interface NotificationView {
  id: string;
  kind: string;
  title: string;
  body: string;
  conversationId: string | null;
  readAt: string | null;
  createdAt: string;
}

export function createNotificationsService({ db }: { db: Knex }) {
  return {
    /**
     * What every page's layout shows of the signed-in user: their availability, and how many of
     * their notifications are unread, counted up to `upTo` (the badge shows "99+" beyond). Asked on
     * every refresh, so it is one statement that reads index entries, never notification bodies.
     */
    async signedInStatus(
      actor: Actor,
      { upTo = 100 }: { upTo?: number } = {},
    ): Promise<{ availability: Availability; unreadCount: number }> {
      const unread = db('notifications as n')
        .where('n.user_id', db.ref('u.id'))
        .whereNull('n.read_at')
        .limit(upTo)
        .select(db.raw('1'));
      const row = await prepared(
        db('users as u')
          .where('u.id', actor.id)
          .first('u.availability', db.from(unread.as('unread')).count('*').as('unread_count')),
        'signed_in_status',
      );
      if (!row) throw notFound('user not found');
      return { availability: row.availability, unreadCount: Number(row.unread_count) };
    },

    /** Newest first; `nextCursor` pages to older ones. */
    async listNotifications(
      actor: Actor,
      opts: { cursor?: string; limit?: number; unread?: boolean } = {},
    ): Promise<{ data: NotificationView[]; nextCursor: string | null }> {
      const limit = Math.min(Math.max(opts.limit ?? 50, 1), MAX_LIMIT);
      const q = db('notifications as n')
        .where('n.user_id', actor.id)
        .orderBy([
          { column: 'n.created_at', order: 'desc' },
          { column: 'n.id', order: 'desc' },
        ])
        .limit(limit + 1)
        .select('n.*', exactTimestamp(db, 'n.created_at', 'cursor_at'));
      if (opts.unread) q.whereNull('n.read_at');
      if (opts.cursor) {
        const [at, id] = decodeCursor(opts.cursor, newestFirst);
        q.whereRaw('(n.created_at, n.id) < (?::timestamptz, ?)', [at, id]);
      }
      const rows = await q;
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        data: page.map(toView),
        nextCursor: rows.length > limit && last ? encodeCursor([last.cursor_at, last.id]) : null,
      };
    },

    async markRead(actor: Actor, notificationId: string): Promise<NotificationView> {
      if (!isUuid(notificationId)) throw notFound('notification not found');
      const [row] = await db('notifications')
        .where({ id: notificationId, user_id: actor.id })
        .update({ read_at: db.raw('coalesce(read_at, now())') })
        .returning('*');
      if (!row) throw notFound('notification not found');
      return toView(row);
    },
  };
}

export type NotificationsService = ReturnType<typeof createNotificationsService>;

interface NotificationRow {
  id: string;
  kind: string;
  title: string;
  body: string;
  conversation_id: string | null;
  read_at: Date | null;
  created_at: Date;
}

function toView(row: NotificationRow): NotificationView {
  return {
    id: row.id,
    kind: row.kind,
    title: row.title,
    body: row.body,
    conversationId: row.conversation_id,
    readAt: row.read_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
  };
}
