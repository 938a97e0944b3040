import type { Knex } from 'knex';

/**
 * A lease on sending an outbound message (issue #7). The send activity is idempotent once the
 * provider's id is stored, but two attempts may be alive at once: one that Temporal timed out
 * while it still waited on the Graph API (a Temporal restart in the chaos suite did this) and its
 * retry. Only the attempt holding an unexpired claim calls the provider; WhatsApp has no
 * idempotency key to do this for us.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('messages', (t) => {
    t.timestamp('send_claimed_until', { useTz: true }).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('messages', (t) => {
    t.dropColumn('send_claimed_until');
  });
}
