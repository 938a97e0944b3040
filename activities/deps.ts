/**
 * What activities need from the outside world, passed in once by workers/main.ts (or a test).
 * No module-level clients and no process.env below this line (STYLE §4).
 */
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import type { AiConfig } from './ai/types';
import type { ChannelAdapter, ChannelKind } from './channels/types';
import type { MediaStorage } from './media/storage';
import type { OutboundOptions } from './channels/send.activities';

export type ChannelRegistry = Readonly<Record<ChannelKind, ChannelAdapter | undefined>>;

export interface ActivityDeps {
  db: Knex;
  channels: ChannelRegistry;
  ai: AiConfig;
  /** The default SLA policy's tiers in ms (SLA_DEFAULT_TIERS), for teams without their own. */
  sla: { defaultTiersMs: readonly [number, number, number] };
  /** For activities that signal other workflows (the team queues); task queue of those workflows. */
  temporal: { client: Client; taskQueue: string };
  /** Where inbound media files are copied (MEDIA_DIR). */
  media: MediaStorage;
  /** Outbound pacing (WIRE.md §3.3) and the agents' WhatsApp alert template; defaults when absent. */
  outbound?: OutboundOptions;
}
