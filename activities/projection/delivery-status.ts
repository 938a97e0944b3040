/**
 * Delivery receipts for the messages we sent: WhatsApp `statuses[]` (WIRE.md §1.8), Messenger
 * delivery/read watermarks and Instagram `messaging_seen` (WIRE.md §4.2-4.3).
 *
 * Why this write bypasses the conversation workflow (DESIGN §1 makes the workflow the source of
 * truth for *conversation* state): a delivery status is a fact about one message, not conversation
 * state: nothing the workflow decides depends on it ("status webhooks need not wake the
 * workflow"). Meta sends about three statuses per outbound message, so routing them through
 * the workflow would triple its history for nothing. The update is forward-only and idempotent,
 * so webhook order, batching and redelivery do not matter:
 *
 *   pending < sent < delivered < read;  failed only from pending or sent;  never backwards.
 *
 * `read` implies delivered (Meta sends only `read` when the customer is in the chat). Rows are
 * matched by (channel_id, external_id), the provider id the send stored; a status for an id we
 * do not know (sent before a restore, or by another tool on the same number) changes nothing.
 */
import type { Knex } from 'knex';
import type { InboundStatusEvent, InboundWatermarkEvent } from '../channels/types';
import { publishLive, type LiveEvent } from './live';

/** What a `messages.status` of an outbound message can be. */
export type OutboundStatus = 'pending' | 'sent' | 'delivered' | 'read' | 'failed';
export type ReceiptStatus = InboundStatusEvent['status'];

const RANK: Record<Exclude<OutboundStatus, 'failed'>, number> = { pending: 0, sent: 1, delivered: 2, read: 3 };

/**
 * The statuses a message may move from to `incoming`: every lower rung of the ladder for
 * sent/delivered/read (never from failed), and only pending or sent for failed.
 */
export function advancesFrom(incoming: ReceiptStatus): OutboundStatus[] {
  if (incoming === 'failed') return ['pending', 'sent'];
  const rank = RANK[incoming];
  return (Object.keys(RANK) as (keyof typeof RANK)[]).filter((s) => RANK[s] < rank);
}

/** The status after applying `incoming` to a message at `current` (pure; the SQL below does the same). */
export function nextStatus(current: OutboundStatus, incoming: ReceiptStatus): OutboundStatus {
  return advancesFrom(incoming).includes(current) ? incoming : current;
}

export type DeliveryEvent = InboundStatusEvent | InboundWatermarkEvent;

type Moved = Array<{ id: string; conversation_id: string }>;

/**
 * Applies receipts of one channel in order, each as one guarded UPDATE, then announces the moved
 * messages on `kliovo_live` (./live.ts). Returns how many rows moved (0 for duplicates, late
 * receipts and unknown ids).
 */
export async function applyDeliveryStatuses(
  db: Knex,
  channelId: string,
  events: readonly DeliveryEvent[],
): Promise<{ updated: number }> {
  const moved = new Map<string, string>();
  let updated = 0;
  for (const event of events) {
    const rows =
      event.kind === 'status' ? await applyStatus(db, channelId, event) : await applyWatermark(db, channelId, event);
    updated += rows.length;
    for (const row of rows) moved.set(row.id, row.conversation_id);
  }
  if (moved.size > 0) await publishLive(db, await messageEvents(db, moved));
  return { updated };
}

/** One event per moved message, with its conversation's team and assignee for the web's filter. */
async function messageEvents(db: Knex, moved: Map<string, string>): Promise<LiveEvent[]> {
  const conversations = new Map<string, { team_id: string | null; assignee_id: string | null }>();
  try {
    const rows = await db('conversations')
      .whereIn('id', [...new Set(moved.values())])
      .select('id', 'team_id', 'assignee_id');
    for (const row of rows) conversations.set(row.id, row);
  } catch {
    // Best effort like the NOTIFY itself: without them the web looks the conversation up.
  }
  return [...moved].map(([messageId, conversationId]) => {
    const cv = conversations.get(conversationId);
    return {
      type: 'message',
      conversationId,
      messageId,
      ...(cv && { teamId: cv.team_id, assigneeId: cv.assignee_id }),
    };
  });
}

function receiptColumns(db: Knex, status: ReceiptStatus, at: number, error?: InboundStatusEvent['error']) {
  const when = new Date(at);
  const columns: Record<string, unknown> = { status, updated_at: db.fn.now() };
  if (status === 'delivered' || status === 'read') {
    columns.delivered_at = db.raw('coalesce(delivered_at, ?)', [when]);
  }
  if (status === 'read') columns.read_at = db.raw('coalesce(read_at, ?)', [when]);
  if (status === 'failed') {
    columns.error_code = error?.code ?? null;
    columns.error_reason = error ? error.details || error.title || 'not delivered' : 'not delivered';
  }
  return columns;
}

async function applyStatus(db: Knex, channelId: string, event: InboundStatusEvent): Promise<Moved> {
  return db('messages')
    .where({ channel_id: channelId, external_id: event.externalId, direction: 'outbound' })
    .whereIn('status', advancesFrom(event.status))
    .update(receiptColumns(db, event.status, event.at, event.error))
    .returning(['id', 'conversation_id']);
}

/**
 * Every outbound message of the contact's conversation sent at or before `upTo`. Only messages
 * the provider accepted (an external id is stored): a send still in flight is left to the send
 * activity, which records its provider id and `sent` in one write.
 */
async function applyWatermark(db: Knex, channelId: string, event: InboundWatermarkEvent): Promise<Moved> {
  const conversations = db('conversations as cv')
    .join('contacts as ct', 'ct.id', 'cv.contact_id')
    .where({ 'cv.channel_id': channelId, 'ct.channel_id': channelId, 'ct.external_key': event.contactKey })
    .select('cv.id');
  return db('messages')
    .where({ channel_id: channelId, direction: 'outbound' })
    .whereIn('conversation_id', conversations)
    .whereNotNull('external_id')
    .where('sent_at', '<=', new Date(event.upTo))
    .whereIn('status', advancesFrom(event.status))
    .update(receiptColumns(db, event.status, event.at))
    .returning(['id', 'conversation_id']);
}
