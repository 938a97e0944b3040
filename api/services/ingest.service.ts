/**
 * Turns parsed webhook events into workflow signals and delivery receipts. Messages of one contact
 * are delivered in order, different contacts in parallel; delivery statuses and watermarks are
 * applied to the messages they describe (activities/projection/delivery-status.ts explains why
 * they bypass the workflow). Resolves only when Temporal accepted every signal and every receipt
 * is written, so a failure answers non-200 and Meta redelivers (WIRE.md §1.3).
 */
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { ChannelKind, InboundEvent, InboundMessageEvent } from '../../activities/channels/types';
import { applyDeliveryStatuses, type DeliveryEvent } from '../../activities/projection/delivery-status';
import { conversationWorkflowId, type InboundMessage } from '../../workflows/conversation/contract';
import { deliverInbound, KnownRuns } from '../temporal';

interface ChannelRef {
  id: string;
  kind: ChannelKind;
}

export interface IngestDeps {
  db: Knex;
  temporal: Client;
  taskQueue: string;
  log: Logger;
  /** How long a channel lookup is cached: channels change rarely, webhooks arrive constantly. */
  channelCacheMs?: number;
}

export interface IngestResult {
  /** Customer messages accepted by Temporal. */
  delivered: number;
  /** Delivery statuses and watermarks applied (duplicates and late ones included). */
  receipts: number;
  /** Events with nothing to do: unknown channels, echoes, provider errors. */
  skipped: number;
}

/** The workflow's view of a message: the adapter's event without routing fields or provider errors. */
export function toInboundMessage(event: InboundMessageEvent): InboundMessage {
  return {
    externalId: event.externalId,
    sentAt: event.sentAt,
    contact: event.contact,
    content: event.content,
    ...(event.replyTo !== undefined && { replyTo: event.replyTo }),
    ...(event.forwarded && { forwarded: true }),
    ...(event.frequentlyForwarded && { frequentlyForwarded: true }),
    ...(event.referral !== undefined && { referral: event.referral }),
  };
}

export function createIngestService({ db, temporal, taskQueue, log, channelCacheMs = 30_000 }: IngestDeps) {
  const channelCache = new Map<string, { channel: ChannelRef | null; until: number }>();
  const knownRuns = new KnownRuns();

  async function findChannel(kind: ChannelKind, externalId: string): Promise<ChannelRef | null> {
    const key = `${kind}:${externalId}`;
    const cached = channelCache.get(key);
    if (cached && cached.until > Date.now()) return cached.channel;
    const row = await db('channels').where({ kind, external_id: externalId }).first('id', 'kind');
    const channel = row ? { id: row.id as string, kind: row.kind as ChannelKind } : null;
    channelCache.set(key, { channel, until: Date.now() + channelCacheMs });
    return channel;
  }

  async function deliverInOrder(channel: ChannelRef, messages: InboundMessageEvent[]): Promise<void> {
    // WhatsApp does not guarantee webhook order; the thread follows the provider's timestamps.
    const ordered = [...messages].sort((a, b) => a.sentAt - b.sentAt);
    for (const m of ordered) {
      await deliverInbound(temporal, { taskQueue, channel, message: toInboundMessage(m), knownRuns });
    }
  }

  return {
    async ingest(kind: ChannelKind, events: InboundEvent[]): Promise<IngestResult> {
      const byConversation = new Map<string, { channel: ChannelRef; messages: InboundMessageEvent[] }>();
      const receiptsByChannel = new Map<string, DeliveryEvent[]>();
      let skipped = 0;
      for (const event of events) {
        if (event.kind === 'error') {
          // Out-of-band errors Meta reported for the channel (WIRE.md §1.7): surfaced, never fatal.
          log.warn(
            { kind, channelExternalId: event.channelExternalId, codes: event.errors.map((e) => e.code) },
            'provider reported webhook errors',
          );
          skipped += 1;
          continue;
        }
        if (event.kind === 'echo') {
          // Our own sends come back as echoes (clientRef = our message id): already stored. A reply
          // typed in Meta Business Suite or another app (no clientRef) is not mirrored into the
          // thread yet; it would be an outbound agent message without an author user.
          log.debug(
            { kind, channelExternalId: event.channelExternalId, ours: event.clientRef !== undefined },
            'message echo ignored',
          );
          skipped += 1;
          continue;
        }
        const channel = await findChannel(kind, event.channelExternalId);
        if (!channel) {
          // Acknowledged anyway: Meta would redeliver for 7 days and nothing here can take it.
          log.warn({ kind, channelExternalId: event.channelExternalId }, 'webhook for an unknown channel ignored');
          skipped += 1;
          continue;
        }
        if (event.kind === 'status' || event.kind === 'watermark') {
          const receipts = receiptsByChannel.get(channel.id) ?? [];
          receipts.push(event);
          receiptsByChannel.set(channel.id, receipts);
          continue;
        }
        const id = conversationWorkflowId(channel.id, event.contact.key);
        const group = byConversation.get(id) ?? { channel, messages: [] };
        group.messages.push(event);
        byConversation.set(id, group);
      }
      await Promise.all([
        ...[...byConversation.values()].map((g) => deliverInOrder(g.channel, g.messages)),
        ...[...receiptsByChannel].map(([channelId, receipts]) => applyDeliveryStatuses(db, channelId, receipts)),
      ]);
      const delivered = [...byConversation.values()].reduce((n, g) => n + g.messages.length, 0);
      const receipts = [...receiptsByChannel.values()].reduce((n, r) => n + r.length, 0);
      return { delivered, receipts, skipped };
    },
  };
}

export type IngestService = ReturnType<typeof createIngestService>;
