import type { Knex } from 'knex';

/**
 * What the conversation workflow (issue #3) projects and reads: notes, notifications, SLA policies,
 * routing rules and their round-robin cursors, workspace settings (AI), canned responses and the
 * audit log; plus the SLA columns the inbox shows on each conversation.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('conversations', (t) => {
    // The next SLA tier and its deadline, for the list's aging badge (null while the clock is stopped).
    t.text('sla_next_tier');
    t.timestamp('sla_next_at', { useTz: true });
    t.timestamp('snoozed_until', { useTz: true });
    // What the AI (or its fallback) understood, for routing rules and the handover card.
    t.text('intent');
  });
  // Oldest first within a team's queue (DESIGN §3 routing), and the owner-load count for capacity.
  await knex.raw(
    `create index conversations_team_queue_idx on conversations (team_id, waiting_since) where status = 'queued'`,
  );
  await knex.raw(
    `create index conversations_assignee_open_idx on conversations (assignee_id) where status <> 'resolved'`,
  );

  await knex.schema.createTable('notes', (t) => {
    // Chosen by the workflow, so a retried projection writes the same row.
    t.uuid('id').primary();
    t.uuid('conversation_id').notNullable().references('conversations.id').onDelete('CASCADE');
    t.text('author_kind').notNullable().checkIn(['agent', 'ai', 'system']);
    t.uuid('author_user_id').references('users.id');
    t.text('body').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['conversation_id', 'created_at']);
  });

  await knex.schema.createTable('notifications', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    // One workflow decision notifies many users: (batch, user) makes a retried write a no-op.
    t.uuid('batch_id').notNullable();
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.uuid('conversation_id').references('conversations.id').onDelete('CASCADE');
    t.text('kind').notNullable().checkIn(['handover', 'assigned', 'escalation']);
    t.text('title').notNullable();
    t.text('body').notNullable();
    t.jsonb('data').notNullable().defaultTo('{}');
    t.timestamp('read_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['batch_id', 'user_id']);
    t.index(['user_id', 'created_at']);
  });

  await knex.schema.createTable('sla_policies', (t) => {
    // One per team; a team without a row uses the default policy (SLA_DEFAULT_TIERS).
    t.uuid('team_id').primary().references('teams.id').onDelete('CASCADE');
    t.integer('standard_seconds').notNullable().checkPositive();
    t.integer('priority_seconds').notNullable().checkPositive();
    t.integer('manager_seconds').notNullable().checkPositive();
    // At the priority tier, an unanswered conversation goes back from its owner to the team queue.
    t.boolean('requeue_at_priority').notNullable().defaultTo(false);
    t.timestamps(true, true);
  });
  await knex.raw(
    'alter table sla_policies add constraint sla_policies_increasing check (standard_seconds < priority_seconds and priority_seconds < manager_seconds)',
  );

  await knex.schema.createTable('routing_rules', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    // First match wins, in position order (DESIGN §3 routing).
    t.integer('position').notNullable().unique();
    t.text('name').notNullable();
    t.text('match_kind').notNullable().checkIn(['keyword', 'tag', 'channel', 'intent', 'always']);
    // keyword: words separated by commas; tag / intent: one value; channel: a channel id.
    t.text('match_value');
    // A name from workflows/routing/registry.ts and its parameters (e.g. { teamId }).
    t.text('routing_workflow').notNullable();
    t.jsonb('params').notNullable().defaultTo('{}');
    t.boolean('enabled').notNullable().defaultTo(true);
    t.timestamps(true, true);
  });

  await knex.schema.createTable('routing_cursors', (t) => {
    // Round robin remembers the last agent it picked per team.
    t.uuid('team_id').primary().references('teams.id').onDelete('CASCADE');
    t.uuid('last_user_id').references('users.id').onDelete('SET NULL');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('workspace_settings', (t) => {
    // Small JSON documents by key, e.g. 'ai' (activities/ai/types.ts AiSettings).
    t.text('key').primary();
    t.jsonb('value').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('canned_responses', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('title').notNullable();
    t.text('body').notNullable();
    // Null: available to every team.
    t.uuid('team_id').references('teams.id').onDelete('CASCADE');
    t.timestamps(true, true);
  });

  await knex.schema.createTable('audit_log', (t) => {
    t.bigIncrements('id');
    t.uuid('actor_user_id').references('users.id').onDelete('SET NULL');
    t.text('action').notNullable();
    t.text('target_kind').notNullable();
    t.text('target_id');
    t.jsonb('data').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'audit_log',
    'canned_responses',
    'workspace_settings',
    'routing_cursors',
    'routing_rules',
    'sla_policies',
    'notifications',
    'notes',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
  await knex.raw('drop index if exists conversations_team_queue_idx');
  await knex.raw('drop index if exists conversations_assignee_open_idx');
  await knex.schema.alterTable('conversations', (t) => {
    t.dropColumns('sla_next_tier', 'sla_next_at', 'snoozed_until', 'intent');
  });
}
