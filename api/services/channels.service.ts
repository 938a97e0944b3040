/**
 * Channels as staff see them (DESIGN §2, §4): the list (id, kind, name; credentials never leave
 * the server), a WhatsApp channel's approved templates for the composer, and a template sync from
 * the Graph API (owners and admins: it is channel management). Templates are reference data synced
 * from Meta, not conversation state, so the sync writes `message_templates` directly.
 */
import type { Knex } from 'knex';
import type { GraphOptions } from '../../activities/channels/meta-messaging';
import {
  listApprovedTemplates,
  syncTemplates,
  TemplateSyncError,
  type PickableTemplate,
  type SyncResult,
} from '../../activities/channels/templates';
import { HttpError, notFound } from '../http/errors';
import { isUuid, requireManager } from './access';
import type { Actor } from './auth.service';

export interface ChannelView {
  id: string;
  kind: 'whatsapp' | 'messenger' | 'instagram';
  name: string;
}

export interface ChannelsServiceDeps {
  db: Knex;
  /** META_GRAPH_BASE_URL and META_GRAPH_VERSION (the fake Graph in tests and the demo). */
  graph: GraphOptions;
}

export function createChannelsService({ db, graph }: ChannelsServiceDeps) {
  async function findChannel(channelId: string): Promise<ChannelView> {
    if (!isUuid(channelId)) throw notFound('channel not found');
    const row = await db('channels').where({ id: channelId }).first('id', 'kind', 'name');
    if (!row) throw notFound('channel not found');
    return { id: row.id, kind: row.kind, name: row.name };
  }

  return {
    /** Every channel, for any signed-in staff member: ids, kinds and names only. */
    async listChannels(_actor: Actor): Promise<{ data: ChannelView[]; nextCursor: null }> {
      const rows = await db('channels')
        .orderBy([{ column: 'name' }, { column: 'id' }])
        .select('id', 'kind', 'name');
      return { data: rows.map((r) => ({ id: r.id, kind: r.kind, name: r.name })), nextCursor: null };
    },

    /** The channel's APPROVED templates with their body parameter counts (none for Messenger/Instagram). */
    async listTemplates(_actor: Actor, channelId: string): Promise<{ data: PickableTemplate[]; nextCursor: null }> {
      const channel = await findChannel(channelId);
      const data = channel.kind === 'whatsapp' ? await listApprovedTemplates(db, channel.id) : [];
      return { data, nextCursor: null };
    },

    /** Reads the channel's templates from Meta and stores them (owners and admins). */
    async syncTemplates(actor: Actor, channelId: string): Promise<SyncResult> {
      requireManager(actor, 'sync message templates');
      const channel = await findChannel(channelId);
      if (channel.kind !== 'whatsapp') {
        throw new HttpError('bad_request', 'only WhatsApp channels have message templates');
      }
      try {
        return await syncTemplates(db, graph, channel.id);
      } catch (err) {
        if (!(err instanceof TemplateSyncError)) throw err;
        if (err.kind === 'config') throw new HttpError('bad_request', err.message);
        // Meta refused or is unavailable: a 503 with its (redacted) words, so an admin can act.
        throw new HttpError('unavailable', `the template sync failed: ${err.message}`);
      }
    },
  };
}

export type ChannelsService = ReturnType<typeof createChannelsService>;
