/**
 * Sends a stored outbound message through its channel's adapter (STYLE §4-5). The workflow stores
 * the message first (type and content JSON: a text, a template, later media or interactive ones);
 * this activity turns that content into the adapter's OutboundMessage, checks the channel's reply
 * window again at send time (a message that waited in retries must not go out after it closed),
 * tags Messenger/Instagram replies between 24 hours and 7 days as HUMAN_AGENT, checks a template
 * against the synced ones, waits for its slot under the number's pacing (WIRE.md §3.3), and sends.
 *
 * Idempotent: a retry that finds the message already carrying a provider id returns it instead of
 * sending twice. Permanent refusals (closed window, undeliverable, bad template) throw a
 * non-retryable ApplicationFailure whose message is the reason the agent reads; transient ones
 * (throughput 130429, pair rate 131056, 5xx, network) throw plain errors that Temporal retries.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Knex } from 'knex';
import type { ActivityDeps } from '../deps';
import { publishLive } from '../projection/live';
import { closedWindowMessage, replyWindow } from '../../workflows/conversation/contract';
import { ErrorType } from '../../workflows/shared/errors';
import { createPacer, PacingDelayError, type Pacer, type PacingLimits } from './pacer';
import { checkTemplate } from './templates';
import { ChannelSendError, type ChannelKind, type OutboundMessage, type ReplyPolicy } from './types';

export interface SendChannelMessageInput {
  messageId: string;
}

export interface SendChannelMessageResult {
  externalId: string;
}

/** Outbound settings from the worker's configuration (workers/config.ts). */
export interface OutboundOptions {
  /** Per-number throughput and per-recipient pair rate (WIRE.md §3.3); DEFAULT_PACING when absent. */
  pacing?: Partial<PacingLimits>;
  /** AGENT_NOTIFY_TEMPLATE: the utility template agents' WhatsApp alerts use (default agent_alert, en). */
  agentNotifyTemplate?: { name: string; language: string };
}

/** The addressing the send decides; everything else of a message is its stored content. */
type Addressing = 'to' | 'clientRef' | 'replyToExternalId' | 'tag';

/**
 * What a stored outbound message says, as `messages.content` JSON: an OutboundMessage without its
 * addressing. Replies store `text` or `template` today; media, interactive and reaction contents
 * are carried through unchanged when the workflow starts storing them.
 */
export type OutboundContent = OutboundMessage extends infer M
  ? M extends OutboundMessage
    ? Omit<M, Addressing>
    : never
  : never;

export type SendDeps = Pick<ActivityDeps, 'db' | 'channels' | 'outbound'> & {
  /** Shared by every sender of one worker (replies and agent alerts use the same numbers). */
  pacer?: Pacer;
  clock?: () => number;
};

export const createSendActivities = (deps: SendDeps) => {
  const { db, channels } = deps;
  const pacer = deps.pacer ?? createPacer(deps.outbound?.pacing);
  const clock = deps.clock ?? Date.now;

  return {
    async sendChannelMessage({ messageId }: SendChannelMessageInput): Promise<SendChannelMessageResult> {
      const row = await db('messages as m')
        .join('conversations as cv', 'cv.id', 'm.conversation_id')
        .join('contacts as ct', 'ct.id', 'cv.contact_id')
        .join('channels as ch', 'ch.id', 'm.channel_id')
        .where('m.id', messageId)
        .first(
          'm.external_id',
          'm.conversation_id',
          'm.type',
          'm.body',
          'm.content',
          'm.author_kind',
          'm.status',
          'cv.last_inbound_at',
          db.raw(
            `(select max(i.sent_at) from messages i where i.conversation_id = m.conversation_id and i.direction = 'inbound') as last_inbound_message_at`,
          ),
          'ch.id as channel_id',
          'ch.kind',
          'ch.external_id as channel_external_id',
          'ch.credentials',
          'ct.wa_id',
          'ct.external_key',
        );
      if (!row) throw ApplicationFailure.nonRetryable(`message ${messageId} is not stored`, ErrorType.InvalidInput);
      if (row.external_id) return { externalId: row.external_id };

      const kind = row.kind as ChannelKind;
      const adapter = channels[kind];
      if (!adapter) throw permanent(`There is no ${String(row.kind)} adapter in this build.`);

      const content = storedContent(row.type, row.content, row.body);
      const lastInboundAt = latest(row.last_inbound_at, row.last_inbound_message_at);
      const policy = adapter.replyPolicy(lastInboundAt, clock());
      const tag = windowCheck(kind, content, policy, lastInboundAt, clock(), row.author_kind);

      let message = toOutboundMessage(content, {
        to: row.wa_id ?? row.external_key,
        clientRef: messageId,
        ...(tag && { tag }),
      });
      if (message.type === 'template') {
        const parameters = Array.isArray(message.parameters) ? message.parameters : [];
        const check = await checkTemplate(db, row.channel_id, {
          name: message.name,
          language: message.language,
          parameters,
        });
        if (!check.ok) throw permanent(check.reason, { category: 'template' });
        message = { ...message, parameters: check.parameters };
        // The thread shows what the customer reads, once the synced template says it.
        if (check.body !== null && check.body !== row.body) {
          await db('messages')
            .where({ id: messageId })
            .whereNull('external_id')
            .update({ body: check.body, updated_at: db.fn.now() });
        }
      }

      const claim = await claimSend(db, messageId);
      if (claim.sentAs) return { externalId: claim.sentAs };
      let sent = false;
      try {
        // Only WhatsApp documents per-number and per-user limits (WIRE.md §3.3).
        if (kind === 'whatsapp') await pacer.acquire(row.channel_id, message.to);
        const result = await adapter.send(
          { externalId: row.channel_external_id, accessToken: row.credentials?.accessToken ?? '' },
          message,
        );
        sent = true;
        // The customer has it now: storing the provider id is what stops a retry from sending it
        // again, so ride out a short database outage here rather than fail the attempt.
        await withRetries(() =>
          db('messages').where({ id: messageId }).whereNull('external_id').update({
            external_id: result.externalId,
            status: 'sent',
            send_claimed_until: null,
            updated_at: db.fn.now(),
          }),
        );
        // The thread's tick turns to "sent" live.
        await publishLive(db, [{ type: 'message', conversationId: row.conversation_id, messageId }]);
        return result;
      } catch (err) {
        // Not sent (as far as we know): the next attempt may go at once. Sent but not stored: the
        // claim stays until it lapses, so no retry sends it again in the meantime.
        if (!sent) {
          await db('messages')
            .where({ id: messageId })
            .whereNull('external_id')
            .update({ send_claimed_until: null })
            .catch(() => undefined);
        }
        if (err instanceof ChannelSendError && err.permanent) {
          throw permanent(err.reason, { code: err.providerCode, category: err.category, detail: err.message });
        }
        // Too long a queue for this attempt: Temporal's retry backs off and comes back.
        if (err instanceof PacingDelayError) throw new Error(err.message);
        throw err;
      }
    },
  };
};

/**
 * How long an attempt owns a send: past the activity's 30 s start-to-close (after which Temporal
 * starts the next attempt) and the Graph API's 10 s request timeout, so only an attempt that died
 * mid-send leaves a claim behind, and it lapses before the retries run out.
 */
const SEND_CLAIM_SECONDS = 45;

/**
 * Takes the message's send claim, or learns that another attempt already sent it (its provider
 * id). An attempt that finds a live claim fails retryably: the retry finds the message sent, or
 * the claim lapsed with the attempt that held it.
 */
async function claimSend(db: Knex, messageId: string): Promise<{ sentAs?: string }> {
  const claimed = await db('messages')
    .where({ id: messageId })
    .whereNull('external_id')
    .where((q) => q.whereNull('send_claimed_until').orWhere('send_claimed_until', '<', db.fn.now()))
    .update({ send_claimed_until: db.raw(`now() + make_interval(secs => ?)`, [SEND_CLAIM_SECONDS]) });
  if (claimed === 1) return {};
  const now = await db('messages').where({ id: messageId }).first('external_id');
  if (now?.external_id) return { sentAs: now.external_id as string };
  throw new Error(`message ${messageId} is being sent by another attempt; retrying once it has finished`);
}

/** Retries a database write for up to about 20 s (within the activity's 30 s), backing off. */
async function withRetries<T>(write: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (let delay = 200; ; delay = Math.min(delay * 2, 2_000)) {
    try {
      return await write();
    } catch (err) {
      if (Date.now() + delay > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/**
 * Re-checks the reply window with the adapter's rule at send time and returns the tag to send with.
 * A free-form message outside the window, or a template on a channel without templates, is refused
 * for good; so is an automated (AI) message that would need the HUMAN_AGENT tag, which Meta
 * reserves for replies written by people (WIRE.md §4.5).
 */
function windowCheck(
  kind: ChannelKind,
  content: OutboundContent,
  policy: ReplyPolicy,
  lastInboundAt: number | null,
  now: number,
  authorKind: string,
): ReplyPolicy['tag'] {
  if (content.type === 'template') {
    if (!policy.templates) throw permanent(`${kind} has no message templates.`, { category: 'invalid_request' });
    return undefined;
  }
  if (!policy.freeForm) {
    const reason =
      closedWindowMessage(kind, replyWindow(kind, lastInboundAt, now)) ??
      policy.reason ??
      'The reply window is closed.';
    throw ApplicationFailure.create({
      message: reason,
      type: ErrorType.ReplyWindowClosed,
      nonRetryable: true,
      details: [{ code: null, category: 'window_closed' }],
    });
  }
  if (policy.tag && authorKind !== 'agent') {
    throw ApplicationFailure.create({
      message: 'More than 24 hours since the customer last wrote: only a person may reply now (HUMAN_AGENT).',
      type: ErrorType.ReplyWindowClosed,
      nonRetryable: true,
      details: [{ code: null, category: 'window_closed' }],
    });
  }
  return policy.tag;
}

/**
 * Builds the adapter's message from stored content: one case per content type, so new ones
 * (media, interactive, reactions) plug in here. Addressing always comes from the send.
 */
export function toOutboundMessage(
  content: OutboundContent,
  addressing: Pick<OutboundMessage, Addressing>,
): OutboundMessage {
  switch (content.type) {
    case 'text':
      return { ...addressing, type: 'text', text: content.text };
    case 'template':
      return {
        ...addressing,
        type: 'template',
        name: content.name,
        language: content.language,
        ...(content.parameters !== undefined && { parameters: content.parameters }),
        ...(content.header !== undefined && { header: content.header }),
        ...(content.buttons !== undefined && { buttons: content.buttons }),
      };
    case 'media':
    case 'interactive_buttons':
    case 'interactive_list':
    case 'reaction':
      return { ...content, ...addressing } as OutboundMessage;
  }
}

/**
 * The stored content; rows written before content carried a type (or with an empty one) send
 * their body as text.
 */
function storedContent(type: unknown, content: unknown, body: unknown): OutboundContent {
  if (isRecord(content) && typeof content.type === 'string') {
    if (content.type === 'text')
      return { type: 'text', text: typeof content.text === 'string' ? content.text : String(body ?? '') };
    if (content.type === type || type === undefined) return content as OutboundContent;
  }
  return { type: 'text', text: typeof body === 'string' ? body : '' };
}

function latest(...times: unknown[]): number | null {
  const ms = times
    .map((t) =>
      t instanceof Date ? t.getTime() : typeof t === 'string' || typeof t === 'number' ? new Date(t).getTime() : NaN,
    )
    .filter((t) => Number.isFinite(t));
  return ms.length > 0 ? Math.max(...ms) : null;
}

function permanent(
  reason: string,
  extra: { code?: number | undefined; category?: string; detail?: string } = {},
): ApplicationFailure {
  return ApplicationFailure.create({
    message: reason,
    type: ErrorType.ChannelPermanentFailure,
    nonRetryable: true,
    details: [
      {
        code: extra.code ?? null,
        category: extra.category ?? 'unknown',
        ...(extra.detail && { detail: extra.detail }),
      },
    ],
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
