import type { Knex } from 'knex';

/**
 * One index for an owner's open conversations, in list order (issue #6, figure 6), instead of two:
 * conversations_assignee_open_idx (the owner alone: open load and capacity) and
 * conversations_open_assignee_list_idx (the owner, then the list's sort key: Mine's pages).
 *
 * A Mine page after a cursor bounds the owner by a range, so that its scan starts at the cursor
 * (inbox.service.ts listConversations), and with a range the planner found the owner-only index fit
 * too: it read the owner's open conversations from it and sorted them (3.8 ms in Postgres at row
 * 350 of Mine at 100,000 conversations, against 0.8 ms for the first page). Without
 * `last_message_at is not null` in its predicate the list's index serves the open load as well,
 * so the owner-only index goes and Mine's pages have one index to read.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists conversations_assignee_open_idx');
  await knex.raw('drop index if exists conversations_open_assignee_list_idx');
  await knex.raw(
    `create index conversations_open_assignee_list_idx on conversations
       (assignee_id, escalation_level, waiting_rank, last_message_at, id)
       where status <> 'resolved'`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists conversations_open_assignee_list_idx');
  await knex.raw(
    `create index conversations_open_assignee_list_idx on conversations
       (assignee_id, escalation_level, waiting_rank, last_message_at, id)
       where status <> 'resolved' and last_message_at is not null`,
  );
  await knex.raw(
    `create index conversations_assignee_open_idx on conversations (assignee_id) where status <> 'resolved'`,
  );
}
