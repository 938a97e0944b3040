/**
 * Claims, assignment and handover between humans (DESIGN §3 "Assignment and handover") on real
 * parts: the first claim wins and every other gets a clear rejection; a handover records who, to
 * whom and why and tells the receiver at once; an offline owner keeps nothing hostage.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { claimUpdate, handoverSignal, stateQuery } from '../../workflows/conversation/contract';
import { ErrorType } from '../../workflows/shared/errors';
import { waitFor } from '../support/wait-for';
import { addAgent, startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';

describe('ownership', () => {
  let stack: WorkflowStack;
  let agents: string[];

  beforeAll(async () => {
    stack = await startWorkflowStack({ ai: 'off', historyPrefix: 'ownership' });
    agents = [];
    for (let i = 0; i < 20; i++) {
      agents.push(await addAgent(stack, { name: `Agent ${String(i).padStart(2, '0')}`, teamId: stack.supportTeamId }));
    }
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function queuedConversation(contactKey: string) {
    const handle = await stack.deliver(contactKey, 'Hello, I need some help');
    await waitFor(
      async () => {
        const row = await stack.conversationRow(contactKey);
        return row?.status === 'queued' && row.team_id === stack.supportTeamId;
      },
      { what: 'the conversation in the Support queue' },
    );
    return handle;
  }

  it('gives a conversation to exactly one of twenty agents claiming it at once and refuses the other nineteen clearly', async () => {
    const handle = await queuedConversation('8880001');

    const results = await Promise.allSettled(
      agents.map((userId) => handle.executeUpdate(claimUpdate, { args: [{ userId }] })),
    );

    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(19);
    for (const rejection of lost) {
      expect(rejection.reason).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(rejection.reason.cause).toMatchObject({
        type: ErrorType.AlreadyOwned,
        message: 'someone else already owns this conversation',
      });
    }
    const owner = (won[0] as PromiseFulfilledResult<{ assigneeId: string }>).value.assigneeId;
    expect(agents).toContain(owner);
    expect(await handle.query(stateQuery)).toMatchObject({ status: 'assigned', assigneeId: owner });
    const row = await waitFor(
      async () => {
        const r = await stack.conversationRow('8880001');
        return r?.assignee_id ? r : undefined;
      },
      { what: 'the owner in the projection' },
    );
    expect(row.assignee_id).toBe(owner);
    const assignedEvents = await stack.database.db('events').where({ conversation_id: row.id, type: 'assigned' });
    // One for routing to the team queue, one for the claim.
    expect(assignedEvents.filter((e) => e.data.to?.kind === 'agent')).toHaveLength(1);
  });

  it('records who handed over to whom and why, keeps a private note, and notifies the receiver at once', async () => {
    const handle = await queuedConversation('8880002');
    const [from, to] = [agents[0]!, agents[1]!];
    await handle.executeUpdate(claimUpdate, { args: [{ userId: from }] });

    await handle.signal(handoverSignal, {
      to: { kind: 'agent', userId: to },
      reason: 'Billing question: Bo handles refunds',
      note: 'Customer already sent the receipt photo',
      by: { kind: 'user', userId: from },
    });

    const row = await waitFor(
      async () => {
        const r = await stack.conversationRow('8880002');
        return r?.assignee_id === to ? r : undefined;
      },
      { what: 'the new owner' },
    );
    const event = await stack.database
      .db('events')
      .where({ conversation_id: row.id, type: 'handover_requested' })
      .first();
    expect(event).toMatchObject({ actor_kind: 'agent', actor_user_id: from });
    expect(event.data).toMatchObject({
      to: { kind: 'agent', userId: to },
      reason: 'Billing question: Bo handles refunds',
      from: { assigneeId: from, status: 'assigned' },
    });
    const note = await stack.database.db('notes').where({ conversation_id: row.id }).first();
    expect(note).toMatchObject({
      author_kind: 'agent',
      author_user_id: from,
      body: 'Customer already sent the receipt photo',
    });
    // The team was told when routing queued the conversation; the handover itself goes to the receiver alone.
    const notified = await stack.database
      .db('notifications')
      .where({ conversation_id: row.id, kind: 'handover', body: 'Billing question: Bo handles refunds' });
    expect(notified.map((n) => n.user_id)).toEqual([to]);
  });

  it('drops a handover without a reason and keeps the owner', async () => {
    const handle = await queuedConversation('8880003');
    await handle.executeUpdate(claimUpdate, { args: [{ userId: agents[2]! }] });
    await handle.signal(handoverSignal, {
      to: { kind: 'agent', userId: agents[3]! },
      reason: '  ',
      by: { kind: 'user', userId: agents[2]! },
    });
    // A later, valid input is processed after the dropped one: once it shows, the first was seen too.
    await handle.signal(handoverSignal, {
      to: { kind: 'team', teamId: stack.supportTeamId },
      reason: 'Back to the team',
      by: { kind: 'user', userId: agents[2]! },
    });
    const row = (await stack.conversationRow('8880003'))!;
    const handovers = await waitFor(
      async () => {
        const rows = await stack.database.db('events').where({ conversation_id: row.id, type: 'handover_requested' });
        return rows.length > 0 ? rows : undefined;
      },
      { what: 'the valid handover' },
    );
    expect(handovers.map((e) => e.data.reason)).toEqual(['Back to the team']);
    expect(await handle.query(stateQuery)).toMatchObject({ assigneeId: null, status: 'queued' });
  });

  it("lets a teammate take over an offline owner's conversation, and refuses it while the owner is online", async () => {
    const handle = await queuedConversation('8880004');
    const [owner, teammate] = [agents[4]!, agents[5]!];
    await handle.executeUpdate(claimUpdate, { args: [{ userId: owner }] });

    await expect(handle.executeUpdate(claimUpdate, { args: [{ userId: teammate }] })).rejects.toMatchObject({
      cause: { type: ErrorType.AlreadyOwned },
    });
    // The API names the owner it found offline; of two teammates taking over at once, one wins.
    const takeovers = await Promise.allSettled(
      [teammate, agents[6]!].map((userId) =>
        handle.executeUpdate(claimUpdate, { args: [{ userId, offlineOwnerId: owner }] }),
      ),
    );
    const won = takeovers.filter((t) => t.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(takeovers.filter((t) => t.status === 'rejected')).toEqual([
      expect.objectContaining({
        reason: expect.objectContaining({ cause: expect.objectContaining({ type: ErrorType.AlreadyOwned }) }),
      }),
    ]);
    const winner = (won[0] as PromiseFulfilledResult<{ assigneeId: string }>).value.assigneeId;
    expect([teammate, agents[6]]).toContain(winner);
    expect((await handle.query(stateQuery)).assigneeId).toBe(winner);
  });
});
