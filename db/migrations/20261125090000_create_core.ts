import type { Knex } from 'knex';

/**
 * The projection of DESIGN §2 that the first slice needs. The workflow owns conversation state;
 * these tables are written by idempotent activities, so every uniqueness rule is a constraint.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('create extension if not exists pgcrypto');
  await knex.raw('create extension if not exists citext');

  await knex.schema.createTable('users', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.specificType('email', 'citext').notNullable().unique();
    t.text('name').notNullable();
    t.text('password_hash').notNullable();
    t.text('role').notNullable().checkIn(['owner', 'admin', 'agent']);
    t.text('availability').notNullable().defaultTo('offline').checkIn(['online', 'away', 'offline']);
    t.integer('capacity').notNullable().defaultTo(10).checkPositive();
    t.text('whatsapp_number');
    t.timestamp('disabled_at', { useTz: true });
    t.timestamps(true, true);
  });

  await knex.schema.createTable('teams', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('name').notNullable().unique();
    t.timestamps(true, true);
  });

  await knex.schema.createTable('team_members', (t) => {
    t.uuid('team_id').notNullable().references('teams.id').onDelete('CASCADE');
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.boolean('is_lead').notNullable().defaultTo(false);
    t.primary(['team_id', 'user_id']);
    t.index(['user_id']);
  });

  await knex.schema.createTable('sessions', (t) => {
    // sha256 of the cookie value: a leaked table does not leak usable sessions.
    t.text('id').primary();
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['user_id']);
  });

  await knex.schema.createTable('api_tokens', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('token_hash').notNullable().unique();
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_used_at', { useTz: true });
  });

  await knex.schema.createTable('channels', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('kind').notNullable().checkIn(['whatsapp', 'messenger', 'instagram']);
    t.text('name').notNullable();
    // WhatsApp phone_number_id, Messenger page id or Instagram account id: webhooks route on it.
    t.text('external_id').notNullable();
    // Access tokens and the like; read only by activities, never sent to browsers.
    t.jsonb('credentials').notNullable().defaultTo('{}');
    // Where a new conversation waits until routing (issue #3) decides otherwise.
    t.uuid('default_team_id').references('teams.id');
    t.timestamps(true, true);
    t.unique(['kind', 'external_id']);
  });

  await knex.schema.createTable('contacts', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('channel_id').notNullable().references('channels.id');
    // The identity a conversation is keyed on (WhatsApp: BSUID when present, else wa_id).
    t.text('external_key').notNullable();
    t.text('wa_id');
    t.text('display_name');
    t.specificType('tags', 'text[]').notNullable().defaultTo('{}');
    t.jsonb('attributes').notNullable().defaultTo('{}');
    t.timestamps(true, true);
    t.unique(['channel_id', 'external_key']);
  });

  await knex.schema.createTable('conversations', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('workflow_id').notNullable().unique();
    t.uuid('channel_id').notNullable().references('channels.id');
    t.uuid('contact_id').notNullable().references('contacts.id');
    t.text('status').notNullable().checkIn(['bot', 'queued', 'assigned', 'pending', 'snoozed', 'resolved']);
    t.text('priority').notNullable().defaultTo('normal').checkIn(['normal', 'high', 'urgent']);
    t.smallint('escalation_level').notNullable().defaultTo(0);
    t.uuid('team_id').references('teams.id');
    t.uuid('assignee_id').references('users.id');
    t.specificType('tags', 'text[]').notNullable().defaultTo('{}');
    t.timestamp('waiting_since', { useTz: true });
    t.timestamp('last_message_at', { useTz: true });
    t.timestamp('last_inbound_at', { useTz: true });
    t.text('last_message_preview');
    t.text('last_message_author');
    // The workflow's state version: a row only ever moves to a higher one (DESIGN §1).
    t.bigInteger('version').notNullable();
    t.timestamps(true, true);
    t.index(['contact_id']);
  });
  // The inbox list: urgency first, then the oldest waiting (keyset pagination walks this index).
  await knex.raw(
    'create index conversations_inbox_idx on conversations (escalation_level desc, last_message_at desc, id desc)',
  );

  await knex.schema.createTable('messages', (t) => {
    // Chosen by the workflow (uuid4) so a retried activity writes the same row.
    t.uuid('id').primary();
    t.uuid('conversation_id').notNullable().references('conversations.id').onDelete('CASCADE');
    t.uuid('channel_id').notNullable().references('channels.id');
    t.text('external_id');
    t.text('direction').notNullable().checkIn(['inbound', 'outbound']);
    t.text('author_kind').notNullable().checkIn(['contact', 'agent', 'ai', 'system']);
    t.uuid('author_user_id').references('users.id');
    t.text('type').notNullable();
    t.text('body');
    t.jsonb('content').notNullable().defaultTo('{}');
    t.text('status').notNullable().checkIn(['received', 'pending', 'sent', 'delivered', 'read', 'failed']);
    t.integer('error_code');
    t.text('error_reason');
    // The provider's timestamp for inbound messages, our send time for outbound: the thread order.
    t.timestamp('sent_at', { useTz: true }).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['conversation_id', 'sent_at', 'id']);
  });
  // A redelivered webhook must never store a second row (WIRE.md §1.3).
  await knex.raw(
    'create unique index messages_channel_external_id_uq on messages (channel_id, external_id) where external_id is not null',
  );

  await knex.schema.createTable('events', (t) => {
    t.uuid('id').primary();
    t.uuid('conversation_id').notNullable().references('conversations.id').onDelete('CASCADE');
    t.text('type').notNullable();
    t.text('actor_kind').notNullable().checkIn(['contact', 'agent', 'ai', 'system']);
    t.uuid('actor_user_id').references('users.id');
    t.jsonb('data').notNullable().defaultTo('{}');
    t.bigInteger('version').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['conversation_id', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'events',
    'messages',
    'conversations',
    'contacts',
    'channels',
    'api_tokens',
    'sessions',
    'team_members',
    'teams',
    'users',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
