import type { Knex } from 'knex';

/**
 * Indexes for the inbox list and the sidebar counts, justified by `npm run bench` (issue #6,
 * BENCHMARKS.md figures 6 and 7): at 100,000 conversations every list page sorted all matching
 * rows (no index in the list's order: escalation_level desc, waiting_since asc nulls last,
 * last_message_at desc, id desc), and the sidebar counts read the whole table.
 *
 * - conversations_list_idx: the list's order over every listed conversation ("All", any status).
 * - conversations_open_assignee_list_idx: open conversations by owner, in list order ("Mine").
 * - conversations_open_unassigned_list_idx: open conversations without an owner, in list order
 *   ("Unassigned"; without it the planner took a bitmap scan of every unassigned row and a sort).
 * - conversations_open_team_list_idx: open conversations by team, in list order (a team's queue),
 *   with assignee_id included so the sidebar counts are an index-only scan of the open set.
 * The partial ones match the web's default filter (open: status <> 'resolved').
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    `create index conversations_list_idx on conversations
       (escalation_level desc, waiting_since asc nulls last, last_message_at desc, id desc)
       where last_message_at is not null`,
  );
  await knex.raw(
    `create index conversations_open_assignee_list_idx on conversations
       (assignee_id, escalation_level desc, waiting_since asc nulls last, last_message_at desc, id desc)
       where status <> 'resolved' and last_message_at is not null`,
  );
  await knex.raw(
    `create index conversations_open_unassigned_list_idx on conversations
       (escalation_level desc, waiting_since asc nulls last, last_message_at desc, id desc)
       where assignee_id is null and status <> 'resolved' and last_message_at is not null`,
  );
  await knex.raw(
    `create index conversations_open_team_list_idx on conversations
       (team_id, escalation_level desc, waiting_since asc nulls last, last_message_at desc, id desc)
       include (assignee_id)
       where status <> 'resolved' and last_message_at is not null`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists conversations_open_team_list_idx');
  await knex.raw('drop index if exists conversations_open_unassigned_list_idx');
  await knex.raw('drop index if exists conversations_open_assignee_list_idx');
  await knex.raw('drop index if exists conversations_list_idx');
}
