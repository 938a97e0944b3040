/**
 * Turns parsed webhook events into workflow signals. Messages of one contact are delivered in
 * order; different contacts in parallel. Resolves only when Temporal accepted every signal.
 */
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { ChannelKind, InboundEvent, InboundMessageEvent } from '../../activities/channels/types';
import { conversationWorkflowId } from '../../workflows/conversation/contract';
import { deliverInbound } from '../temporal';

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

export function createIngestService({ db, temporal, taskQueue, log, channelCacheMs = 30_000 }: IngestDeps) {
  const channelCache = new Map<string, { channel: ChannelRef | null; until: number }>();

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
      await deliverInbound(temporal, {
        taskQueue,
        channel,
        message: { externalId: m.externalId, sentAt: m.sentAt, contact: m.contact, content: m.content },
      });
    }
  }

  return {
    async ingest(kind: ChannelKind, events: InboundEvent[]): Promise<{ delivered: number; skipped: number }> {
      const byConversation = new Map<string, { channel: ChannelRef; messages: InboundMessageEvent[] }>();
      let skipped = 0;
      for (const event of events) {
        if (event.kind !== 'message') {
          // Delivery statuses are applied with the channels issue (#4); nothing to wake a workflow for.
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
        const id = conversationWorkflowId(channel.id, event.contact.key);
        const group = byConversation.get(id) ?? { channel, messages: [] };
        group.messages.push(event);
        byConversation.set(id, group);
      }
      await Promise.all([...byConversation.values()].map((g) => deliverInOrder(g.channel, g.messages)));
      const delivered = [...byConversation.values()].reduce((n, g) => n + g.messages.length, 0);
      return { delivered, skipped };
    },
  };
}

export type IngestService = ReturnType<typeof createIngestService>;
