/**
 * The inbox as agents see it: reads of the projection, filtered by the role table (DESIGN §4),
 * and agent actions sent to the conversation workflow as updates. Never writes conversation rows.
 */
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { replyUpdate, type ReplyResult } from '../../workflows/conversation/contract';
import { HttpError, notFound } from '../http/errors';
import type { Actor } from './auth.service';
import { z } from 'zod';
import { decodeCursor, encodeCursor, isoTimestamp, uuid } from './cursor';

const listCursor = z.tuple([z.number().int(), isoTimestamp, uuid]);
const threadCursor = z.tuple([isoTimestamp, uuid]);

export type Queue = 'all' | 'mine' | 'unassigned';

export interface ConversationListItem {
  id: string;
  status: string;
  priority: string;
  escalationLevel: number;
  channel: { id: string; kind: string; name: string };
  contact: { id: string; name: string };
  teamId: string | null;
  assigneeId: string | null;
  tags: string[];
  lastMessage: { preview: string | null; author: string | null; at: string | null };
  waitingSince: string | null;
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

export interface InboxServiceDeps {
  db: Knex;
  temporal: Client;
}

const MAX_LIMIT = 100;

export function createInboxService({ db, temporal }: InboxServiceDeps) {
  /** Owners and admins see everything; an agent sees their teams' queues and what is assigned to them. */
  function visibleTo(actor: Actor) {
    return (q: Knex.QueryBuilder) => {
      if (actor.role === 'owner' || actor.role === 'admin') return;
      q.where((w) =>
        w
          .where('cv.assignee_id', actor.id)
          .orWhereIn('cv.team_id', db('team_members').select('team_id').where('user_id', actor.id)),
      );
    };
  }

  async function findVisible(actor: Actor, conversationId: string) {
    if (!isUuid(conversationId)) throw notFound('conversation not found');
    const row = await db('conversations as cv').where('cv.id', conversationId).modify(visibleTo(actor)).first('cv.*');
    // Not found and not allowed look the same: ids of others' conversations reveal nothing.
    if (!row) throw notFound('conversation not found');
    return row;
  }

  return {
    async listConversations(
      actor: Actor,
      opts: { queue?: Queue; cursor?: string; limit?: number } = {},
    ): Promise<{ data: ConversationListItem[]; nextCursor: string | null }> {
      const limit = Math.min(Math.max(opts.limit ?? 50, 1), MAX_LIMIT);
      const q = db('conversations as cv')
        .join('contacts as ct', 'ct.id', 'cv.contact_id')
        .join('channels as ch', 'ch.id', 'cv.channel_id')
        .whereNotNull('cv.last_message_at')
        .modify(visibleTo(actor))
        .orderBy([
          { column: 'cv.escalation_level', order: 'desc' },
          { column: 'cv.last_message_at', order: 'desc' },
          { column: 'cv.id', order: 'desc' },
        ])
        .limit(limit + 1)
        .select('cv.*', 'ct.display_name', 'ct.external_key', 'ch.kind as channel_kind', 'ch.name as channel_name');
      if (opts.queue === 'mine') q.where('cv.assignee_id', actor.id);
      if (opts.queue === 'unassigned') q.whereNull('cv.assignee_id').whereNot('cv.status', 'resolved');
      if (opts.cursor) {
        const [level, lastAt, id] = decodeCursor(opts.cursor, listCursor);
        q.whereRaw('(cv.escalation_level, cv.last_message_at, cv.id) < (?, ?, ?)', [level, lastAt, id]);
      }
      const rows = await q;
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        data: page.map(toListItem),
        nextCursor:
          rows.length > limit && last
            ? encodeCursor([last.escalation_level, last.last_message_at.toISOString(), last.id])
            : null,
      };
    },

    async getConversation(actor: Actor, conversationId: string): Promise<ConversationListItem> {
      await findVisible(actor, conversationId);
      const row = await db('conversations as cv')
        .join('contacts as ct', 'ct.id', 'cv.contact_id')
        .join('channels as ch', 'ch.id', 'cv.channel_id')
        .where('cv.id', conversationId)
        .first('cv.*', 'ct.display_name', 'ct.external_key', 'ch.kind as channel_kind', 'ch.name as channel_name');
      return toListItem(row);
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

    /** An agent reply: an update on the conversation workflow, answered once the send settled. */
    async reply(actor: Actor, conversationId: string, input: { text: string }): Promise<ReplyResult> {
      const row = await findVisible(actor, conversationId);
      const text = input.text.trim();
      if (!text) throw new HttpError('bad_request', 'a reply needs some text');
      return temporal.workflow
        .getHandle(row.workflow_id)
        .executeUpdate(replyUpdate, { args: [{ authorUserId: actor.id, text }] });
    },
  };
}

export type InboxService = ReturnType<typeof createInboxService>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string) => UUID.test(value);

function toListItem(row: Record<string, any>): ConversationListItem {
  return {
    id: row.id,
    status: row.status,
    priority: row.priority,
    escalationLevel: row.escalation_level,
    channel: { id: row.channel_id, kind: row.channel_kind, name: row.channel_name },
    contact: { id: row.contact_id, name: row.display_name ?? row.external_key },
    teamId: row.team_id,
    assigneeId: row.assignee_id,
    tags: row.tags,
    lastMessage: {
      preview: row.last_message_preview,
      author: row.last_message_author,
      at: row.last_message_at?.toISOString() ?? null,
    },
    waitingSince: row.waiting_since?.toISOString() ?? null,
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
