/**
 * Live updates (DESIGN §1, §5 "Live updates"): after a projection write commits, its writer
 * announces what changed on the Postgres channel `kliovo_live`; every web process LISTENs and
 * fans the events out to its Server-Sent Events subscribers (api/services/live.service.ts).
 *
 * Payloads are ids and the few fields the web needs to decide who may see an event (team,
 * assignee, the notified user); never message text. Postgres refuses a NOTIFY payload of 8000
 * bytes or more, so notification titles and bodies are trimmed. Publishing happens outside the
 * write transaction and is best effort: a failed NOTIFY is logged and the write still counts
 * (the page catches up on its next load). The one exception is the hottest write, a customer
 * message (`notifyWhen`): its events are part of its one statement, which Postgres delivers at
 * commit just the same; the NOTIFY failure that could fail it, a payload over the limit, is ruled
 * out before the statement is sent.
 */
import type { Knex } from 'knex';
import { log as activityLog } from '@temporalio/activity';

export const LIVE_CHANNEL = 'kliovo_live';

/** A conversation row moved to a new version. */
export interface ConversationLiveEvent {
  type: 'conversation';
  conversationId: string;
  version: number;
  teamId: string | null;
  assigneeId: string | null;
  status: string;
}

/**
 * A message was stored or changed (status, reaction). The conversation's team and assignee ride
 * along when the writer knows them; otherwise the web looks them up once per event.
 */
export interface MessageLiveEvent {
  type: 'message';
  conversationId: string;
  messageId: string;
  teamId?: string | null;
  assigneeId?: string | null;
}

/** One notification row for one user (only that user receives it). */
export interface NotificationLiveEvent {
  type: 'notification';
  notificationId: string;
  userId: string;
  kind: string;
  title: string;
  body: string;
  conversationId: string | null;
}

/** A user's team memberships changed: the web refreshes what that user may see. */
export interface MembershipLiveEvent {
  type: 'membership';
  userId: string;
}

export type LiveEvent = ConversationLiveEvent | MessageLiveEvent | NotificationLiveEvent | MembershipLiveEvent;

/** Postgres' limit is 8000 bytes; a margin for the channel name and encoding. */
export const MAX_PAYLOAD_BYTES = 7_900;
const MAX_TITLE = 200;
const MAX_BODY = 500;

const trim = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** The JSON sent for one event, always under MAX_PAYLOAD_BYTES (null: not sendable at all). */
export function livePayload(event: LiveEvent): string | null {
  const shaped: LiveEvent =
    event.type === 'notification'
      ? { ...event, title: trim(event.title, MAX_TITLE), body: trim(event.body, MAX_BODY) }
      : event;
  let payload = JSON.stringify(shaped);
  if (Buffer.byteLength(payload) >= MAX_PAYLOAD_BYTES && shaped.type === 'notification') {
    payload = JSON.stringify({ ...shaped, title: '', body: '' });
  }
  return Buffer.byteLength(payload) < MAX_PAYLOAD_BYTES ? payload : null;
}

export type LiveWarn = (message: string, attrs: Record<string, unknown>) => void;

/**
 * NOTIFY every event in one statement (delivered in order, when the statement commits). Call it
 * after the write transaction committed, with the pool, never inside the transaction: listeners
 * would otherwise be told before the rows are visible, or about a write that rolled back.
 * Never throws.
 */
export async function publishLive(db: Knex, events: readonly LiveEvent[], warn: LiveWarn = defaultWarn): Promise<void> {
  const payloads = events.map(livePayload).filter((p): p is string => p !== null);
  if (payloads.length < events.length)
    warn('live event too large, dropped', { dropped: events.length - payloads.length });
  if (payloads.length === 0) return;
  try {
    // One JSON array parameter (Knex would spread a JS array binding into a list).
    await db.raw(
      'select pg_notify(?, t.payload) from jsonb_array_elements_text(?::jsonb) with ordinality as t(payload, n) order by t.n',
      [LIVE_CHANNEL, JSON.stringify(payloads)],
    );
  } catch (err) {
    warn('live notify failed; pages catch up on their next load', {
      error: err instanceof Error ? err.message : String(err),
      events: payloads.length,
    });
  }
}

/**
 * NOTIFY as a column of a write statement: each event goes out when its condition (SQL over the
 * statement's own parts, written by the caller) holds, in the order given, when the statement
 * commits. Saves the write its own NOTIFY round trip (issue #6). Events too large to send are
 * left out before the statement runs, as publishLive drops them.
 */
export function notifyWhen(db: Knex, events: ReadonlyArray<{ event: LiveEvent; when: string }>): Knex.Raw {
  const sendable = events.flatMap(({ event, when }) => {
    const payload = livePayload(event);
    return payload === null ? [] : [{ payload, when }];
  });
  if (sendable.length === 0) return db.raw('0 as notified');
  const rows = sendable.map(({ when }, i) => `select ?::text as payload, ${i} as n where ${when}`).join(' union all ');
  return db.raw(
    `(select count(*) from (select pg_notify(?, e.payload) from (${rows}) e order by e.n) sent) as notified`,
    [LIVE_CHANNEL, ...sendable.map((s) => s.payload)],
  );
}

/** The activity logger inside an activity; stderr elsewhere (the webhook path in the web process). */
function defaultWarn(message: string, attrs: Record<string, unknown>): void {
  try {
    activityLog.warn(message, attrs);
  } catch {
    console.warn(JSON.stringify({ level: 'warn', msg: message, ...attrs }));
  }
}

/** The conversation event for a snapshot that was just applied. */
export function conversationEvent(
  conversationId: string,
  snapshot: { version: number; teamId: string | null; assigneeId: string | null; status: string },
): ConversationLiveEvent {
  return {
    type: 'conversation',
    conversationId,
    version: snapshot.version,
    teamId: snapshot.teamId,
    assigneeId: snapshot.assigneeId,
    status: snapshot.status,
  };
}

/** The conversation event for the row as it stands (a change that did not move the version). */
export async function conversationEventFromRow(
  db: Knex | Knex.Transaction,
  conversationId: string,
): Promise<ConversationLiveEvent[]> {
  const row = await db('conversations')
    .where({ id: conversationId })
    .first('version', 'team_id', 'assignee_id', 'status');
  if (!row) return [];
  return [
    conversationEvent(conversationId, {
      version: Number(row.version),
      teamId: row.team_id ?? null,
      assigneeId: row.assignee_id ?? null,
      status: row.status,
    }),
  ];
}
