/**
 * Projection writers: the only code that writes conversation state to Postgres (DESIGN §1).
 * Every write is idempotent: messages and events carry ids chosen by the workflow, inbound
 * messages are unique per (channel, external id), and conversation rows are version-guarded.
 */
import type { Knex } from 'knex';
import type { ActivityDeps } from '../deps';
import type { InboundContent } from '../channels/types';
import { applySnapshot, preview, snapshotColumns } from './conversation-row';
import type {
  OpenConversationInput,
  OpenConversationResult,
  RecordInboundMessageInput,
  RecordMessageFailureInput,
  RecordOutboundMessageInput,
} from './types';

/** What the thread and the list show for a message that may not be text. */
export function describeContent(content: InboundContent): { type: string; body: string | null; preview: string } {
  switch (content.type) {
    case 'text':
      return { type: 'text', body: content.text, preview: preview(content.text) };
    case 'unsupported':
      return { type: 'unsupported', body: null, preview: `[${content.providerType} message]` };
  }
}

export const createProjectionActivities = ({ db }: Pick<ActivityDeps, 'db'>) => ({
  /** Ensures the contact and the conversation rows exist; a new run continues from the row's version. */
  async openConversation(input: OpenConversationInput): Promise<OpenConversationResult> {
    return db.transaction(async (trx) => {
      const contactId = await upsertContact(trx, input);
      const inserted = await trx('conversations')
        .insert({
          workflow_id: input.workflowId,
          channel_id: input.channelId,
          contact_id: contactId,
          ...snapshotColumns(input.snapshot),
        })
        .onConflict('workflow_id')
        .ignore()
        .returning(['id']);
      if (inserted[0]) {
        await trx('events')
          .insert({
            id: input.createdEventId,
            conversation_id: inserted[0].id,
            type: 'created',
            actor_kind: 'contact',
            data: {},
            version: input.snapshot.version,
          })
          .onConflict('id')
          .ignore();
      }
      const row = await trx('conversations as cv')
        .join('channels as ch', 'ch.id', 'cv.channel_id')
        .where('cv.workflow_id', input.workflowId)
        .first('cv.id', 'cv.version', 'ch.default_team_id');
      return {
        conversationId: row.id,
        contactId,
        version: Number(row.version),
        defaultTeamId: row.default_team_id ?? null,
      };
    });
  },

  /** Stores a customer message once, however often the webhook was delivered. */
  async recordInboundMessage(input: RecordInboundMessageInput): Promise<{ stored: boolean }> {
    const shown = describeContent(input.content);
    return db.transaction(async (trx) => {
      const inserted = await trx('messages')
        .insert({
          id: input.messageId,
          conversation_id: input.conversationId,
          channel_id: input.channelId,
          external_id: input.externalId,
          direction: 'inbound',
          author_kind: 'contact',
          type: shown.type,
          body: shown.body,
          content: JSON.stringify(input.content),
          status: 'received',
          sent_at: new Date(input.sentAt),
        })
        .onConflict(db.raw('(channel_id, external_id) where external_id is not null'))
        .ignore()
        .returning(['id']);
      await applySnapshot(trx, input.conversationId, input.snapshot, { preview: shown.preview, author: 'contact' });
      return { stored: inserted.length > 0 };
    });
  },

  /** Stores an outgoing message as pending, before the provider is called (STYLE §4). */
  async recordOutboundMessage(input: RecordOutboundMessageInput): Promise<void> {
    await db.transaction(async (trx) => {
      await trx('messages')
        .insert({
          id: input.messageId,
          conversation_id: input.conversationId,
          channel_id: input.channelId,
          direction: 'outbound',
          author_kind: input.authorKind,
          author_user_id: input.authorUserId,
          type: 'text',
          body: input.text,
          content: JSON.stringify({ type: 'text', text: input.text }),
          status: 'pending',
          sent_at: new Date(input.sentAt),
        })
        .onConflict('id')
        .ignore();
      await applySnapshot(trx, input.conversationId, input.snapshot, {
        preview: preview(input.text),
        author: input.authorKind,
      });
    });
  },

  /** A send that exhausted its retries or was refused for good shows as failed, with the reason. */
  async recordMessageFailure(input: RecordMessageFailureInput): Promise<void> {
    await db('messages')
      .where({ id: input.messageId })
      .whereNot({ status: 'failed' })
      .update({ status: 'failed', error_code: input.code, error_reason: input.reason, updated_at: db.fn.now() });
  },
});

async function upsertContact(trx: Knex.Transaction, input: OpenConversationInput): Promise<string> {
  const { contact } = input;
  const rows = await trx('contacts')
    .insert({
      channel_id: input.channelId,
      external_key: contact.key,
      wa_id: contact.waId ?? null,
      display_name: contact.displayName ?? null,
    })
    .onConflict(['channel_id', 'external_key'])
    .merge({
      wa_id: trx.raw('coalesce(excluded.wa_id, contacts.wa_id)'),
      display_name: trx.raw('coalesce(excluded.display_name, contacts.display_name)'),
      updated_at: trx.fn.now(),
    })
    .returning(['id']);
  return rows[0].id;
}
