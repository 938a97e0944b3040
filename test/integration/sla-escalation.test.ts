/**
 * The 3-tier SLA escalation (DESIGN §3) on real parts, with tiers configured in seconds: named
 * durable timers that climb standard, priority and manager, notify each tier's audience once,
 * stop the moment an agent answers, pause while pending or snoozed, and survive a worker restart.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { replyUpdate, resolveSignal, snoozeSignal, stateQuery } from '../../workflows/conversation/contract';
import { INBOX_ESCALATION } from '../../workflows/shared/search-attributes';
import { historyEvents, localActivityType, timersNamed } from '../support/history';
import { requireTestEnv } from '../support/env';
import { waitFor } from '../support/wait-for';
import { addAgent, startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';

const TIERS: [number, number, number] = [2_000, 4_000, 6_000];

describe('SLA escalation', () => {
  let stack: WorkflowStack;
  let agentId: string;
  let leadId: string;
  let managerId: string;

  beforeAll(async () => {
    stack = await startWorkflowStack({ slaTiersMs: TIERS, historyPrefix: 'sla' });
    agentId = await addAgent(stack, { name: 'Ada Agent', teamId: stack.supportTeamId });
    leadId = await addAgent(stack, { name: 'Lee Lead', teamId: stack.supportTeamId, lead: true });
    managerId = await addAgent(stack, { name: 'Mia Manager', teamId: stack.supportTeamId, role: 'admin' });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const db = () => stack.database.db;

  async function eventsOf(conversationId: string, types: string[]) {
    return db()('events').where({ conversation_id: conversationId }).whereIn('type', types).orderBy('created_at');
  }

  async function escalationNotifications(conversationId: string) {
    const rows: { user_id: string; title: string }[] = await db()('notifications')
      .where({ conversation_id: conversationId, kind: 'escalation' })
      .orderBy('created_at');
    return rows;
  }

  it('climbs the standard, priority and manager tiers at their deadlines, notifying each audience once', async () => {
    const handle = await stack.deliver('4470001', 'Where is my order? It is late.');
    const row = await waitFor(() => stack.conversationRow('4470001'), { what: 'the conversation row' });
    const since = await waitFor(async () => (await handle.query(stateQuery)).slaSince ?? undefined, {
      what: 'the SLA clock',
    });

    const tiers = await waitFor(
      async () => {
        const rows = await eventsOf(row.id, ['sla_breached', 'escalated']);
        return rows.length === 3 ? rows : undefined;
      },
      { timeoutMs: TIERS[2] + 8_000, what: 'the manager tier' },
    );
    expect(tiers.map((e) => [e.type, e.data.level, e.data.tier])).toEqual([
      ['sla_breached', 1, 'sla-standard'],
      ['escalated', 2, 'sla-priority'],
      ['escalated', 3, 'sla-manager'],
    ]);
    tiers.forEach((e, i) => {
      expect(e.data.dueAt).toBe(since + TIERS[i]!);
      // Fired at the deadline (a durable timer, not a sweep), never before it.
      expect(e.data.firedAt).toBeGreaterThanOrEqual(e.data.dueAt);
      expect(e.data.firedAt - e.data.dueAt).toBeLessThan(1_500);
    });

    // Standard: the whole team (nobody owns it yet); priority: the lead; manager: the admins.
    const notified = await escalationNotifications(row.id);
    const byTier = (tier: string) =>
      notified
        .filter((n) => n.title.includes(tier))
        .map((n) => n.user_id)
        .sort();
    expect(byTier('standard tier')).toEqual([agentId, leadId, managerId].sort());
    expect(byTier('priority tier')).toEqual([leadId]);
    expect(byTier('manager tier')).toEqual([managerId]);

    const state = await handle.query(stateQuery);
    expect(state).toMatchObject({ escalationLevel: 3, priority: 'urgent', sla: null });
    for (const name of ['sla-standard', 'sla-priority', 'sla-manager']) {
      const named = await timersNamed(handle, name);
      expect(named).toEqual([expect.objectContaining({ fired: true, canceled: false })]);
    }
    const projected = await stack.conversationRow('4470001');
    expect(projected).toMatchObject({ escalation_level: 3, priority: 'urgent' });

    // Each tier is written by an ordinary activity, scheduled by the completed workflow task its
    // timer fired in: never a local write, which commits even when its task fails and may then be
    // written again by the retried task (conversation.workflow.ts SLA_ESCALATION_ACTIVITY_PATCH).
    const events = await historyEvents(handle);
    const afterFirstTier = events.slice(events.findIndex((e) => e.timerFiredEventAttributes));
    const scheduled = afterFirstTier.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name);
    expect(scheduled.filter((name) => name === 'recordChange')).toHaveLength(3);
    expect(afterFirstTier.filter((e) => localActivityType(e) === 'recordChange')).toEqual([]);
  });

  it('cancels the priority and manager tiers when an agent answers after the standard tier', async () => {
    const handle = await stack.deliver('4470002', 'Hello? Anyone there?');
    // The standard tier fired and the priority tier's timer is running.
    await waitFor(async () => (await timersNamed(handle, 'sla-priority')).length === 1, {
      timeoutMs: TIERS[0] + 5_000,
      what: 'the priority timer',
    });
    expect((await handle.query(stateQuery)).escalationLevel).toBe(1);

    await handle.executeUpdate(replyUpdate, {
      args: [{ authorUserId: agentId, text: 'Sorry for the wait, checking now.' }],
    });

    const priorityTimer = await waitFor(
      async () => (await timersNamed(handle, 'sla-priority')).find((t) => t.canceled),
      { what: 'the priority timer to be cancelled' },
    );
    expect(priorityTimer.fired).toBe(false);
    expect(await timersNamed(handle, 'sla-manager')).toEqual([]);
    const state = await handle.query(stateQuery);
    expect(state).toMatchObject({ escalationLevel: 0, slaSince: null, sla: null, assigneeId: agentId });
    const row = await stack.conversationRow('4470002');
    expect((await eventsOf(row!.id, ['escalated'])).length).toBe(0);
  });

  it('does not escalate a pending conversation or a snoozed one, and wakes the snoozed one exactly on time', async () => {
    const pending = await stack.deliver('4470003', 'Can I change my address?');
    await waitFor(async () => (await pending.query(stateQuery)).slaSince !== null, { what: 'the clock' });
    await pending.executeUpdate(replyUpdate, {
      args: [{ authorUserId: agentId, text: 'Sure, which address?', waitForCustomer: true }],
    });
    expect(await pending.query(stateQuery)).toMatchObject({ status: 'pending', slaSince: null });

    const snoozed = await stack.deliver('4470004', 'Call me back tomorrow please');
    // Snoozed once the first tier's timer runs, so the snooze has a timer to cancel.
    await waitFor(async () => (await timersNamed(snoozed, 'sla-standard')).length > 0, { what: 'the clock' });
    const until = Date.now() + TIERS[0] + 1_000;
    await snoozed.signal(snoozeSignal, { until, by: { kind: 'user', userId: agentId } });
    await waitFor(async () => (await snoozed.query(stateQuery)).status === 'snoozed', { what: 'the snooze' });
    expect(await snoozed.query(stateQuery)).toMatchObject({ slaSince: null, snoozedUntil: until });

    // The snooze wakes at its time; the customer is still waiting, so the clock starts again then.
    const woke = await waitFor(
      async () => {
        const s = await snoozed.query(stateQuery);
        return s.status !== 'snoozed' ? s : undefined;
      },
      { timeoutMs: TIERS[0] + 5_000, what: 'the snooze to end' },
    );
    expect(woke.slaSince).toBeGreaterThanOrEqual(until);
    expect(woke.slaSince! - until).toBeLessThan(1_500);
    expect(woke.escalationLevel).toBe(0);

    // Pending never started a timer after the reply; the first standard timer of the snoozed one was cancelled.
    expect((await timersNamed(pending, 'sla-standard')).every((t) => t.canceled && !t.fired)).toBe(true);
    const snoozedTimers = await timersNamed(snoozed, 'sla-standard');
    expect(snoozedTimers[0]).toMatchObject({ canceled: true, fired: false });
    expect((await timersNamed(snoozed, 'snooze'))[0]).toMatchObject({ fired: true });
    expect(await pending.query(stateQuery)).toMatchObject({ status: 'pending', escalationLevel: 0 });
    // Done with it: resolved, so it does not climb while the next tests run.
    await snoozed.signal(resolveSignal, { by: { kind: 'user', userId: agentId } });
    await waitFor(async () => (await snoozed.query(stateQuery)).status === 'resolved', { what: 'the resolution' });
  });

  it('fires each remaining tier once when the worker is killed and restarted between tiers', async () => {
    const handle = await stack.deliver('4470005', 'My parcel never arrived');
    const row = await waitFor(() => stack.conversationRow('4470005'), { what: 'the conversation row' });
    const since = await waitFor(async () => (await handle.query(stateQuery)).slaSince ?? undefined, {
      what: 'the clock',
    });
    await waitFor(async () => (await eventsOf(row.id, ['sla_breached'])).length === 1, {
      timeoutMs: TIERS[0] + 5_000,
      what: 'the standard tier',
    });

    await stack.stopWorker();
    // The priority deadline passes while no worker runs.
    await waitFor(() => Date.now() > since + TIERS[1] + 500, { timeoutMs: TIERS[1] + 5_000, what: 'the outage' });
    await stack.startWorker();

    await waitFor(async () => (await eventsOf(row.id, ['escalated'])).length === 2, {
      timeoutMs: TIERS[2] + 8_000,
      what: 'the priority and manager tiers after the restart',
    });
    const tiers = await eventsOf(row.id, ['sla_breached', 'escalated']);
    expect(tiers.map((e) => e.data.level)).toEqual([1, 2, 3]);
    const notified = await escalationNotifications(row.id);
    expect(notified.filter((n) => n.title.includes('priority tier')).map((n) => n.user_id)).toEqual([leadId]);
    expect(notified.filter((n) => n.title.includes('manager tier')).map((n) => n.user_id)).toEqual([managerId]);
  });

  it('lets a manager find exactly the escalated conversations by search attribute, and query state from the CLI', async () => {
    const calm = await stack.deliver('4470006', 'Just saying thanks!');
    await waitFor(async () => (await calm.query(stateQuery)).slaSince !== null, { what: 'the clock' });
    await calm.signal(resolveSignal, { by: { kind: 'user', userId: agentId } });
    await waitFor(async () => (await calm.query(stateQuery)).status === 'resolved', { what: 'the resolution' });

    const escalatedIds = ['4470001', '4470005'].map((k) => stack.handle(k).workflowId).sort();
    const listed = await waitFor(
      async () => {
        const ids: string[] = [];
        for await (const wf of stack.client.workflow.list({
          // This file's dev server holds only this file's conversations.
          query: `InboxEscalation >= 2 AND WorkflowType = 'conversationWorkflow'`,
        })) {
          ids.push(wf.workflowId);
        }
        ids.sort();
        if (JSON.stringify(ids) !== JSON.stringify(escalatedIds)) throw new Error(`listed ${ids.join(', ')}`);
        return ids;
      },
      { what: 'the visibility list of escalated conversations' },
    );
    expect(listed).toEqual(escalatedIds);
    const description = await stack.handle('4470001').describe();
    expect(description.typedSearchAttributes.get(INBOX_ESCALATION)).toBe(3);

    const { stdout } = await promisify(execFile)(requireTestEnv('TEMPORAL_CLI'), [
      'workflow',
      'query',
      '--address',
      stack.env.connection.options.address!,
      '--workflow-id',
      stack.handle('4470001').workflowId,
      '--type',
      'state',
      '--output',
      'json',
    ]);
    expect(stdout).toContain('"escalationLevel": 3');
    expect(stdout).toContain('"status": "queued"');
  });
});
