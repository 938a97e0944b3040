/**
 * The call stack the Temporal UI shows for a conversation (its `__stack_trace` and
 * `__enhanced_stack_trace` queries), on the SDK as this project patches it (patches/README.md):
 * the promise hook that records a stack trace for every promise a workflow creates is installed
 * only on a worker started with WORKER_WORKFLOW_STACK_TRACES=on. By default the query says so, and
 * what managers read (the `state` query) still answers; with the setting, an engineer sees where a
 * waiting conversation is in the workflow's own source: the SLA clock's timer, the snooze alarm.
 * Real dev server; recording fakes for the activities.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import {
  CONVERSATION_WORKFLOW_TYPE,
  conversationWorkflowId,
  inboundMessageSignal,
  stateQuery,
  type ConversationInput,
} from '../../workflows/conversation/contract';
import { recordingActivities } from '../support/recording-activities';
import { startTestTemporal, uniqueTaskQueue, workflowBundle } from '../support/temporal';
import { waitFor } from '../support/wait-for';

interface EnhancedStackTrace {
  sdk: { name: string };
  stacks: { locations: { file_path?: string; function_name?: string; line?: number }[] }[];
}

describe('the call stack of a waiting conversation', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await startTestTemporal();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  /**
   * A worker whose workflow thread starts with WORKER_WORKFLOW_STACK_TRACES as given (the thread
   * reads it when the worker creates it), running one conversation that waits for its first tier.
   */
  async function withWaitingConversation(
    stackTraces: 'on' | undefined,
    body: (handle: WorkflowHandle) => Promise<void>,
  ) {
    const taskQueue = uniqueTaskQueue('stack');
    const before = process.env.WORKER_WORKFLOW_STACK_TRACES;
    if (stackTraces) process.env.WORKER_WORKFLOW_STACK_TRACES = stackTraces;
    else delete process.env.WORKER_WORKFLOW_STACK_TRACES;
    let worker: Worker;
    try {
      worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        workflowBundle: workflowBundle(),
        activities: recordingActivities().activities,
      });
    } finally {
      if (before === undefined) delete process.env.WORKER_WORKFLOW_STACK_TRACES;
      else process.env.WORKER_WORKFLOW_STACK_TRACES = before;
    }
    await worker.runUntil(async () => {
      const input: ConversationInput = {
        channelId: `ch-${taskQueue}`,
        channelKind: 'whatsapp',
        contactKey: '447700900456',
      };
      const handle = await env.client.workflow.signalWithStart(CONVERSATION_WORKFLOW_TYPE, {
        workflowId: conversationWorkflowId(input.channelId, input.contactKey),
        taskQueue,
        args: [input],
        signal: inboundMessageSignal,
        signalArgs: [
          {
            externalId: 'wamid.stack.1',
            sentAt: Date.now(),
            contact: { key: '447700900456', waId: '447700900456', displayName: 'Lina Haddad' },
            content: { type: 'text', text: 'Where is my parcel?' },
          },
        ],
      });
      // Routed and waiting for an agent: the SLA clock's first tier timer is running.
      await waitFor(async () => (await handle.query(stateQuery)).sla !== null, { what: 'the first tier due' });
      await body(handle);
    });
  }

  it('by default says the worker keeps no stack traces, and the state query still answers', async () => {
    await withWaitingConversation(undefined, async (handle) => {
      await expect(handle.query('__stack_trace')).rejects.toThrow(/stack traces are not enabled/);
      await expect(handle.query('__enhanced_stack_trace')).rejects.toThrow(/stack traces are not enabled/);
      expect(await handle.query(stateQuery)).toMatchObject({ status: 'queued', sla: { nextTier: 'sla-standard' } });
    });
  });

  it('with WORKER_WORKFLOW_STACK_TRACES=on names the SLA clock and the snooze alarm in the workflow source', async () => {
    await withWaitingConversation('on', async (handle) => {
      const stack = await handle.query<string>('__stack_trace');
      // Each waiting promise's frames, source-mapped to the TypeScript the bundle was built from.
      expect(stack).toMatch(/at runSlaClock \(\S*conversation\.workflow\.ts:\d+:\d+\)/);
      expect(stack).toMatch(/at runSnoozeAlarm \(\S*conversation\.workflow\.ts:\d+:\d+\)/);

      const enhanced = await handle.query<EnhancedStackTrace>('__enhanced_stack_trace');
      expect(enhanced.sdk.name).toBe('typescript');
      expect(enhanced.stacks.flatMap((s) => s.locations)).toContainEqual(
        expect.objectContaining({
          function_name: 'runSlaClock',
          file_path: expect.stringMatching(/conversation\.workflow\.ts$/),
          line: expect.any(Number),
        }),
      );
    });
  });
});
