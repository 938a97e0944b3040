import type { Knex } from 'knex';

/**
 * Unread notifications by user, newest first (issue #6, figure 8). Every page's layout counts the
 * signed-in user's unread ones on every refresh, and the Alerts page lists them; with only
 * (user_id, created_at) both walked the user's read history to find the unread. Partial, so it
 * holds only what is still unread and shrinks as people read.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    'create index notifications_unread_idx on notifications (user_id, created_at desc, id desc) where read_at is null',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists notifications_unread_idx');
}
