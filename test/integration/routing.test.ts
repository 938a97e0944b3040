/**
 * Routing on real parts (DESIGN §3 "Routing workflows"): rules in Postgres, first match wins, each
 * naming a routing child workflow; least-loaded assignment through the team queue workflow, which
 * respects capacity and availability and drains oldest first the moment capacity frees up.
 */
import { pokeQueue } from '../../activities/routing/routing.activities';
import { resolveSignal, stateQuery } from '../../workflows/conversation/contract';
import { queueQuery, teamQueueWorkflowId } from '../../workflows/routing/contract';
import { activityRuns, historyEvents, localActivityType } from '../support/history';
import { waitFor } from '../support/wait-for';
import { addAgent, startWorkflowStack, upsertTeam, type WorkflowStack } from '../support/workflow-stack';

const childWorkflowTypes = (events: Awaited<ReturnType<typeof historyEvents>>) =>
  events.flatMap((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name ?? []);

describe('routing', () => {
  let stack: WorkflowStack;
  let salesTeamId: string;
  let opsTeamId: string;
  let veraId: string;
  let olgaId: string;
  let ottoId: string;

  beforeAll(async () => {
    stack = await startWorkflowStack({ ai: 'off', historyPrefix: 'routing' });
    const db = stack.database.db;
    salesTeamId = await upsertTeam(db, 'Sales');
    opsTeamId = await upsertTeam(db, 'Operations');
    await addAgent(stack, { name: 'Sam Sales', teamId: salesTeamId });
    veraId = await addAgent(stack, { name: 'Vera Vip', teamId: stack.supportTeamId });
    olgaId = await addAgent(stack, { name: 'Olga Ops', teamId: opsTeamId, capacity: 1 });
    ottoId = await addAgent(stack, { name: 'Otto Ops', teamId: opsTeamId, capacity: 2, availability: 'offline' });
    await addAgent(stack, { name: 'Ava Away', teamId: opsTeamId, capacity: 5, availability: 'away' });
    await db('routing_rules').insert([
      {
        position: 1,
        name: 'Sales keywords',
        match_kind: 'keyword',
        match_value: 'price, quote',
        routing_workflow: 'to-team',
        params: { teamId: salesTeamId },
      },
      {
        position: 2,
        name: 'VIP customers',
        match_kind: 'tag',
        match_value: 'vip',
        routing_workflow: 'vip-agent',
        params: { userId: veraId, teamId: stack.supportTeamId },
      },
      {
        position: 3,
        name: 'Everything else',
        match_kind: 'always',
        match_value: null,
        routing_workflow: 'least-loaded',
        params: { teamId: opsTeamId },
      },
    ]);
  });
  afterAll(async () => {
    await stack?.close();
  });

  const routedRow = (contactKey: string, check: (row: Record<string, any>) => boolean, what: string) =>
    waitFor(
      async () => {
        const row = await stack.conversationRow(contactKey);
        return row && check(row) ? row : undefined;
      },
      { what },
    );

  async function routingEvent(conversationId: string) {
    return stack.database
      .db('events')
      .where({ conversation_id: conversationId, type: 'assigned' })
      .orderBy('created_at')
      .first();
  }

  it('sends a message with a sales keyword to the Sales queue', async () => {
    await stack.deliver('5550001', "What's the price of the blue sofa?");
    const row = await routedRow('5550001', (r) => r.team_id === salesTeamId, 'the Sales team');
    expect(row).toMatchObject({ status: 'queued', assignee_id: null });
    expect((await routingEvent(row.id))?.data).toMatchObject({ rule: 'Sales keywords' });
    // `to-team` decides from its context alone: the conversation runs it inline, with no child run,
    // and opens with local activities (issue #6).
    // The row is written by a local activity before its workflow task completes: wait for the task.
    const events = await waitFor(
      async () => {
        const history = await historyEvents(stack.handle('5550001'));
        return activityRuns(history, 'openConversationWithMessage') > 0 && history;
      },
      { what: 'the opening task in the history' },
    );
    expect(childWorkflowTypes(events)).toEqual([]);
    expect(activityRuns(events, 'openConversationWithMessage')).toBe(1);
    expect(
      events.filter(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'openConversationWithMessage',
      ),
    ).toEqual([]);
    // Two local activities open and route it (issue #6): the opening stores the first message with
    // its snapshot and reads the rule in one transaction; the routing is the second.
    for (const separately of ['openConversation', 'recordInboundMessage', 'chooseRoutingRule']) {
      expect({ separately, runs: activityRuns(events, separately) }).toEqual({ separately, runs: 0 });
    }
    // The SLA clock loads the Sales team's policy with ordinary activities after the task: local only.
    expect(events.filter((e) => localActivityType(e) === 'recordChange')).toHaveLength(1);
    expect(row).toMatchObject({
      last_message_preview: "What's the price of the blue sofa?",
      last_message_author: 'contact',
    });
    expect(events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')).toHaveLength(1);
  });

  it('sends a VIP-tagged contact to their named agent', async () => {
    await stack.database.db('contacts').insert({ channel_id: stack.channelId, external_key: '5550002', tags: ['vip'] });
    await stack.deliver('5550002', 'Hello, I need help with my account');
    const row = await routedRow('5550002', (r) => r.assignee_id === veraId, 'the VIP agent');
    expect(row).toMatchObject({ status: 'assigned', team_id: stack.supportTeamId });
    const notified = await stack.database
      .db('notifications')
      .where({ conversation_id: row.id, kind: 'assigned' })
      .pluck('user_id');
    expect(notified).toEqual([veraId]);
    // Routing workflows that read agents' load and availability run as children, visible in the Temporal UI.
    expect(childWorkflowTypes(await historyEvents(stack.handle('5550002')))).toEqual(['vipAgentRoutingWorkflow']);
  });

  it('assigns the least-loaded online agent within capacity, queues the rest oldest first, and drains the queue as capacity frees up', async () => {
    // Olga is the only online Operations agent (Otto is offline, Ava away) and has room for one.
    await stack.deliver('5550010', 'My delivery is late', { sentAt: Date.now() - 4_000 });
    const first = await routedRow('5550010', (r) => r.assignee_id === olgaId, 'Olga to get the first one');
    expect(first.status).toBe('assigned');

    for (const [i, key] of ['5550011', '5550012', '5550013'].entries()) {
      await stack.deliver(key, `Question number ${i + 1}`, { sentAt: Date.now() - 3_000 + i * 1_000 });
      await routedRow(key, (r) => r.team_id === opsTeamId && r.status === 'queued', `${key} to wait in the queue`);
    }
    const queue = stack.client.workflow.getHandle(teamQueueWorkflowId(opsTeamId));
    const waiting = await waitFor(
      async () => {
        const entries = await queue.query(queueQuery);
        return entries.length === 3 ? entries : undefined;
      },
      { what: 'three waiting conversations' },
    );
    expect(waiting.map((e) => e.workflowId)).toEqual(
      ['5550011', '5550012', '5550013'].map((k) => stack.handle(k).workflowId),
    );

    // Otto comes online with room for two: the two oldest go to him, the newest keeps waiting.
    await stack.database.db('users').where({ id: ottoId }).update({ availability: 'online' });
    await pokeQueue(stack.client, opsTeamId);
    await routedRow('5550011', (r) => r.assignee_id === ottoId, 'the oldest to Otto');
    await routedRow('5550012', (r) => r.assignee_id === ottoId, 'the second oldest to Otto');
    expect((await stack.conversationRow('5550013'))?.assignee_id).toBeNull();

    // Olga resolves hers: her capacity frees up and the last waiting conversation is hers at once.
    await stack.handle('5550010').signal(resolveSignal, { by: { kind: 'user', userId: olgaId } });
    await routedRow('5550013', (r) => r.assignee_id === olgaId, 'the newest to Olga');
    expect(await queue.query(queueQuery)).toEqual([]);
    const load = await stack.database
      .db('conversations')
      .where({ assignee_id: ottoId })
      .whereNot({ status: 'resolved' })
      .count('* as n')
      .first();
    expect(Number(load?.n)).toBe(2);
  });

  it('returns a reopened conversation to the queue when its owner went offline', async () => {
    // 5550013 belongs to Olga; she resolves it and goes offline; the customer writes again.
    const handle = stack.handle('5550013');
    await handle.signal(resolveSignal, { by: { kind: 'user', userId: olgaId } });
    await waitFor(async () => (await handle.query(stateQuery)).status === 'resolved', { what: 'the resolution' });
    await stack.database.db('users').where({ id: olgaId }).update({ availability: 'offline' });

    await stack.deliver('5550013', 'Actually, one more thing');
    const row = await routedRow(
      '5550013',
      (r) => r.status !== 'resolved' && r.assignee_id !== olgaId,
      'the reopened conversation',
    );
    // Otto is full (2 of 2) and Ava is away: it waits in the Operations queue, unowned.
    expect(row).toMatchObject({ status: 'queued', assignee_id: null, team_id: opsTeamId });
    const events = await stack.database
      .db('events')
      .where({ conversation_id: row.id })
      .whereIn('type', ['reopened', 'unassigned'])
      .pluck('type');
    expect(events).toEqual(expect.arrayContaining(['reopened', 'unassigned']));
  });
});
