import type { Knex } from 'knex';

/**
 * The inbound half of the channels issue (#4): what a message carries besides its content (the
 * message it quotes, forwarding, the ad that brought the customer), the customer's reaction,
 * delivery receipts, and a copy of every inbound media file (Meta's links expire; WIRE.md §2.5).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('messages', (t) => {
    // The provider id of the quoted message (WhatsApp `context.id`, Messenger `reply_to.mid`):
    // "replying to …" joins on (channel_id, external_id).
    t.text('reply_to_external_id');
    // WhatsApp `context.forwarded` (at most 5 times) / `frequently_forwarded` (more than 5).
    t.text('forwarded').checkIn(['forwarded', 'frequently']);
    // Click-to-WhatsApp / Messenger ad referral (activities/channels/types.ts InboundReferral).
    t.jsonb('referral');
    // Reactions on this message by who reacted, e.g. { "contact": "👍" }; a removal deletes the key.
    t.jsonb('reactions').notNullable().defaultTo('{}');
    // Delivery receipts (WIRE.md §1.8, §4.2); `read` implies delivered, so it sets both.
    t.timestamp('delivered_at', { useTz: true });
    t.timestamp('read_at', { useTz: true });
  });

  await knex.schema.createTable('media', (t) => {
    // Also the storage key and the id in GET /api/v1/media/:id.
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    // One file per message: a retried download finds the row it started.
    t.uuid('message_id').notNullable().unique().references('messages.id').onDelete('CASCADE');
    t.uuid('channel_id').notNullable().references('channels.id');
    // WhatsApp media id (downloadable for 7 days); null for Messenger/Instagram CDN links.
    t.text('provider_media_id');
    t.text('mime_type');
    // Hex SHA-256 of the stored bytes.
    t.text('sha256');
    t.bigInteger('size_bytes');
    t.text('storage_key').unique();
    t.text('status').notNullable().defaultTo('pending').checkIn(['pending', 'stored', 'failed']);
    // Why the last download failed (a short reason for the agent; never a token).
    t.text('error');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('media');
  await knex.schema.alterTable('messages', (t) => {
    t.dropColumns('reply_to_external_id', 'forwarded', 'referral', 'reactions', 'delivered_at', 'read_at');
  });
}
