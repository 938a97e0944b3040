/**
 * conversationWorkflow on a real Temporal dev server, with typed recording fakes for its
 * activities: what the workflow decides and projects, not how the activities do it.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
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
import { recordingActivities, type Call } from '../support/recording-activities';
import { startTestTemporal, uniqueTaskQueue, workflowBundle } from '../support/temporal';
import { waitFor } from '../support/wait-for';

/** The team the routing projection put the conversation in, once routing has run. */
function routedTo(fakes: ReturnType<typeof recordingActivities>): string | undefined {
  const change = fakes.named('recordChange').find((c) => c.events.some((e) => e.type === 'assigned'));
  return change?.snapshot?.teamId ?? undefined;
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

  it('opens the conversation with its first message and routes it to the default team in its next write', async () => {
    const fakes = recordingActivities();
    await withWorker(fakes, async (taskQueue) => {
      const handle = await start(taskQueue, message('wamid.1', 'Is my order shipped?'));
      await waitFor(() => routedTo(fakes), { what: 'routing' });

      // One local activity opens the row, stores the message and reads the routing rule (issue #6).
      const [opened] = fakes.named('openConversationWithMessage');
      expect(opened).toMatchObject({
        contact: { key: '447700900123', waId: '447700900123', displayName: 'Priya Shah' },
        snapshot: { version: 0 },
        message: { externalId: 'wamid.1', content: { type: 'text', text: 'Is my order shipped?' } },
        readRoutingRule: true,
      });
      expect(fakes.named('openConversation')).toEqual([]);
      expect(fakes.named('recordInboundMessage')).toEqual([]);
      expect(fakes.named('chooseRoutingRule')).toEqual([]);
      // The opening wrote the message with the snapshot of the state it leaves (from the row's
      // version and the channel's team it read); the workflow holds that state and went on from it.
      const [first] = fakes.inboundStored();
      expect(first!.snapshot).toMatchObject({
        version: 1,
        status: 'queued',
        teamId: 'team-support',
        waitingSince: 1_767_702_000_000,
        lastInboundAt: 1_767_702_000_000,
      });
      // Without the AI the default rule keeps it in the channel's team queue: the routing's write.
      const [routing, ...later] = fakes.named('recordChange');
      expect(routing).toMatchObject({
        conversationId: 'conv-row-1',
        snapshot: { ...first!.snapshot, version: 2 },
      });
      expect(routing!.events.map((e) => e.type)).toEqual(['assigned']);
      expect(later.filter((c) => c.snapshot && c.snapshot.version <= 2)).toEqual([]);
      const state = await handle.query(stateQuery);
      expect(state).toMatchObject({ status: 'queued', teamId: 'team-support' });
      // Routing and the SLA clock (loading the team's policy) each moved the version on.
      expect(state.version).toBeGreaterThanOrEqual(2);
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
      await waitFor(() => fakes.inboundStored().length === 2, { what: 'two projections' });

      const recorded = fakes.inboundStored();
      expect(recorded.map((c) => c.externalId)).toEqual(['wamid.1', 'wamid.2']);
      // Versions only rise (routing and the SLA clock took some in between).
      expect(recorded[0]!.snapshot.version).toBe(1);
      const routing = fakes.named('recordChange').find((c) => c.events.some((e) => e.type === 'assigned'));
      expect(recorded[1]!.snapshot.version).toBeGreaterThan(routing!.snapshot!.version);
      // The SLA clock keeps the first unanswered message's time.
      expect((await handle.query(stateQuery)).waitingSince).toBe(1_767_702_000_000);
    });
  });

  it('stores an agent reply before sending it, sends it once and stops the SLA clock', async () => {
    const fakes = recordingActivities();
    await withWorker(fakes, async (taskQueue) => {
      const handle = await start(taskQueue, message('wamid.1', 'hello', Date.now()));
      await waitFor(() => fakes.inboundStored().length === 1, { what: 'the inbound projection' });

      await waitFor(() => routedTo(fakes), { what: 'routing' });
      const result = await handle.executeUpdate(replyUpdate, {
        args: [{ authorUserId: 'agent-1', text: '  On its way!  ' }],
      });

      const [stored] = fakes.named('recordOutboundMessage');
      expect(stored).toMatchObject({
        authorKind: 'agent',
        authorUserId: 'agent-1',
        text: 'On its way!',
        snapshot: { waitingSince: null, assigneeId: 'agent-1', status: 'assigned' },
      });
      const before = fakes.calls.slice(
        0,
        fakes.calls.findIndex((c) => c.name === 'recordOutboundMessage'),
      );
      const versionOf = (c: Call) => (c.input as { snapshot?: { version: number } | null }).snapshot?.version ?? 0;
      expect(stored!.snapshot.version).toBeGreaterThan(Math.max(...before.map(versionOf)));
      // Stored before it is sent, and sent once (the SLA clock may record its own changes between).
      const names = fakes.calls.map((c) => c.name);
      expect(names.indexOf('sendChannelMessage')).toBeGreaterThan(names.indexOf('recordOutboundMessage'));
      expect(names.filter((n) => n === 'sendChannelMessage')).toHaveLength(1);
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
      const handle = await start(taskQueue, message('wamid.1', 'hello', Date.now()));
      await waitFor(() => fakes.inboundStored().length === 1, { what: 'the inbound projection' });

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
      const handle = await start(taskQueue, message('wamid.1', 'hello', Date.now()));
      await waitFor(() => fakes.inboundStored().length === 1, { what: 'the inbound projection' });

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
