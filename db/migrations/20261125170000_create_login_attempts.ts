import type { Knex } from 'knex';

/**
 * Failed sign-ins, for login rate limiting (DESIGN §4, issue #5): kept in Postgres so a lock
 * survives restarts and holds across web processes. Only failures are stored; a success clears
 * the account's failures from that address. No email in clear: a keyed hash of it
 * (api/services/auth.service.ts), so the table does not list who was targeted.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('login_attempts', (t) => {
    t.bigIncrements('id');
    t.text('email_hash').notNullable();
    t.text('ip').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // Per account and address, and per address: newest first within the window.
    t.index(['email_hash', 'ip', 'created_at']);
    t.index(['ip', 'created_at']);
    t.index(['created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('login_attempts');
}
