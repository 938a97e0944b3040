import type { Knex } from 'knex';

/**
 * Mine's list index carries the team (issue #6, figure 7). An agent's sidebar counts read their
 * own open conversations outside their teams from it (dashboard.service.ts queueCounts), and
 * without the team in the index each of those rows was a heap fetch to test it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists conversations_open_assignee_list_idx');
  await knex.raw(
    `create index conversations_open_assignee_list_idx on conversations
       (assignee_id, escalation_level, waiting_rank, last_message_at, id)
       include (team_id)
       where status <> 'resolved'`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists conversations_open_assignee_list_idx');
  await knex.raw(
    `create index conversations_open_assignee_list_idx on conversations
       (assignee_id, escalation_level, waiting_rank, last_message_at, id)
       where status <> 'resolved'`,
  );
}
