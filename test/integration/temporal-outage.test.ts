/**
 * Temporal out of reach (issue #7): a webhook that cannot be handed to a workflow is answered 503
 * with Retry-After within the delivery deadline, so Meta redelivers it later, and nothing of it
 * is stored; the inbox keeps answering from Postgres and /healthz says what is down. The web
 * process stays up throughout.
 *
 * Real processes and a real Temporal dev server, which the test stops half way.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DELIVER_DEADLINE_MS } from '../../api/temporal';
import { conversationWorkflowId } from '../../workflows/conversation/contract';
import { apiToken } from '../support/api-token';
import { startApp, type RunningApp } from '../support/app-processes';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { addMember, upsertChannel, upsertTeam, upsertUser } from '../support/factories';
import { startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { startTestTemporal, uniqueTaskQueue } from '../support/temporal';
import { waitFor } from '../support/wait-for';
import { metaJson, signature, whatsappTextWebhook } from '../support/webhooks';

const APP_SECRET = 'outage-app-secret';
const PHONE_NUMBER_ID = '100000000000543';
const ACCESS_TOKEN = 'outage-wa-token';
const PASSWORD = 'correct horse battery';

describe('with the Temporal server gone', () => {
  let temporal: TestWorkflowEnvironment | undefined;
  let database: TestDatabase;
  let graph: FakeGraph;
  let app: RunningApp;
  let token: string;
  let channelId: string;

  const webhook = (from: string, id: string, text: string) =>
    metaJson(whatsappTextWebhook({ phoneNumberId: PHONE_NUMBER_ID, from, id, text }));
  const post = (raw: Buffer) =>
    fetch(`${app.baseUrl}/webhooks/whatsapp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature(raw, APP_SECRET) },
      body: new Uint8Array(raw),
    });

  beforeAll(async () => {
    [temporal, database, graph] = await Promise.all([
      startTestTemporal(),
      createTestDatabase(),
      startFakeGraph({ accessTokens: [ACCESS_TOKEN] }),
    ]);
    const db = database.db;
    await db('workspace_settings').insert({
      key: 'ai',
      value: JSON.stringify({ enabled: false, instructions: '', faq: [] }),
    });
    const teamId = await upsertTeam(db, 'Support');
    channelId = await upsertChannel(db, {
      kind: 'whatsapp',
      name: 'Outage store',
      externalId: PHONE_NUMBER_ID,
      accessToken: ACCESS_TOKEN,
      defaultTeamId: teamId,
    });
    const agentId = await upsertUser(db, {
      email: 'agent@outage.test',
      name: 'Agent',
      role: 'agent',
      password: PASSWORD,
    });
    await addMember(db, teamId, agentId);
    app = await startApp({
      databaseUrl: database.url,
      temporalAddress: temporal.connection.options.address,
      taskQueue: uniqueTaskQueue('outage'),
      graphBaseUrl: graph.url,
      appSecret: APP_SECRET,
      verifyToken: 'outage-verify',
      extraEnv: { SLA_DEFAULT_TIERS: '1h,2h,3h' },
    });
    token = await apiToken(app.baseUrl, 'agent@outage.test', PASSWORD);
  });

  afterAll(async () => {
    await app?.stop();
    await graph?.close();
    await database?.drop();
    await temporal?.teardown();
  });

  it('answers webhooks 503 with Retry-After and stores nothing, while the inbox keeps answering', async () => {
    // Before: an ordinary conversation, stored.
    expect((await post(webhook('447700300001', 'wamid.OUTAGE-BEFORE', 'Before the outage'))).status).toBe(200);
    await waitFor(() => database.db('messages').where({ external_id: 'wamid.OUTAGE-BEFORE' }).first(), {
      what: 'the first message to be stored',
    });
    // Started with the short workflow task timeout, so a killed worker's task comes back in 5 s.
    const run = await temporal!.client.workflow.getHandle(conversationWorkflowId(channelId, '447700300001')).describe();
    expect(run.raw.executionConfig?.defaultWorkflowTaskTimeout?.seconds?.toString()).toBe('5');

    await temporal!.teardown();
    temporal = undefined;

    const started = Date.now();
    const res = await post(webhook('447700300002', 'wamid.OUTAGE-DURING', 'During the outage'));
    const tookMs = Date.now() - started;
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    await expect(res.json()).resolves.toEqual({
      error: { code: 'unavailable', message: expect.stringMatching(/retry/) },
    });
    // Bounded by the delivery deadline, not by the SDK's own ~20 s of retries.
    expect(tookMs).toBeLessThan(DELIVER_DEADLINE_MS + 3_000);
    expect(await database.db('messages').where({ external_id: 'wamid.OUTAGE-DURING' })).toEqual([]);

    // The inbox is read from Postgres: still there, with the conversation from before.
    const list = await fetch(`${app.baseUrl}/api/v1/conversations?queue=all`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(list.status).toBe(200);
    const body = (await list.json()) as { data: { lastMessage: { preview: string | null } }[] };
    expect(body.data.map((c) => c.lastMessage.preview)).toContain('Before the outage');

    // Health says what is down, and the process is still up to say it.
    const health = await fetch(`${app.baseUrl}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'degraded', database: 'ok' });
    // Logged as the dependency being down, not as a bug.
    expect(app.output()).toMatch(/"level":40[^\n]*request failed: temporal unavailable/);
    expect(app.output()).not.toMatch(/"level":50[^\n]*"msg":"request failed"/);
  });
});
