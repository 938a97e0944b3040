/**
 * Projection writers: the only code that writes conversation state to Postgres (DESIGN §1).
 * Every write is idempotent: messages and events carry ids chosen by the workflow, inbound
 * messages are unique per (channel, external id), and conversation rows are version-guarded.
 * What a write changed is announced on `kliovo_live` after it commits (./live.ts).
 */
import type { Knex } from 'knex';
import type { ActivityDeps } from '../deps';
import type { InboundReaction } from '../channels/types';
import { describeContent } from '../channels/describe';
import { applySnapshot, snapshotColumns, snapshotUpdate } from './conversation-row';
import { previewText } from '../channels/describe';
import { loadAiSettings } from '../ai/settings';
import type { SlaPolicy } from '../../workflows/conversation/sla';
import { recordEffects } from './effects';
import { chooseRule } from '../routing/rules';
import { openingSnapshot } from '../../workflows/conversation/snapshot';
import { conversationEvent, conversationEventFromRow, notifyWhen, publishLive, type LiveEvent } from './live';
import type {
  RecordChangeInput,
  OpenConversationInput,
  OpenConversationResult,
  OpenConversationWithMessageInput,
  OpenConversationWithMessageResult,
  RecordInboundMessageInput,
  RecordMessageFailureInput,
  RecordOutboundMessageInput,
} from './types';

export const createProjectionActivities = ({ db, sla }: Pick<ActivityDeps, 'db' | 'sla'>) => ({
  /** Ensures the contact and the conversation rows exist; a new run continues from the row's version. */
  async openConversation(input: OpenConversationInput): Promise<OpenConversationResult> {
    const live: LiveEvent[] = [];
    const { contactTags: _tags, ...result } = await db.transaction((trx) => openRow(trx, input, sla, live));
    await publishLive(db, live);
    return result;
  },

  /**
   * A new run's opening in one transaction: the rows of `openConversation`, the run's first
   * customer message with the snapshot of the state it leaves (what the workflow computes from this
   * result, snapshot.ts), and, when the AI does not answer first, the routing rule that matches it.
   * An opening had cost three local activities before its routing (issue #6: openings are a quarter
   * of steady traffic and 38% of its CPU).
   */
  async openConversationWithMessage(
    input: OpenConversationWithMessageInput,
  ): Promise<OpenConversationWithMessageResult> {
    const live: LiveEvent[] = [];
    const result = await db.transaction(async (trx) => {
      const { contactTags, ...row } = await openRow(trx, input, sla, live);
      const { message } = input;
      // The message as the workflow received it: what it stores, and from whom.
      const snapshot = openingSnapshot(row, { ...message, contact: input.contact }, input.receivedAt);
      const stored = await storeInbound(
        trx,
        { ...message, conversationId: row.conversationId, channelId: input.channelId, snapshot },
        live,
      );
      const rule =
        row.aiEnabled || !input.readRoutingRule
          ? null
          : await chooseRule(trx, {
              conversationId: row.conversationId,
              channelId: input.channelId,
              defaultTeamId: row.defaultTeamId,
              conversationTags: snapshot.tags,
              contactTags,
              intent: snapshot.intent,
            });
      return { ...row, stored, rule };
    });
    await publishLive(db, live);
    return result;
  },

  /**
   * One workflow transition: the conversation row (version-guarded), its timeline events, private
   * notes and notifications, in one transaction. Ids come from the workflow, so a retry is a no-op.
   * Reports how many receivers also get a WhatsApp alert, so the workflow skips that activity when
   * none do.
   */
  async recordChange(input: RecordChangeInput): Promise<{ whatsappAlertRecipients: number }> {
    const live: LiveEvent[] = [];
    let whatsappAlertRecipients = 0;
    await db.transaction(async (trx) => {
      const applied = input.snapshot ? await applySnapshot(trx, input.conversationId, input.snapshot) : false;
      const recorded = await recordEffects(trx, input.conversationId, input.snapshot?.version ?? null, input);
      if (applied) live.push(conversationEvent(input.conversationId, input.snapshot!));
      else if (recorded.changed) live.push(...(await conversationEventFromRow(trx, input.conversationId)));
      live.push(...recorded.notifications);
      whatsappAlertRecipients = recorded.whatsappAlertRecipients;
    });
    await publishLive(db, live);
    return { whatsappAlertRecipients };
  },

  /** The team's SLA policy, or the default one (SLA_DEFAULT_TIERS) for a team without a row. */
  async loadSlaPolicy({ teamId }: { teamId: string | null }): Promise<SlaPolicy> {
    return slaPolicyOf(db, teamId, sla.defaultTiersMs);
  },

  /**
   * Stores a customer message once, however often the webhook was delivered. A reaction is no
   * bubble of its own: it updates the message it targets (WIRE.md §1.6).
   */
  async recordInboundMessage(input: RecordInboundMessageInput): Promise<{ stored: boolean }> {
    if (input.content.type === 'reaction') {
      const live: LiveEvent[] = [];
      const stored = await db.transaction((trx) => storeInbound(trx, input, live));
      await publishLive(db, live);
      return { stored };
    }
    const visibility = { teamId: input.snapshot.teamId, assigneeId: input.snapshot.assigneeId };
    const shown = describeContent(input.content);
    // The message, the row's move and their live events in one statement: one round trip instead
    // of five (BEGIN, insert, update, COMMIT, NOTIFY) for the write of every customer message
    // (issue #6). A statement is atomic as the transaction was, and Postgres delivers its NOTIFY
    // when it commits. Both writes run whatever the outer select reads of them.
    const stored = insertInboundMessage(db, input, shown);
    const moved = snapshotUpdate(db, input.conversationId, input.snapshot, {
      preview: shown.preview,
      author: 'contact',
    }).returning('id');
    const [row] = await db
      .with('stored', stored)
      .with('moved', moved)
      .select(
        db.raw('(select id from stored) as message_id'),
        notifyWhen(db, [
          { event: conversationEvent(input.conversationId, input.snapshot), when: 'exists (select 1 from moved)' },
          {
            event: messageEvent(input.conversationId, input.messageId, visibility),
            when: 'exists (select 1 from stored)',
          },
        ]),
      );
    return { stored: row.message_id !== null };
  },

  /** Stores an outgoing message as pending, before the provider is called (STYLE §4). */
  async recordOutboundMessage(input: RecordOutboundMessageInput): Promise<void> {
    const live: LiveEvent[] = [];
    await db.transaction(async (trx) => {
      const inserted = await trx('messages')
        .insert({
          id: input.messageId,
          conversation_id: input.conversationId,
          channel_id: input.channelId,
          direction: 'outbound',
          author_kind: input.authorKind,
          author_user_id: input.authorUserId,
          type: input.content?.type ?? 'text',
          body: input.text,
          content: JSON.stringify(input.content ?? { type: 'text', text: input.text }),
          status: 'pending',
          sent_at: new Date(input.sentAt),
        })
        .onConflict('id')
        .ignore()
        .returning('id');
      const applied = await applySnapshot(trx, input.conversationId, input.snapshot, {
        preview: previewText(input.text),
        author: input.authorKind,
      });
      if (applied) live.push(conversationEvent(input.conversationId, input.snapshot));
      if (inserted[0]) {
        const { teamId, assigneeId } = input.snapshot;
        live.push({
          type: 'message',
          conversationId: input.conversationId,
          messageId: input.messageId,
          teamId,
          assigneeId,
        });
      }
    });
    await publishLive(db, live);
  },

  /** A send that exhausted its retries or was refused for good shows as failed, with the reason. */
  async recordMessageFailure(input: RecordMessageFailureInput): Promise<void> {
    const failed: Array<{ id: string; conversation_id: string }> = await db('messages')
      .where({ id: input.messageId })
      .whereNot({ status: 'failed' })
      .update({ status: 'failed', error_code: input.code, error_reason: input.reason, updated_at: db.fn.now() })
      .returning(['id', 'conversation_id']);
    // No team or assignee here: the web looks them up for this event.
    await publishLive(
      db,
      failed.map((m) => ({ type: 'message', conversationId: m.conversation_id, messageId: m.id })),
    );
  },
});

/** The rows of an opening; the contact's tags are for the routing rule. */
async function openRow(
  trx: Knex.Transaction,
  input: OpenConversationInput,
  sla: ActivityDeps['sla'],
  live: LiveEvent[],
): Promise<OpenConversationResult & { contactTags: string[] }> {
  const contact = await upsertContact(trx, input);
  const inserted = await trx('conversations')
    .insert({
      workflow_id: input.workflowId,
      channel_id: input.channelId,
      contact_id: contact.id,
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
    live.push(conversationEvent(inserted[0].id, input.snapshot));
  }
  const row = await trx('conversations as cv')
    .join('channels as ch', 'ch.id', 'cv.channel_id')
    .where('cv.workflow_id', input.workflowId)
    .first('cv.id', 'cv.version', 'ch.default_team_id');
  const { settings } = await loadAiSettings(trx);
  const defaultTeamId: string | null = row.default_team_id ?? null;
  return {
    conversationId: row.id,
    contactId: contact.id,
    version: Number(row.version),
    defaultTeamId,
    aiEnabled: settings.enabled,
    slaPolicy: await slaPolicyOf(trx, defaultTeamId, sla.defaultTiersMs),
    contactTags: contact.tags ?? [],
  };
}

/**
 * A customer message and the row's move to its snapshot, in the caller's transaction, once however
 * often it is delivered; a reaction updates the message it targets instead (WIRE.md §1.6). Their
 * live events go to `live`, to publish once the transaction commits. True when something was stored.
 */
async function storeInbound(
  trx: Knex.Transaction,
  input: RecordInboundMessageInput,
  live: LiveEvent[],
): Promise<boolean> {
  const { conversationId, content, snapshot } = input;
  const visibility = { teamId: snapshot.teamId, assigneeId: snapshot.assigneeId };
  if (content.type === 'reaction') {
    const targets = await applyContactReaction(trx, conversationId, input.channelId, content);
    if (await applySnapshot(trx, conversationId, snapshot)) live.push(conversationEvent(conversationId, snapshot));
    live.push(...targets.map((messageId) => messageEvent(conversationId, messageId, visibility)));
    return targets.length > 0;
  }
  const shown = describeContent(content);
  const [inserted] = await insertInboundMessage(trx, input, shown);
  if (await applySnapshot(trx, conversationId, snapshot, { preview: shown.preview, author: 'contact' }))
    live.push(conversationEvent(conversationId, snapshot));
  if (inserted) live.push(messageEvent(conversationId, input.messageId, visibility));
  return inserted !== undefined;
}

/** A customer message, once per (channel, provider id): `returning` is empty for a redelivery. */
function insertInboundMessage(
  db: Knex | Knex.Transaction,
  input: Omit<RecordInboundMessageInput, 'snapshot'>,
  shown: ReturnType<typeof describeContent>,
): Knex.QueryBuilder {
  return db('messages')
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
      reply_to_external_id: input.replyTo ?? null,
      forwarded: input.frequentlyForwarded ? 'frequently' : input.forwarded ? 'forwarded' : null,
      referral: input.referral ? JSON.stringify(input.referral) : null,
    })
    .onConflict(db.raw('(channel_id, external_id) where external_id is not null'))
    .ignore()
    .returning('id');
}

function messageEvent(
  conversationId: string,
  messageId: string,
  visibility: { teamId: string | null; assigneeId: string | null },
): LiveEvent {
  return { type: 'message', conversationId, messageId, ...visibility };
}

/**
 * The customer's reaction on a message of this conversation: `{ contact: '👍' }`, the key removed
 * when the reaction is (`emoji: null`). Setting a value is idempotent; a target we never stored
 * (too old, or sent by another tool) changes nothing. Returns the ids of the messages it changed.
 */
async function applyContactReaction(
  trx: Knex.Transaction,
  conversationId: string,
  channelId: string,
  reaction: InboundReaction,
): Promise<string[]> {
  const reactions =
    reaction.emoji === null
      ? trx.raw(`reactions - 'contact'`)
      : trx.raw(`reactions || jsonb_build_object('contact', ?::text)`, [reaction.emoji]);
  const updated: Array<{ id: string }> = await trx('messages')
    .where({ conversation_id: conversationId, channel_id: channelId, external_id: reaction.targetExternalId })
    .update({ reactions, updated_at: trx.fn.now() })
    .returning('id');
  return updated.map((m) => m.id);
}

async function upsertContact(
  trx: Knex.Transaction,
  input: OpenConversationInput,
): Promise<{ id: string; tags: string[] | null }> {
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
    .returning(['id', 'tags']);
  return rows[0];
}

async function slaPolicyOf(
  db: Knex | Knex.Transaction,
  teamId: string | null,
  defaultTiersMs: ActivityDeps['sla']['defaultTiersMs'],
): Promise<SlaPolicy> {
  const row = teamId ? await db('sla_policies').where({ team_id: teamId }).first() : undefined;
  if (!row) return { tiersMs: [...defaultTiersMs], requeueAtPriority: false };
  return {
    tiersMs: [row.standard_seconds * 1000, row.priority_seconds * 1000, row.manager_seconds * 1000],
    requeueAtPriority: row.requeue_at_priority,
  };
}
