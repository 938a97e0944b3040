/**
 * The main loop writes by local activities (issue #6): customer messages, the opening, the changes
 * it applies and the routing rule it reads. Local activity results are recorded as markers at the
 * end of their workflow task, which is where replay can diverge from the live run when other
 * coroutines act in between (this project once hit a non-determinism error that way). This test
 * makes them act in between, on real parts: bursts of messages into four conversations while their
 * SLA tiers fire, agents claim, note and reply through updates, tag, hand back to routing and
 * resolve through signals, and the worker is stopped and started again half way (a cold cache
 * replays every run). Then every message is stored once, and every run's live history replays
 * cleanly against the workflow code here, in this test, on every CI run.
 */
import { Worker } from '@temporalio/worker';
import {
  addNoteUpdate,
  claimUpdate,
  handoverSignal,
  replyUpdate,
  resolveSignal,
  tagSignal,
} from '../../workflows/conversation/contract';
import { localActivityType } from '../support/history';
import { seededRandom } from '../support/seeded-random';
import { workflowBundle } from '../support/temporal';
import { waitFor } from '../support/wait-for';
import { addAgent, startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';

const TIERS_MS: [number, number, number] = [400, 800, 1_200];
const CONTACTS = ['447700600001', '447700600002', '447700600003', '447700600004'];
const ROUNDS = 10;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('customer messages written by a local activity', () => {
  let stack: WorkflowStack;
  let agentId: string;
  const seed = Number(process.env.INTERLEAVING_SEED ?? Date.now() % 100_000);

  beforeAll(async () => {
    stack = await startWorkflowStack({ ai: 'off', slaTiersMs: TIERS_MS, historyPrefix: 'interleaving' });
    agentId = await addAgent(stack, { name: 'Ivy Interleave', teamId: stack.supportTeamId, lead: true });
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('stores every message once and replays every run, with timers, updates and a worker restart in between', async () => {
    // Seeded, so a failing interleaving can be run again (INTERLEAVING_SEED).
    const rand = seededRandom(seed);
    const sent = new Map<string, string[]>(CONTACTS.map((c) => [c, []]));
    let counter = 0;

    async function customer(contact: string): Promise<void> {
      for (let round = 0; round < ROUNDS; round++) {
        // A burst of one to three lines, delivered together.
        const burst = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => `wamid.INTERLEAVE-${seed}-${++counter}`);
        await Promise.all(burst.map((id) => stack.deliver(contact, `line ${id}`, { id })));
        sent.get(contact)!.push(...burst);
        const handle = stack.handle(contact);
        const by = { kind: 'user' as const, userId: agentId };
        const roll = rand();
        // Agents act in the same moments through updates (refusals, e.g. a claim on a conversation
        // already owned, are part of the story, not failures).
        if (roll < 0.25) {
          await handle
            .executeUpdate(addNoteUpdate, { args: [{ authorUserId: agentId, text: `note ${round}` }] })
            .catch(() => undefined);
        } else if (roll < 0.4) {
          await handle.executeUpdate(claimUpdate, { args: [{ userId: agentId }] }).catch(() => undefined);
        } else if (roll < 0.55) {
          await handle
            .executeUpdate(replyUpdate, { args: [{ authorUserId: agentId, text: `reply ${round}` }] })
            .catch(() => undefined);
        } else if (roll < 0.65) {
          // Signals the main loop applies itself, with local writes: tags, a handover back to
          // routing (rule read and inline decision), a resolve that the next message reopens.
          await handle.signal(tagSignal, { tags: [`round-${round}`], by });
        } else if (roll < 0.75) {
          await handle.signal(handoverSignal, { to: { kind: 'routing' }, reason: `reroute ${round}`, by });
        } else if (roll < 0.8) {
          await handle.signal(resolveSignal, { by });
        }
        // Sometimes quick, sometimes long enough for a tier to come due in between.
        await sleep(rand() < 0.3 ? 450 + rand() * 400 : rand() * 150);
      }
    }

    const customers = Promise.all(CONTACTS.map(customer));
    // Half way, the worker goes away and comes back with an empty cache.
    await sleep(2_500);
    await stack.stopWorker();
    await sleep(700);
    await stack.startWorker();
    await customers;

    const db = stack.database.db;
    const ids = [...sent.values()].flat();
    await waitFor(
      async () => Number((await db('messages').whereIn('external_id', ids).count({ n: '*' }))[0]?.n) === ids.length,
      { what: `all ${ids.length} messages stored (seed ${seed})`, timeoutMs: 30_000, intervalMs: 200 },
    );
    const rows = await db('messages').whereIn('external_id', ids).select('external_id');
    expect(rows).toHaveLength(ids.length);
    // The clocks ran beside the writes: some tier fired in some conversation.
    const tiers = await db('events').whereIn('type', ['sla_breached', 'escalated']).count({ n: '*' });
    expect(Number(tiers[0]?.n)).toBeGreaterThan(0);

    // Every run of every conversation, replayed from its live history.
    let localWrites = 0;
    let mainLoopChanges = 0;
    let runs = 0;
    for await (const wf of stack.client.workflow.list({ query: `WorkflowType = 'conversationWorkflow'` })) {
      const history = await stack.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      const events = history.events ?? [];
      // A run's first message is stored by its opening.
      localWrites += events.filter((e) =>
        ['recordInboundMessage', 'openConversationWithMessage'].includes(localActivityType(e) ?? ''),
      ).length;
      mainLoopChanges += events.filter((e) => localActivityType(e) === 'recordChange').length;
      const failedTasks = events
        .map((e) => e.workflowTaskFailedEventAttributes?.failure?.message)
        .filter((m): m is string => typeof m === 'string');
      expect({ workflowId: wf.workflowId, failedTasks }).toEqual({ workflowId: wf.workflowId, failedTasks: [] });
      await Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, wf.workflowId);
      runs += 1;
    }
    expect(runs).toBeGreaterThanOrEqual(CONTACTS.length);
    expect(localWrites).toBeGreaterThan(ids.length / 2);
    // The main loop applied changes (openings, routing, signals) with local writes in between.
    expect(mainLoopChanges).toBeGreaterThan(CONTACTS.length);
    // Every conversation was routed by a rule at least once, on opening (reroutes race with claims).
    const routings = await db('events')
      .where({ type: 'assigned' })
      .whereRaw(`data->>'reason' like 'rule%'`)
      .count({ n: '*' });
    expect(Number(routings[0]?.n)).toBeGreaterThanOrEqual(CONTACTS.length);
  });
});
