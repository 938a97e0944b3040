/**
 * A workflow task that fails after its local activities wrote to the projection (a worker paused
 * past the task's timeout, or killed) is retried with whatever arrived meanwhile. The retried task
 * must write what the failed one wrote under the same ids, so the projection stores it once
 * (effect-ids.ts). Real dev server, the workflows bundled with a test interceptor that fails the
 * task once; recording fakes for the activities, then the real ones on a real Postgres.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { createActivities, type Activities } from '../../activities';
import { createChannelRegistry } from '../../activities/channels/registry';
import { createLocalMediaStorage } from '../../activities/media/storage';
import {
  CONVERSATION_WORKFLOW_TYPE,
  conversationWorkflowId,
  inboundMessageSignal,
  type ConversationInput,
  type InboundMessage,
} from '../../workflows/conversation/contract';
import { createTestDatabase } from '../support/db';
import { FAIL_WORKFLOW_TASK } from '../support/fail-task-once.interceptor';
import { addMember, upsertChannel, upsertTeam, upsertUser } from '../support/factories';
import { recordingActivities } from '../support/recording-activities';
import { startTestTemporal, uniqueTaskQueue } from '../support/temporal';
import { waitFor } from '../support/wait-for';

const message = (id: string, text: string): InboundMessage => ({
  externalId: id,
  sentAt: Date.now(),
  contact: { key: '447700900321', waId: '447700900321', displayName: 'Amal Haddad' },
  content: { type: 'text', text },
});

describe('a workflow task retried after its local writes committed', () => {
  let env: TestWorkflowEnvironment;
  let workflowBundle: { code: string };

  beforeAll(async () => {
    [env, workflowBundle] = await Promise.all([
      startTestTemporal(),
      bundleWorkflowCode({
        workflowsPath: require.resolve('../../workflows'),
        workflowInterceptorModules: [require.resolve('../support/fail-task-once.interceptor')],
        logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} },
      }),
    ]);
  });
  afterAll(async () => {
    await env?.teardown();
  });

  /**
   * The activities, except that the first write of a routing fails its workflow task once it has
   * committed, after a second customer message arrived (so the retried task sees a burst of two).
   */
  function failingAfterRouting(activities: Activities, workflowId: string) {
    let routingWrites = 0;
    const wrapped: Activities = {
      ...activities,
      async recordChange(change) {
        const result = await activities.recordChange(change);
        if (!change.events.some((e) => e.type === 'assigned')) return result;
        if (++routingWrites > 1) return result;
        await env.client.workflow.getHandle(workflowId).signal(inboundMessageSignal, message('wamid.r2', 'Hello?'));
        return { ...result, [FAIL_WORKFLOW_TASK]: true };
      },
    };
    /** How many times a routing was written (committed): by the failed task, then by its retry. */
    return { activities: wrapped, routingWrites: () => routingWrites };
  }

  function start(workflowId: string, taskQueue: string, input: ConversationInput) {
    return env.client.workflow.signalWithStart(CONVERSATION_WORKFLOW_TYPE, {
      workflowId,
      taskQueue,
      args: [input],
      signal: inboundMessageSignal,
      signalArgs: [message('wamid.r1', 'Where is my parcel?')],
    });
  }

  it('writes the routing and the customer message again under the same ids', async () => {
    const fakes = recordingActivities();
    const taskQueue = uniqueTaskQueue('retried');
    const input: ConversationInput = {
      channelId: `ch-${taskQueue}`,
      channelKind: 'whatsapp',
      contactKey: '447700900321',
    };
    const workflowId = conversationWorkflowId(input.channelId, input.contactKey);
    const { activities } = failingAfterRouting(fakes.activities, workflowId);
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities });
    await worker.runUntil(async () => {
      const handle = await start(workflowId, taskQueue, input);
      const routings = await waitFor(
        () => {
          const calls = fakes.named('recordChange').filter((c) => c.events.some((e) => e.type === 'assigned'));
          return calls.length >= 2 && calls;
        },
        { what: 'the routing written by the failed task and by its retry' },
      );
      await waitFor(() => fakes.inboundStored().some((c) => c.externalId === 'wamid.r2'), {
        what: 'the second message',
      });

      // The task did fail after the write, and was retried.
      const { events } = await handle.fetchHistory();
      const failures = events!.flatMap((e) => e.workflowTaskFailedEventAttributes?.failure?.message ?? []);
      expect(failures).toEqual(['test: the workflow task fails after its local write committed']);

      // Both attempts wrote the routing: the same event and notification ids, so it is stored once.
      expect(routings).toHaveLength(2);
      const [first, retried] = routings;
      expect(retried!.events.map((e) => e.id)).toEqual(first!.events.map((e) => e.id));
      expect(retried!.notifications.map((n) => n.batchId)).toEqual(first!.notifications.map((n) => n.batchId));
      expect(first!.notifications.length).toBeGreaterThan(0);
      // The first message too, though the retried task recorded it together with the second.
      const firstMessage = fakes.inboundStored().filter((c) => c.externalId === 'wamid.r1');
      expect(firstMessage).toHaveLength(2);
      expect(firstMessage[1]!.messageId).toBe(firstMessage[0]!.messageId);
      const secondMessage = fakes.inboundStored().find((c) => c.externalId === 'wamid.r2');
      expect(secondMessage!.messageId).not.toBe(firstMessage[0]!.messageId);
    });
  });

  it('leaves one routing event and one notification per team member in Postgres', async () => {
    const database = await createTestDatabase();
    const mediaDir = await mkdtemp(path.join(tmpdir(), 'kliovo-retried-'));
    try {
      const { db } = database;
      const teamId = await upsertTeam(db, 'Support');
      const agents = await Promise.all(
        ['Nadia', 'Omar'].map((name) =>
          upsertUser(db, {
            email: `${name.toLowerCase()}@retried.test`,
            name,
            role: 'agent',
            password: 'retried-password',
          }),
        ),
      );
      for (const userId of agents) await addMember(db, teamId, userId);
      const channelId = await upsertChannel(db, {
        kind: 'whatsapp',
        name: 'Retried store',
        externalId: `2000${Date.now()}`,
        accessToken: 'retried-token',
        defaultTeamId: teamId,
      });
      await db('workspace_settings')
        .insert({ key: 'ai', value: JSON.stringify({ enabled: false, instructions: '', faq: [] }) })
        .onConflict('key')
        .merge();
      const taskQueue = uniqueTaskQueue('retried-pg');
      const input: ConversationInput = { channelId, channelKind: 'whatsapp', contactKey: '447700900321' };
      const workflowId = conversationWorkflowId(channelId, input.contactKey);
      const real = createActivities({
        db,
        // Nothing is sent here: the AI is off and nobody replies.
        channels: createChannelRegistry({ graphBaseUrl: 'http://127.0.0.1:9', graphVersion: 'v25.0' }),
        ai: { apiKey: undefined, baseUrl: 'http://127.0.0.1:9', model: 'gpt-test', timeoutMs: 1_000 },
        sla: { defaultTiersMs: [300_000, 900_000, 1_800_000] },
        temporal: { client: env.client, taskQueue },
        media: createLocalMediaStorage(mediaDir),
      });
      const { activities, routingWrites } = failingAfterRouting(real, workflowId);
      const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities });
      await worker.runUntil(async () => {
        const handle = await start(workflowId, taskQueue, input);
        const conversation = await waitFor(
          async () => {
            const row = await db('conversations').where({ workflow_id: workflowId }).first('id');
            if (!row || routingWrites() < 2) return undefined;
            const [counted] = await db('messages').where({ conversation_id: row.id }).count({ n: '*' });
            return Number(counted?.n) === 2 && row;
          },
          { what: 'both customer messages and the retried routing in the projection' },
        );
        const { events } = await handle.fetchHistory();
        expect(events!.filter((e) => e.workflowTaskFailedEventAttributes)).toHaveLength(1);

        const assigned = await db('events').where({ conversation_id: conversation.id, type: 'assigned' });
        expect(assigned).toHaveLength(1);
        const notified = await db('notifications').where({ conversation_id: conversation.id }).pluck('user_id');
        expect(notified.sort()).toEqual([...agents].sort());
        expect(await db('messages').where({ conversation_id: conversation.id }).pluck('external_id')).toEqual(
          expect.arrayContaining(['wamid.r1', 'wamid.r2']),
        );
      });
    } finally {
      await database.drop();
      await rm(mediaDir, { recursive: true, force: true });
    }
  });
});
