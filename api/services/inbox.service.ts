/**
 * The inbox as agents see it: reads of the projection, filtered by the role table (DESIGN §4),
 * and agent actions sent to the conversation workflow as signals and updates. Never writes
 * conversation rows. One service for the API and the web: the conversation actions
 * (conversation-actions.service.ts), workspace reference data (workspace.service.ts) and the
 * user's notifications (notifications.service.ts) are composed into it.
 */
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { z } from 'zod';
import { replyUpdate, type ReplyResult, type ReplyTemplate } from '../../workflows/conversation/contract';
import { HttpError } from '../http/errors';
import { findVisibleConversation, isUuid, visibleTo } from './access';
import { recordAudit } from './audit';
import type { Actor } from './auth.service';
import { createContactsService } from './contacts.service';
import { createConversationActions } from './conversation-actions.service';
import { decodeCursor, encodeCursor, exactTimestamp, isoTimestamp, uuid } from './cursor';
import { createDashboardService } from './dashboard.service';
import { createNotificationsService } from './notifications.service';
import { prepared, whereOpen } from './prepared';
import { createSettingsService } from './settings.service';
import { createWorkspaceService } from './workspace.service';

export { isUuid } from './access';

// The urgency order's sort key: escalation level, waiting since (null last), last message, id.
/** Escalation level, waiting rank (a bigint, as text), last message, id: the list's sort key. */
const listCursor = z.tuple([z.number().int(), z.string().regex(/^-?\d{1,19}$/), isoTimestamp, uuid]);
const threadCursor = z.tuple([isoTimestamp, uuid]);
const notesCursor = z.tuple([isoTimestamp, uuid]);

/** Inbox queues (DESIGN §5): `team:<id>` is one team's queue, `escalated` the lane (level 2 and up). */
export type Queue = 'all' | 'mine' | 'unassigned' | 'escalated' | `team:${string}`;
/** `open`: anything not resolved; `any`: no filter; otherwise one status. */
export type StatusFilter = 'open' | 'any' | 'bot' | 'queued' | 'assigned' | 'pending' | 'snoozed' | 'resolved';

export interface ListConversationsOptions {
  queue?: Queue;
  status?: StatusFilter;
  channel?: 'whatsapp' | 'messenger' | 'instagram';
  /** Part of the contact's name (or their channel identity). */
  q?: string;
  cursor?: string;
  limit?: number;
}

export interface ConversationListItem {
  id: string;
  status: string;
  priority: string;
  escalationLevel: number;
  channel: { id: string; kind: string; name: string };
  contact: { id: string; name: string };
  teamId: string | null;
  assigneeId: string | null;
  team: { id: string; name: string } | null;
  assignee: { id: string; name: string } | null;
  tags: string[];
  lastMessage: { preview: string | null; author: string | null; at: string | null };
  waitingSince: string | null;
  /** The customer's last message: the reply window is measured from it. */
  lastInboundAt: string | null;
  /** The next SLA tier and its deadline while the clock runs (the aging badge). */
  sla: { nextTier: string; dueAt: string } | null;
  snoozedUntil: string | null;
  intent: string | null;
  /** For the "Open in Temporal UI" link of owners and admins. */
  workflowId: string;
  /** The projection's version: a page can tell that an accepted signal has been applied. */
  version: number;
}

export interface MessageView {
  id: string;
  direction: 'inbound' | 'outbound';
  authorKind: string;
  authorName: string | null;
  type: string;
  body: string | null;
  status: string;
  error: { code: number | null; reason: string } | null;
  externalId: string | null;
  sentAt: string;
}

export interface EventView {
  id: string;
  type: string;
  actorKind: string;
  data: Record<string, unknown>;
  at: string;
}

export interface NoteView {
  id: string;
  authorKind: string;
  authorUserId: string | null;
  authorName: string | null;
  body: string;
  createdAt: string;
}

export interface InboxServiceDeps {
  db: Knex;
  /**
   * The pool the list's pages run on, whose connections keep one plan per statement (db/knexfile.ts
   * createListDb; the web process passes it). `db` when not given: the same rows, planned per page.
   */
  listDb?: Knex;
  temporal: Client;
  clock?: () => number;
  /** SLA_DEFAULT_TIERS, shown for teams without a policy of their own. */
  slaDefaultTiersMs?: readonly [number, number, number];
}

const MAX_LIMIT = 100;

/** The conversation columns a list item is made of (toListItem), and waiting_rank for its cursor. */
const LIST_COLUMNS = [
  'id',
  'workflow_id',
  'channel_id',
  'contact_id',
  'contact_name',
  'status',
  'priority',
  'escalation_level',
  'team_id',
  'assignee_id',
  'tags',
  'waiting_since',
  'waiting_rank',
  'last_message_at',
  'last_inbound_at',
  'last_message_preview',
  'last_message_author',
  'sla_next_tier',
  'sla_next_at',
  'snoozed_until',
  'intent',
  'version',
] as const;

/** The urgency order (DESIGN §3), all descending: waiting_rank is waiting_since turned around. */
const URGENCY_ORDER: Array<{ column: string; order: 'desc' }> = [
  { column: 'cv.escalation_level', order: 'desc' },
  { column: 'cv.waiting_rank', order: 'desc' },
  { column: 'cv.last_message_at', order: 'desc' },
  { column: 'cv.id', order: 'desc' },
];

export function createInboxService({ db, listDb = db, temporal, clock, slaDefaultTiersMs }: InboxServiceDeps) {
  // Not found and not allowed look the same: ids of others' conversations reveal nothing.
  const findVisible = (actor: Actor, conversationId: string) => findVisibleConversation(db, actor, conversationId);
  /**
   * List items: conversation rows (from `rows`, aliased `cv`) with the names the list shows. The
   * joins are planned over the rows given (a page of at most 101), not over the table: with the
   * filters and the sort in the same statement, planning the joins cost more than running them.
   * The team's and the owner's names are subqueries, not outer joins: the same lookups, planned
   * at a third of the cost (at 100,000 conversations, a page's statement 0.89 → 0.69 ms). The
   * contact's name is the conversation's own column, kept by triggers (migration
   * 20261207100000_conversation_contact_name), not a join.
   */
  const withNames = (rows: Knex.QueryBuilder | string, sql: Knex = db) =>
    sql
      .from(typeof rows === 'string' ? rows : rows.as('cv'))
      .join('channels as ch', 'ch.id', 'cv.channel_id')
      .select(
        'cv.*',
        'ch.kind as channel_kind',
        'ch.name as channel_name',
        sql('teams as tm').where('tm.id', sql.ref('cv.team_id')).select('tm.name').as('team_name'),
        sql('users as au').where('au.id', sql.ref('cv.assignee_id')).select('au.name').as('assignee_name'),
      );

  return {
    ...createConversationActions({ db, temporal, clock }),
    ...createWorkspaceService({ db, temporal, slaDefaultTiersMs }),
    ...createNotificationsService({ db }),
    ...createDashboardService({ db, clock }),
    ...createContactsService({ db }),
    ...createSettingsService({ db, temporal }),

    /**
     * A queue in urgency order (DESIGN §3): escalation level first, then the longest waiting, then
     * the latest message. Keyset-paginated on that whole sort key, all descending (waiting_rank is
     * waiting_since turned around), so a page after the cursor is one row comparison.
     */
    async listConversations(
      actor: Actor,
      opts: ListConversationsOptions = {},
    ): Promise<{ data: ConversationListItem[]; nextCursor: string | null }> {
      const limit = Math.trunc(Math.min(Math.max(opts.limit ?? 50, 1), MAX_LIMIT));
      // The whole statement is built on the list's pool: it is sent there, prepared (see listDb).
      const sql = listDb;
      const q = sql('conversations as cv')
        .select(LIST_COLUMNS.map((c) => `cv.${c}`))
        .select(exactTimestamp(sql, 'cv.last_message_at', 'cursor_last'))
        .whereNotNull('cv.last_message_at')
        .modify(visibleTo(sql, actor))
        // The page size as a literal, so the prepared statement keeps one plan (prepared.ts).
        .limit(limit + 1, { skipBinding: true });
      const queue = opts.queue ?? 'all';
      /** The column a queue is equal on (Mine: the owner, a team queue: the team). */
      let queueKey: { column: string; value: string } | null = null;
      if (queue === 'mine') queueKey = { column: 'cv.assignee_id', value: actor.id };
      if (queue === 'unassigned') q.whereNull('cv.assignee_id').modify(whereOpen('cv'));
      if (queue === 'escalated') q.where('cv.escalation_level', '>=', 2).modify(whereOpen('cv'));
      if (queue.startsWith('team:')) {
        const teamId = queue.slice('team:'.length);
        if (!isUuid(teamId)) throw new HttpError('bad_request', 'queue: not a team id');
        queueKey = { column: 'cv.team_id', value: teamId };
      }
      if (opts.status === 'open') q.modify(whereOpen('cv'));
      else if (opts.status && opts.status !== 'any') q.where('cv.status', opts.status);
      if (opts.channel) q.whereIn('cv.channel_id', sql('channels').select('id').where('kind', opts.channel));
      const search = opts.q?.trim();
      if (search) {
        const pattern = `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        q.whereIn(
          'cv.contact_id',
          sql('contacts')
            .select('id')
            .where((w) => w.whereILike('display_name', pattern).orWhereILike('external_key', pattern)),
        );
      }
      /**
       * A page after the cursor that reads the queue's own index, which starts with the queue's
       * column (Mine: the owner, a team queue: the team), bounds the queue by a range on it (see
       * below). Those indexes hold open conversations only: with another status filter a page
       * reads the all-conversations index, and the queue stays an equality.
       */
      const rangeKey = opts.cursor && opts.status === 'open' ? queueKey : null;
      if (queueKey && !rangeKey) q.where(queueKey.column, queueKey.value);
      if (rangeKey) q.where(rangeKey.column, '>=', rangeKey.value);
      if (opts.cursor) {
        const [level, rank, lastAt, id] = decodeCursor(opts.cursor, listCursor);
        // The rows after the cursor, read on from it in one index. In the queue's own index the
        // queue's column leads the comparison and the order (equal on every row of the queue: the
        // same order) and bounds the queue from below as a range. Not as an equality: beside one
        // on the same column Postgres starts the scan at the equality, and stepped over every row
        // of the queue before the cursor (a team queue at row 20,000: 0.75-0.94 ms in Postgres,
        // 0.03 ms from the cursor). With the column leading, only the queue's index serves the
        // page: on the bare sort key the planner, misjudging how few rows pass the comparison,
        // walked the all-conversations index and filtered the queue out of it (6 ms at row 700 of
        // Mine). Elsewhere the comparison is the sort key's, where that index's scan starts.
        const key = [
          ...(rangeKey ? [{ column: rangeKey.column, value: rangeKey.value, cast: '::uuid' }] : []),
          { column: 'cv.escalation_level', value: level, cast: '' },
          { column: 'cv.waiting_rank', value: rank, cast: '::bigint' },
          { column: 'cv.last_message_at', value: lastAt, cast: '::timestamptz' },
          { column: 'cv.id', value: id, cast: '::uuid' },
        ];
        q.whereRaw(
          `(${key.map((k) => k.column).join(', ')}) < (${key.map((k) => `?${k.cast}`).join(', ')})`,
          key.map((k) => k.value),
        );
      }
      /** The urgency order, or the same rows in the order of the queue's index. */
      const order = rangeKey ? [{ column: rangeKey.column, order: 'desc' as const }, ...URGENCY_ORDER] : URGENCY_ORDER;
      // The page first, then its names (withNames), in the same order.
      const rows = await prepared(withNames(q.orderBy(order), sql).orderBy(order), 'inbox_list');
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        data: page.map(toListItem),
        nextCursor:
          rows.length > limit && last
            ? encodeCursor([last.escalation_level, String(last.waiting_rank), last.cursor_last, last.id])
            : null,
      };
    },

    async getConversation(actor: Actor, conversationId: string): Promise<ConversationListItem> {
      await findVisible(actor, conversationId);
      return toListItem(await withNames('conversations as cv').where('cv.id', conversationId).first());
    },

    /** The newest `limit` messages in thread order; `nextCursor` pages to older ones. */
    async listMessages(
      actor: Actor,
      conversationId: string,
      opts: { cursor?: string; limit?: number } = {},
    ): Promise<{ data: MessageView[]; nextCursor: string | null }> {
      await findVisible(actor, conversationId);
      const limit = Math.min(Math.max(opts.limit ?? 50, 1), MAX_LIMIT);
      const q = db('messages as m')
        .leftJoin('users as u', 'u.id', 'm.author_user_id')
        .where('m.conversation_id', conversationId)
        .orderBy([
          { column: 'm.sent_at', order: 'desc' },
          { column: 'm.id', order: 'desc' },
        ])
        .limit(limit + 1)
        .select('m.*', 'u.name as author_name');
      if (opts.cursor) {
        const [sentAt, id] = decodeCursor(opts.cursor, threadCursor);
        q.whereRaw('(m.sent_at, m.id) < (?, ?)', [sentAt, id]);
      }
      const rows = await q;
      const page = rows.slice(0, limit);
      const oldest = page[page.length - 1];
      return {
        data: page.reverse().map(toMessageView),
        nextCursor: rows.length > limit && oldest ? encodeCursor([oldest.sent_at.toISOString(), oldest.id]) : null,
      };
    },

    async listEvents(actor: Actor, conversationId: string): Promise<{ data: EventView[]; nextCursor: null }> {
      await findVisible(actor, conversationId);
      const rows = await db('events').where({ conversation_id: conversationId }).orderBy('created_at').limit(500);
      return {
        data: rows.map((e) => ({
          id: e.id,
          type: e.type,
          actorKind: e.actor_kind,
          data: e.data,
          at: e.created_at.toISOString(),
        })),
        nextCursor: null,
      };
    },

    /** The private notes, oldest first; `nextCursor` pages to newer ones. */
    async listNotes(
      actor: Actor,
      conversationId: string,
      opts: { cursor?: string; limit?: number } = {},
    ): Promise<{ data: NoteView[]; nextCursor: string | null }> {
      await findVisible(actor, conversationId);
      const limit = Math.min(Math.max(opts.limit ?? 50, 1), MAX_LIMIT);
      const q = db('notes as n')
        .leftJoin('users as u', 'u.id', 'n.author_user_id')
        .where('n.conversation_id', conversationId)
        .orderBy([
          { column: 'n.created_at', order: 'asc' },
          { column: 'n.id', order: 'asc' },
        ])
        .limit(limit + 1)
        .select('n.*', 'u.name as author_name', exactTimestamp(db, 'n.created_at', 'cursor_at'));
      if (opts.cursor) {
        const [at, id] = decodeCursor(opts.cursor, notesCursor);
        q.whereRaw('(n.created_at, n.id) > (?::timestamptz, ?)', [at, id]);
      }
      const rows = await q;
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        data: page.map((n) => ({
          id: n.id,
          authorKind: n.author_kind,
          authorUserId: n.author_user_id,
          authorName: n.author_name ?? null,
          body: n.body,
          createdAt: n.created_at.toISOString(),
        })),
        nextCursor: rows.length > limit && last ? encodeCursor([last.cursor_at, last.id]) : null,
      };
    },

    /**
     * An agent reply, free text or an approved template (outside the 24-hour window): an update on
     * the conversation workflow, answered once the send settled.
     */
    async reply(
      actor: Actor,
      conversationId: string,
      input: { text: string } | { template: ReplyTemplate },
    ): Promise<ReplyResult> {
      const row = await findVisible(actor, conversationId);
      const content = 'template' in input ? { template: input.template } : { text: input.text.trim() };
      if ('text' in content && !content.text) throw new HttpError('bad_request', 'a reply needs some text');
      const result = await temporal.workflow
        .getHandle(row.workflow_id)
        .executeUpdate(replyUpdate, { args: [{ authorUserId: actor.id, ...content }] });
      await recordAudit(db, actor, {
        action: 'conversation.reply',
        targetKind: 'conversation',
        targetId: row.id,
        data: { messageId: result.messageId, status: result.status },
      });
      return result;
    },
  };
}

export type InboxService = ReturnType<typeof createInboxService>;

function toListItem(row: Record<string, any>): ConversationListItem {
  return {
    id: row.id,
    status: row.status,
    priority: row.priority,
    escalationLevel: row.escalation_level,
    channel: { id: row.channel_id, kind: row.channel_kind, name: row.channel_name },
    contact: { id: row.contact_id, name: row.contact_name },
    teamId: row.team_id,
    assigneeId: row.assignee_id,
    team: row.team_id ? { id: row.team_id, name: row.team_name ?? '' } : null,
    assignee: row.assignee_id ? { id: row.assignee_id, name: row.assignee_name ?? '' } : null,
    tags: row.tags,
    lastMessage: {
      preview: row.last_message_preview,
      author: row.last_message_author,
      at: row.last_message_at?.toISOString() ?? null,
    },
    waitingSince: row.waiting_since?.toISOString() ?? null,
    lastInboundAt: row.last_inbound_at?.toISOString() ?? null,
    sla:
      row.sla_next_tier && row.sla_next_at
        ? { nextTier: row.sla_next_tier, dueAt: row.sla_next_at.toISOString() }
        : null,
    snoozedUntil: row.snoozed_until?.toISOString() ?? null,
    intent: row.intent ?? null,
    workflowId: row.workflow_id,
    version: Number(row.version),
  };
}

function toMessageView(row: Record<string, any>): MessageView {
  return {
    id: row.id,
    direction: row.direction,
    authorKind: row.author_kind,
    authorName: row.author_name ?? null,
    type: row.type,
    body: row.body,
    status: row.status,
    error: row.status === 'failed' ? { code: row.error_code, reason: row.error_reason ?? 'not sent' } : null,
    externalId: row.external_id,
    sentAt: row.sent_at.toISOString(),
  };
}
