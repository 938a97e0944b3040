/**
 * A long conversation keeps its history bounded with continue-as-new (DESIGN §3): 3,000 customer
 * messages cross several runs, every one is recorded under exactly one id and in order, and the
 * state and the dedupe memory travel with it, so a redelivered message from an earlier run is
 * still ignored.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import {
  CONVERSATION_WORKFLOW_TYPE,
  conversationWorkflowId,
  inboundMessageSignal,
  stateQuery,
  tagSignal,
  type ConversationInput,
  type InboundMessage,
} from '../../workflows/conversation/contract';
import { recordingActivities } from '../support/recording-activities';
import { startTestTemporal, uniqueTaskQueue, workflowBundle } from '../support/temporal';
import { waitFor } from '../support/wait-for';
import { WORKFLOW_TASK_TIMEOUT } from '../../workflows/shared/workflow-task-timeout';

const MESSAGES = Number(process.env.LONG_CONVERSATION_MESSAGES ?? 3_000);
const T0 = 1_767_702_000_000;

const message = (n: number): InboundMessage => ({
  externalId: `wamid.long-${n}`,
  sentAt: T0 + n * 1_000,
  contact: { key: '447700900999', waId: '447700900999', displayName: 'Long Talker' },
  content: { type: 'text', text: `message ${n}` },
});

describe('a 3,000-message conversation', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await startTestTemporal();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('continues as new and keeps every message, its state and its dedupe memory', async () => {
    const fakes = recordingActivities();
    const taskQueue = uniqueTaskQueue('long');
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: workflowBundle(),
      activities: fakes.activities,
    });
    await worker.runUntil(async () => {
      const input: ConversationInput = { channelId: 'ch-long', channelKind: 'whatsapp', contactKey: '447700900999' };
      const handle = await env.client.workflow.signalWithStart(CONVERSATION_WORKFLOW_TYPE, {
        workflowId: conversationWorkflowId('ch-long', '447700900999'),
        taskQueue,
        workflowTaskTimeout: WORKFLOW_TASK_TIMEOUT,
        args: [input],
        signal: inboundMessageSignal,
        signalArgs: [message(0)],
      });
      const firstRunId = handle.signaledRunId;
      await handle.signal(tagSignal, { tags: ['long-haul'], by: { kind: 'system' } });

      const distinctRecorded = () => new Set(fakes.inboundStored().map((r) => r.externalId)).size;
      // One contact's messages are delivered in order, as the webhook ingest does; signals address
      // the workflow id, so they reach whichever run is current. Just after the first continue-as-new,
      // 50 messages the previous run recorded are delivered again: the dedupe memory travelled.
      const redelivered: number[] = [];
      for (let n = 1; n < MESSAGES; n++) {
        await handle.signal(inboundMessageSignal, message(n));
        if (redelivered.length > 0 || n % 50 !== 0) continue;
        // Every 50 messages the sender waits for the workflow to catch up, as a customer waits for
        // an answer. A stream that never pauses can keep a continue-as-new from completing: the
        // server refuses a task that closes the run while new signals arrived (UnhandledCommand),
        // and each retry replays the whole history first. On a busy machine that once went on for
        // 14 attempts until all 3,000 messages were sent, and the redelivery below never ran.
        await waitFor(() => distinctRecorded() >= n, { timeoutMs: 60_000, what: `messages up to ${n} recorded` });
        const current = await handle.describe();
        if (current.runId === firstRunId) continue;
        await waitFor(() => distinctRecorded() >= n + 1, { timeoutMs: 60_000, what: `messages up to ${n} recorded` });
        const seenHere = countSignals((await handle.fetchHistory()).events ?? []);
        const recordedBefore = distinctRecorded() - seenHere;
        expect(recordedBefore).toBeGreaterThan(50);
        redelivered.push(...Array.from({ length: 50 }, (_, i) => recordedBefore - 50 + i));
        await Promise.all(redelivered.map((k) => handle.signal(inboundMessageSignal, message(k))));
      }
      expect(redelivered).toHaveLength(50);
      await waitFor(() => distinctRecorded() >= MESSAGES, {
        timeoutMs: 240_000,
        intervalMs: 250,
        what: 'all messages recorded',
      });

      // Each message is written under one id. The write is a local activity: when signals race a
      // continue-as-new, the server refuses that workflow task (UnhandledCommand) and the writes
      // made in it run again, with the same ids, so the projection still gets one row each.
      const all = fakes.inboundStored();
      const idsOf = messageIdsByExternalId(all);
      expect(idsOf.size).toBe(MESSAGES);
      expect([...idsOf.values()].filter((ids) => ids.size !== 1)).toEqual([]);
      const recorded = [...new Map(all.map((r) => [r.externalId, r])).values()];
      expect(recorded).toHaveLength(MESSAGES);
      // In message order, projection versions only rise, across runs too (a burst's writes run in
      // parallel, so they may reach the database in any order: the version guard keeps the newest).
      const byMessage = [...recorded].sort((a, b) => a.sentAt - b.sentAt);
      for (let i = 1; i < byMessage.length; i++) {
        expect(byMessage[i]!.snapshot.version).toBeGreaterThan(byMessage[i - 1]!.snapshot.version);
      }

      const current = await handle.describe();
      expect(current.runId).not.toBe(firstRunId);
      // The short task timeout (a killed worker's task comes back in 5 s, not 10) survives the hop.
      expect(current.raw.executionConfig?.defaultWorkflowTaskTimeout?.seconds?.toString()).toBe('5');
      const runs: string[] = [];
      for await (const wf of env.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) {
        runs.push(wf.runId);
      }
      expect(runs.length).toBeGreaterThan(1);

      const state = await handle.query(stateQuery);
      expect(state).toMatchObject({
        tags: ['long-haul'],
        conversationId: 'conv-row-1',
        waitingSince: T0,
        lastInboundAt: T0 + (MESSAGES - 1) * 1_000,
      });

      // A message redelivered after everything, too: ignored; and the next new one is recorded.
      await handle.signal(inboundMessageSignal, message(MESSAGES - 1));
      await handle.signal(inboundMessageSignal, message(MESSAGES));
      await waitFor(() => fakes.inboundStored().some((r) => r.externalId === `wamid.long-${MESSAGES}`), {
        what: 'the one new message',
      });
      // Redelivered messages would have been written under a second id.
      const idsAfter = messageIdsByExternalId(fakes.inboundStored());
      expect(idsAfter.size).toBe(MESSAGES + 1);
      expect([...idsAfter].filter(([, ids]) => ids.size !== 1).map(([externalId]) => externalId)).toEqual([]);
    });
  }, 300_000);
});

/** The message ids each customer message was written under (one each, however often written). */
function messageIdsByExternalId(calls: { externalId: string; messageId: string }[]): Map<string, Set<string>> {
  const ids = new Map<string, Set<string>>();
  for (const r of calls) ids.set(r.externalId, (ids.get(r.externalId) ?? new Set()).add(r.messageId));
  return ids;
}

function countSignals(
  events: { workflowExecutionSignaledEventAttributes?: { signalName?: string | null } | null }[],
): number {
  return events.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'inboundMessage').length;
}
