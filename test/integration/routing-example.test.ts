/**
 * The worked example of docs/routing.md, end to end: an `after-hours` rule routes to the day team's
 * least-loaded agent while open, and to the on-call queue when closed.
 */
import { waitFor } from '../support/wait-for';
import { addAgent, startWorkflowStack, upsertTeam, type WorkflowStack } from '../support/workflow-stack';

describe('docs/routing.md example: after-hours routing', () => {
  let stack: WorkflowStack;
  let onCallTeamId: string;
  let dayAgentId: string;

  beforeAll(async () => {
    stack = await startWorkflowStack({ ai: 'off' });
    onCallTeamId = await upsertTeam(stack.database.db, 'On call');
    dayAgentId = await addAgent(stack, { name: 'Dana Day', teamId: stack.supportTeamId });
    await addAgent(stack, { name: 'Nico Night', teamId: onCallTeamId });
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function useHours(opensAt: string, closesAt: string) {
    const params = {
      dayTeamId: stack.supportTeamId,
      afterHoursTeamId: onCallTeamId,
      opensAt,
      closesAt,
      days: [0, 1, 2, 3, 4, 5, 6],
    };
    await stack.database.db('routing_rules').delete();
    await stack.database.db('routing_rules').insert({
      position: 1,
      name: 'Business hours',
      match_kind: 'always',
      routing_workflow: 'after-hours',
      params,
    });
  }

  it('gives the conversation to a day-team agent during business hours', async () => {
    await useHours('00:00', '24:00');
    await stack.deliver('9990001', 'Hi, is my order ready?');
    const row = await waitFor(
      async () => {
        const r = await stack.conversationRow('9990001');
        return r?.assignee_id ? r : undefined;
      },
      { what: 'a day-team owner' },
    );
    expect(row).toMatchObject({ assignee_id: dayAgentId, team_id: stack.supportTeamId, status: 'assigned' });
  });

  it('sends the conversation to the on-call queue outside business hours', async () => {
    // An empty window: always closed.
    await useHours('00:00', '00:00');
    await stack.deliver('9990002', 'Hello? It is the middle of the night');
    const row = await waitFor(
      async () => {
        const r = await stack.conversationRow('9990002');
        return r?.team_id === onCallTeamId ? r : undefined;
      },
      { what: 'the on-call queue' },
    );
    expect(row).toMatchObject({ status: 'queued', assignee_id: null });
    const event = await stack.database.db('events').where({ conversation_id: row.id, type: 'assigned' }).first();
    expect(event.data).toMatchObject({
      rule: 'Business hours',
      reason: expect.stringContaining('outside business hours'),
    });
  });
});
