/**
 * The conversation workflow on real parts, in-process: a Temporal dev server, a fresh Postgres
 * database, the real activities (projection, routing, AI, sends) in a worker that a test can stop
 * and restart, and local fakes for Meta's Graph API and OpenAI. Tests drive it the way the product
 * does: inbound messages through `deliverInbound` (api/temporal.ts), agent actions as the
 * conversation's signals and updates.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createChannelRegistry } from '../../activities/channels/registry';
import { createLocalMediaStorage } from '../../activities/media/storage';
import type { ActivityDeps } from '../../activities';
import { deliverInbound, KnownRuns } from '../../api/temporal';
import { createInboxWorker } from '../../workers/create-worker';
import type { conversationWorkflow } from '../../workflows/conversation/conversation.workflow';
import { createTestDatabase, type TestDatabase } from './db';
import { addMember, upsertChannel, upsertTeam, upsertUser } from './factories';
import { startFakeGraph, type FakeGraph } from './fake-graph';
import { startFakeOpenAi, type FakeOpenAi } from './fake-openai';
import { recordHistories } from './record-histories';
import { startTestTemporal, uniqueTaskQueue, workflowBundle } from './temporal';

export const ACCESS_TOKEN = 'stack-wa-token';
export const OPENAI_KEY = 'stack-openai-key';

export interface StackOptions {
  /** Default SLA tiers in ms (teams without a policy row use them). */
  slaTiersMs?: [number, number, number];
  /** 'model': the fake OpenAI answers; 'fallback': no key; 'off': AI disabled in settings. */
  ai?: 'model' | 'fallback' | 'off';
  /** With RECORD_HISTORIES=1, the stack writes its conversation histories as replay fixtures. */
  historyPrefix?: string;
}

export interface WorkflowStack {
  env: TestWorkflowEnvironment;
  client: Client;
  database: TestDatabase;
  graph: FakeGraph;
  openai: FakeOpenAi;
  taskQueue: string;
  channelId: string;
  supportTeamId: string;
  /** Where the worker copies inbound media (a temporary directory, removed by close()). */
  mediaDir: string;
  /** The runs `deliver` signals directly, as the web's ingest does. */
  knownRuns: KnownRuns;
  /** Delivers a customer text as the webhook would; returns the conversation's handle. */
  deliver(
    contactKey: string,
    text: string,
    opts?: { id?: string; name?: string; sentAt?: number },
  ): Promise<ConversationHandle>;
  handle(contactKey: string): ConversationHandle;
  /** The projection row of a contact's conversation, once it exists. */
  conversationRow(contactKey: string): Promise<Record<string, any> | undefined>;
  stopWorker(): Promise<void>;
  startWorker(): Promise<void>;
  close(): Promise<void>;
}

export type ConversationHandle = WorkflowHandle<typeof conversationWorkflow>;

let messageCounter = 0;

export async function startWorkflowStack(opts: StackOptions = {}): Promise<WorkflowStack> {
  const [env, database, graph, openai] = await Promise.all([
    startTestTemporal(),
    createTestDatabase(),
    startFakeGraph({ accessTokens: [ACCESS_TOKEN] }),
    startFakeOpenAi({ apiKey: OPENAI_KEY }),
  ]);
  const db = database.db;
  const supportTeamId = await upsertTeam(db, 'Support');
  const channelId = await upsertChannel(db, {
    kind: 'whatsapp',
    name: 'Stack store',
    externalId: `1000${Date.now()}`,
    accessToken: ACCESS_TOKEN,
    defaultTeamId: supportTeamId,
  });
  const aiMode = opts.ai ?? 'off';
  await db('workspace_settings')
    .insert({ key: 'ai', value: JSON.stringify({ enabled: aiMode !== 'off', instructions: '', faq: [] }) })
    .onConflict('key')
    .merge();

  const taskQueue = uniqueTaskQueue('stack');
  const mediaDir = await mkdtemp(path.join(tmpdir(), 'kliovo-media-'));
  const deps: ActivityDeps = {
    db,
    channels: createChannelRegistry({ graphBaseUrl: graph.url, graphVersion: 'v25.0' }),
    ai: {
      apiKey: aiMode === 'model' ? OPENAI_KEY : undefined,
      baseUrl: openai.baseUrl,
      model: 'gpt-test',
      timeoutMs: 5_000,
    },
    sla: { defaultTiersMs: opts.slaTiersMs ?? [300_000, 900_000, 1_800_000] },
    temporal: { client: env.client, taskQueue },
    media: createLocalMediaStorage(mediaDir),
  };

  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  async function startWorker() {
    worker = await createInboxWorker({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      deps,
      workflowBundlePath: workflowBundle().codePath,
    });
    running = worker.run();
  }
  async function stopWorker() {
    worker?.shutdown();
    await running;
    worker = undefined;
    running = undefined;
  }
  await startWorker();

  const knownRuns = new KnownRuns();
  const handle = (contactKey: string) =>
    env.client.workflow.getHandle<typeof conversationWorkflow>(`conv:${channelId}:${contactKey}`);

  return {
    env,
    client: env.client,
    database,
    graph,
    openai,
    taskQueue,
    channelId,
    supportTeamId,
    mediaDir,
    knownRuns,
    async deliver(contactKey, text, o = {}) {
      await deliverInbound(env.client, {
        taskQueue,
        knownRuns,
        channel: { id: channelId, kind: 'whatsapp' },
        message: {
          externalId: o.id ?? `wamid.stack-${process.pid}-${++messageCounter}`,
          sentAt: o.sentAt ?? Date.now(),
          contact: { key: contactKey, waId: contactKey, displayName: o.name ?? `Customer ${contactKey}` },
          content: { type: 'text', text },
        },
      });
      return handle(contactKey);
    },
    handle,
    async conversationRow(contactKey) {
      return db('conversations')
        .where({ workflow_id: `conv:${channelId}:${contactKey}` })
        .first();
    },
    stopWorker,
    startWorker,
    async close() {
      try {
        if (process.env.RECORD_HISTORIES === '1' && opts.historyPrefix) {
          await recordHistories(env.client, env.connection.options.address!, opts.historyPrefix);
        }
      } finally {
        await stopWorker().catch(() => undefined);
      }
      await Promise.all([graph.close(), openai.close()]);
      await database.drop();
      await env.teardown();
      await rm(mediaDir, { recursive: true, force: true });
    },
  };
}

/** A team with agents (online unless told otherwise), for routing and SLA tests. */
export async function addAgent(
  stack: WorkflowStack,
  spec: {
    name: string;
    teamId: string;
    lead?: boolean;
    availability?: 'online' | 'away' | 'offline';
    capacity?: number;
    role?: 'agent' | 'admin' | 'owner';
  },
): Promise<string> {
  const userId = await upsertUser(stack.database.db, {
    email: `${spec.name.toLowerCase().replace(/\W+/g, '.')}@stack.test`,
    name: spec.name,
    role: spec.role ?? 'agent',
    password: 'stack-password',
    availability: spec.availability ?? 'online',
    capacity: spec.capacity ?? 10,
  });
  await addMember(stack.database.db, spec.teamId, userId, spec.lead ?? false);
  return userId;
}

export { upsertTeam };
