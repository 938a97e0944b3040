import type { Knex } from 'knex';

/**
 * The outbound half of the channels issue: WhatsApp message templates synced from the Graph API
 * (activities/channels/templates.ts; only APPROVED ones can be picked or sent), and the agents'
 * opt-in to receive handover and escalation alerts on their own WhatsApp number (DESIGN §3).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('message_templates', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('channel_id').notNullable().references('channels.id').onDelete('CASCADE');
    // Lowercase letters, digits and _; not unique across languages (WIRE.md §2.2).
    t.text('name').notNullable();
    // Exactly as approved: `en` is not `en_US` (132001 otherwise).
    t.text('language').notNullable();
    // MARKETING, UTILITY or AUTHENTICATION (WIRE.md §3.2).
    t.text('category').notNullable().defaultTo('');
    // APPROVED, PENDING, REJECTED, PAUSED, DISABLED, … as Meta reports it; DELETED once gone from its list.
    t.text('status').notNullable();
    // Meta's HEADER / BODY / FOOTER / BUTTONS components, verbatim.
    t.jsonb('components').notNullable().defaultTo('[]');
    // Body parameters a send must give ({{1}}…{{n}}, or the distinct named ones).
    t.integer('parameter_count').notNullable().defaultTo(0);
    t.timestamp('synced_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['channel_id', 'name', 'language']);
  });

  await knex.schema.alterTable('users', (t) => {
    // Handover and escalation notifications also go to `whatsapp_number` as a utility template.
    t.boolean('notify_whatsapp').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('notify_whatsapp');
  });
  await knex.schema.dropTableIfExists('message_templates');
}
