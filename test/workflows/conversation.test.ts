/**
 * conversationWorkflow on a real Temporal dev server, with typed recording fakes for its
 * activities: what the workflow decides and projects, not how the activities do it.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../activities';
import {
  CONVERSATION_WORKFLOW_TYPE,
  conversationWorkflowId,
  inboundMessageSignal,
  replyUpdate,
  stateQuery,
  type ConversationInput,
  type InboundMessage,
} from '../../workflows/conversation/contract';
import { ErrorType } from '../../workflows/shared/errors';
import { INBOX_CHANNEL, INBOX_STATUS, INBOX_TEAM } from '../../workflows/shared/search-attributes';
import { startTestTemporal, uniqueTaskQueue, workflowBundle } from '../support/temporal';
import { waitFor } from '../support/wait-for';

type Call = { [K in keyof Activities]: { name: K; input: Parameters<Activities[K]>[0] } }[keyof Activities];

/** Fakes typed as Activities, so a changed activity signature fails the type check here. */
function recordingActivities(opts: { sendFails?: 'permanent' } = {}) {
  const calls: Call[] = [];
  const record = <K extends keyof Activities>(name: K, input: Parameters<Activities[K]>[0]) =>
    calls.push({ name, input } as Call);
  const activities: Activities = {
    async openConversation(input) {
      record('openConversation', input);
      return { conversationId: 'conv-row-1', contactId: 'contact-1', version: 0, defaultTeamId: 'team-support' };
    },
    async recordInboundMessage(input) {
      record('recordInboundMessage', input);
      return { stored: true };
    },
    async recordOutboundMessage(input) {
      record('recordOutboundMessage', input);
    },
    async recordMessageFailure(input) {
      record('recordMessageFailure', input);
    },
    async sendChannelMessage(input) {
      record('sendChannelMessage', input);
      if (opts.sendFails === 'permanent') {
        throw ApplicationFailure.create({
          message: 'WhatsApp refused the message (131047): Re-engagement message',
          type: ErrorType.ChannelPermanentFailure,
          nonRetryable: true,
          details: [{ code: 131047 }],
        });
      }
      return { externalId: `wamid.sent-${input.messageId}` };
    },
  };
  const named = <K extends keyof Activities>(name: K) =>
    calls.filter((c) => c.name === name).map((c) => c.input as Parameters<Activities[K]>[0]);
  return { activities, calls, named };
}

const message = (id: string, text: string, sentAt = 1_767_702_000_000): InboundMessage => ({
  externalId: id,
  sentAt,
  contact: { key: '447700900123', waId: '447700900123', displayName: 'Priya Shah' },
  content: { type: 'text', text },
});

describe('conversationWorkflow', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await startTestTemporal();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  async function withWorker<T>(fakes: ReturnType<typeof recordingActivities>, body: (taskQueue: string) => Promise<T>) {
    const taskQueue = uniqueTaskQueue('conv');
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: workflowBundle(),
      activities: fakes.activities,
    });
    return worker.runUntil(body(taskQueue));
  }

  async function start(taskQueue: string, first: InboundMessage) {
    const workflowId = conversationWorkflowId(`ch-${taskQueue}`, first.contact.key);
    const input: ConversationInput = {
      channelId: `ch-${taskQueue}`,
      channelKind: 'whatsapp',
      contactKey: first.contact.key,
    };
    return env.client.workflow.signalWithStart(CONVERSATION_WORKFLOW_TYPE, {
      workflowId,
      taskQueue,
      args: [input],
      signal: inboundMessageSignal,
      signalArgs: [first],
      typedSearchAttributes: [
        { key: INBOX_STATUS, value: 'queued' },
        { key: INBOX_CHANNEL, value: 'whatsapp' },
      ],
    });
  }

  it('opens the conversation, records the first message at a higher version and queues it in the default team', async () => {
    const fakes = recordingActivities();
    await withWorker(fakes, async (taskQueue) => {
      const handle = await start(taskQueue, message('wamid.1', 'Is my order shipped?'));
      await waitFor(() => fakes.named('recordInboundMessage').length === 1, { what: 'the inbound projection' });

      const [opened] = fakes.named('openConversation');
      expect(opened?.contact).toEqual({ key: '447700900123', waId: '447700900123', displayName: 'Priya Shah' });
      const [recorded] = fakes.named('recordInboundMessage');
      expect(recorded).toMatchObject({
        conversationId: 'conv-row-1',
        externalId: 'wamid.1',
        content: { type: 'text', text: 'Is my order shipped?' },
        snapshot: { version: 1, status: 'queued', teamId: 'team-support', waitingSince: 1_767_702_000_000 },
      });

      const state = await handle.query(stateQuery);
      expect(state).toMatchObject({ status: 'queued', teamId: 'team-support', version: 1 });
      const description = await waitFor(
        async () => {
          const d = await handle.describe();
          return d.typedSearchAttributes.get(INBOX_TEAM) === 'team-support' ? d : undefined;
        },
        { what: 'the InboxTeam search attribute' },
      );
      expect(description.typedSearchAttributes.get(INBOX_STATUS)).toBe('queued');
      expect(description.typedSearchAttributes.get(INBOX_CHANNEL)).toBe('whatsapp');
    });
  });

  it('records a redelivered message once and keeps later messages in order', async () => {
    const fakes = recordingActivities();
    await withWorker(fakes, async (taskQueue) => {
      const handle = await start(taskQueue, message('wamid.1', 'first'));
      await handle.signal(inboundMessageSignal, message('wamid.1', 'first'));
      await handle.signal(inboundMessageSignal, message('wamid.2', 'second', 1_767_702_010_000));
      await waitFor(() => fakes.named('recordInboundMessage').length === 2, { what: 'two projections' });

      expect(fakes.named('recordInboundMessage').map((c) => [c.externalId, c.snapshot.version])).toEqual([
        ['wamid.1', 1],
        ['wamid.2', 2],
      ]);
      // The SLA clock keeps the first unanswered message's time.
      expect((await handle.query(stateQuery)).waitingSince).toBe(1_767_702_000_000);
    });
  });

  it('stores an agent reply before sending it, sends it once and stops the SLA clock', async () => {
    const fakes = recordingActivities();
    await withWorker(fakes, async (taskQueue) => {
      const handle = await start(taskQueue, message('wamid.1', 'hello'));
      await waitFor(() => fakes.named('recordInboundMessage').length === 1, { what: 'the inbound projection' });

      const result = await handle.executeUpdate(replyUpdate, {
        args: [{ authorUserId: 'agent-1', text: '  On its way!  ' }],
      });

      const [stored] = fakes.named('recordOutboundMessage');
      expect(stored).toMatchObject({
        authorKind: 'agent',
        authorUserId: 'agent-1',
        text: 'On its way!',
        snapshot: { version: 2, waitingSince: null },
      });
      expect(fakes.calls.map((c) => c.name).slice(-2)).toEqual(['recordOutboundMessage', 'sendChannelMessage']);
      expect(result).toEqual({
        messageId: stored!.messageId,
        status: 'sent',
        externalId: `wamid.sent-${stored!.messageId}`,
      });
      expect((await handle.query(stateQuery)).waitingSince).toBeNull();
    });
  });

  it('shows a permanently refused reply as failed with the provider reason', async () => {
    const fakes = recordingActivities({ sendFails: 'permanent' });
    await withWorker(fakes, async (taskQueue) => {
      const handle = await start(taskQueue, message('wamid.1', 'hello'));
      await waitFor(() => fakes.named('recordInboundMessage').length === 1, { what: 'the inbound projection' });

      const result = await handle.executeUpdate(replyUpdate, {
        args: [{ authorUserId: 'agent-1', text: 'Hello again' }],
      });

      expect(result.status).toBe('failed');
      expect(result.error).toContain('131047');
      expect(fakes.named('sendChannelMessage')).toHaveLength(1);
      expect(fakes.named('recordMessageFailure')).toEqual([
        {
          messageId: result.messageId,
          code: 131047,
          reason: 'WhatsApp refused the message (131047): Re-engagement message',
        },
      ]);
    });
  });

  it('rejects an empty or oversized reply in the validator, writing nothing', async () => {
    const fakes = recordingActivities();
    await withWorker(fakes, async (taskQueue) => {
      const handle = await start(taskQueue, message('wamid.1', 'hello'));
      await waitFor(() => fakes.named('recordInboundMessage').length === 1, { what: 'the inbound projection' });

      for (const text of ['   ', 'x'.repeat(4097)]) {
        const attempt = handle.executeUpdate(replyUpdate, { args: [{ authorUserId: 'agent-1', text }] });
        await expect(attempt).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
        await expect(attempt).rejects.toMatchObject({ cause: { type: ErrorType.InvalidInput } });
      }
      expect(fakes.named('recordOutboundMessage')).toHaveLength(0);
      expect(fakes.named('sendChannelMessage')).toHaveLength(0);
      const history = await handle.fetchHistory();
      const updateEvents = history.events?.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes) ?? [];
      expect(updateEvents).toHaveLength(0);
    });
  });
});
