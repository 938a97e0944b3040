/**
 * Customers as staff see them (DESIGN §5 "customer panel"): a contact's profile, tags, their
 * conversations and timeline, the contacts directory, and the notes and events that sit between
 * the messages of a thread page. Visibility follows the conversations (DESIGN §4): an agent sees a
 * contact only through a conversation in their teams' queues or assigned to them.
 */
import type { Knex } from 'knex';
import { z } from 'zod';
import { notFound } from '../http/errors';
import { findVisibleConversation, isUuid, visibleTo } from './access';
import type { Actor } from './auth.service';
import { decodeCursor, encodeCursor, exactTimestamp, isoTimestamp, uuid } from './cursor';
import type { EventView, NoteView } from './inbox.service';

const contactsCursor = z.tuple([isoTimestamp, uuid]);
const MAX_LIMIT = 100;
/** Notes and events shown beside one page of messages; a thread rarely has more. */
const SIDE_LIMIT = 300;

export interface ContactView {
  id: string;
  name: string;
  externalKey: string;
  waId: string | null;
  channel: { id: string; kind: string; name: string };
  tags: string[];
  attributes: Record<string, unknown>;
  createdAt: string;
  conversations: Array<{
    id: string;
    status: string;
    teamName: string | null;
    assigneeName: string | null;
    tags: string[];
    lastMessageAt: string | null;
    preview: string | null;
    startedAt: string;
  }>;
  /** The newest timeline events across the contact's conversations. */
  timeline: Array<EventView & { conversationId: string; actorName: string | null }>;
}

export interface ContactListItem {
  id: string;
  name: string;
  channelKind: string;
  tags: string[];
  lastMessageAt: string | null;
  conversationId: string;
  status: string;
}

export interface HandoverView {
  at: string;
  actorKind: string;
  actorName: string | null;
  reason: string | null;
  to: Record<string, unknown> | null;
  summary: string | null;
  intent: string | null;
  urgency: string | null;
}

export function createContactsService({ db }: { db: Knex }) {
  /** A contact the actor may see: 404 otherwise, whether it exists or not. */
  async function findVisibleContact(actor: Actor, contactId: string) {
    if (!isUuid(contactId)) throw notFound('contact not found');
    const visible = await db('conversations as cv')
      .where('cv.contact_id', contactId)
      .modify(visibleTo(db, actor))
      .first('cv.id');
    if (!visible) throw notFound('contact not found');
    const row = await db('contacts as ct')
      .join('channels as ch', 'ch.id', 'ct.channel_id')
      .where('ct.id', contactId)
      .first('ct.*', 'ch.kind as channel_kind', 'ch.name as channel_name');
    if (!row) throw notFound('contact not found');
    return row;
  }

  return {
    /** Profile, tags, conversations and recent timeline of one customer. */
    async contact(actor: Actor, contactId: string): Promise<ContactView> {
      const row = await findVisibleContact(actor, contactId);
      const conversations = await db('conversations as cv')
        .leftJoin('teams as tm', 'tm.id', 'cv.team_id')
        .leftJoin('users as au', 'au.id', 'cv.assignee_id')
        .where('cv.contact_id', contactId)
        .modify(visibleTo(db, actor))
        .orderBy([{ column: 'cv.last_message_at', order: 'desc', nulls: 'last' }])
        .select('cv.*', 'tm.name as team_name', 'au.name as assignee_name');
      const timeline = await db('events as e')
        .leftJoin('users as u', 'u.id', 'e.actor_user_id')
        .whereIn(
          'e.conversation_id',
          conversations.map((c: { id: string }) => c.id),
        )
        .orderBy([
          { column: 'e.created_at', order: 'desc' },
          { column: 'e.id', order: 'desc' },
        ])
        .limit(50)
        .select('e.*', 'u.name as actor_name');
      return {
        id: row.id,
        name: row.display_name ?? row.external_key,
        externalKey: row.external_key,
        waId: row.wa_id,
        channel: { id: row.channel_id, kind: row.channel_kind, name: row.channel_name },
        tags: row.tags,
        attributes: row.attributes ?? {},
        createdAt: row.created_at.toISOString(),
        conversations: conversations.map((c: Record<string, any>) => ({
          id: c.id,
          status: c.status,
          teamName: c.team_name ?? null,
          assigneeName: c.assignee_name ?? null,
          tags: c.tags,
          lastMessageAt: c.last_message_at?.toISOString() ?? null,
          preview: c.last_message_preview,
          startedAt: c.created_at.toISOString(),
        })),
        timeline: timeline.map((e) => ({ ...toEventView(e), conversationId: e.conversation_id })),
      };
    },

    /** Customers with a conversation the actor can see, latest activity first. */
    async listContacts(
      actor: Actor,
      opts: { q?: string; cursor?: string; limit?: number } = {},
    ): Promise<{ data: ContactListItem[]; nextCursor: string | null }> {
      const limit = Math.min(Math.max(opts.limit ?? 50, 1), MAX_LIMIT);
      const q = db('conversations as cv')
        .join('contacts as ct', 'ct.id', 'cv.contact_id')
        .join('channels as ch', 'ch.id', 'cv.channel_id')
        .whereNotNull('cv.last_message_at')
        .modify(visibleTo(db, actor))
        .orderBy([
          { column: 'cv.last_message_at', order: 'desc' },
          { column: 'cv.id', order: 'desc' },
        ])
        .limit(limit + 1)
        .select(
          'cv.id as conversation_id',
          'cv.status',
          'cv.last_message_at',
          'ct.id',
          'ct.display_name',
          'ct.external_key',
          'ct.tags',
          'ch.kind as channel_kind',
          exactTimestamp(db, 'cv.last_message_at', 'cursor_at'),
        );
      const search = opts.q?.trim();
      if (search) {
        const pattern = `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        q.where((w) => w.whereILike('ct.display_name', pattern).orWhereILike('ct.external_key', pattern));
      }
      if (opts.cursor) {
        const [at, id] = decodeCursor(opts.cursor, contactsCursor);
        q.whereRaw('(cv.last_message_at, cv.id) < (?::timestamptz, ?)', [at, id]);
      }
      const rows = await q;
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        data: page.map((r: Record<string, any>) => ({
          id: r.id,
          name: r.display_name ?? r.external_key,
          channelKind: r.channel_kind,
          tags: r.tags,
          lastMessageAt: r.last_message_at?.toISOString() ?? null,
          conversationId: r.conversation_id,
          status: r.status,
        })),
        nextCursor: rows.length > limit && last ? encodeCursor([last.cursor_at, last.conversation_id]) : null,
      };
    },

    /**
     * The private notes and timeline events between two instants (either open), newest
     * SIDE_LIMIT of each, oldest first: what the web interleaves with one page of messages. Also
     * the latest handover request, for the handover card, wherever it falls in the thread.
     */
    async threadSide(
      actor: Actor,
      conversationId: string,
      range: { from?: string | null; to?: string | null } = {},
    ): Promise<{
      notes: NoteView[];
      events: Array<EventView & { actorName: string | null }>;
      handover: HandoverView | null;
    }> {
      await findVisibleConversation(db, actor, conversationId);
      const within = (column: string) => (q: Knex.QueryBuilder) => {
        if (range.from) q.where(column, '>=', range.from);
        if (range.to) q.where(column, '<', range.to);
      };
      const [notes, events, handover] = await Promise.all([
        db('notes as n')
          .leftJoin('users as u', 'u.id', 'n.author_user_id')
          .where('n.conversation_id', conversationId)
          .modify(within('n.created_at'))
          .orderBy([
            { column: 'n.created_at', order: 'desc' },
            { column: 'n.id', order: 'desc' },
          ])
          .limit(SIDE_LIMIT)
          .select('n.*', 'u.name as author_name'),
        db('events as e')
          .leftJoin('users as u', 'u.id', 'e.actor_user_id')
          .where('e.conversation_id', conversationId)
          .modify(within('e.created_at'))
          .orderBy([
            { column: 'e.created_at', order: 'desc' },
            { column: 'e.id', order: 'desc' },
          ])
          .limit(SIDE_LIMIT)
          .select('e.*', 'u.name as actor_name'),
        db('events as e')
          .leftJoin('users as u', 'u.id', 'e.actor_user_id')
          .where({ 'e.conversation_id': conversationId, 'e.type': 'handover_requested' })
          .orderBy([
            { column: 'e.created_at', order: 'desc' },
            { column: 'e.id', order: 'desc' },
          ])
          .first('e.*', 'u.name as actor_name'),
      ]);
      return {
        notes: notes.reverse().map((n: Record<string, any>) => ({
          id: n.id,
          authorKind: n.author_kind,
          authorUserId: n.author_user_id,
          authorName: n.author_name ?? null,
          body: n.body,
          createdAt: n.created_at.toISOString(),
        })),
        events: events.reverse().map(toEventView),
        handover: handover ? toHandoverView(handover) : null,
      };
    },
  };
}

export type ContactsService = ReturnType<typeof createContactsService>;

function toEventView(e: Record<string, any>): EventView & { actorName: string | null } {
  return {
    id: e.id,
    type: e.type,
    actorKind: e.actor_kind,
    actorName: e.actor_name ?? null,
    data: e.data ?? {},
    at: e.created_at.toISOString(),
  };
}

function toHandoverView(e: Record<string, any>): HandoverView {
  const data = (e.data ?? {}) as Record<string, unknown>;
  const card = (data.card ?? {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' && v ? v : null);
  return {
    at: e.created_at.toISOString(),
    actorKind: e.actor_kind,
    actorName: e.actor_name ?? null,
    reason: text(data.reason),
    to: typeof data.to === 'object' && data.to !== null ? (data.to as Record<string, unknown>) : null,
    summary: text(card.summary),
    intent: text(card.intent),
    urgency: text(card.urgency),
  };
}
