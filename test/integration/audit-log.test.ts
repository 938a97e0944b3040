/**
 * The audit log (issue #7, DESIGN §2): every staff action (assignment, handover, role change,
 * settings change) is recorded with who, what and when, and owners read it at
 * `GET /api/v1/audit-log`, newest first, keyset-paginated and filterable; admins and agents get 403.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { PageClient, startApp, type RunningApp } from '../support/app-processes';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { addMember, upsertChannel, upsertTeam, upsertUser } from '../support/factories';
import { startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { startTestTemporal, uniqueTaskQueue } from '../support/temporal';
import { waitFor } from '../support/wait-for';
import { postWebhook, whatsappTextWebhook } from '../support/webhooks';

const APP_SECRET = 'audit-app-secret';
const PHONE_NUMBER_ID = '100000000000987';
const PASSWORD = 'correct horse battery';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('the audit log of staff actions', () => {
  let temporal: TestWorkflowEnvironment;
  let database: TestDatabase;
  let graph: FakeGraph;
  let app: RunningApp;
  let supportId: string;
  let salesId: string;
  let ids: Record<'owner' | 'admin' | 'ada', string>;
  const tokens: Record<string, string> = {};
  let conversationId: string;

  async function api(
    who: string | null,
    method: string,
    p: string,
    body?: unknown,
  ): Promise<{ status: number; body: Json }> {
    const res = await fetch(`${app.baseUrl}/api/v1${p}`, {
      method,
      headers: {
        ...(who && { authorization: `Bearer ${tokens[who]}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  beforeAll(async () => {
    [temporal, database, graph] = await Promise.all([startTestTemporal(), createTestDatabase(), startFakeGraph()]);
    const db = database.db;
    await db('workspace_settings').insert({
      key: 'ai',
      value: JSON.stringify({ enabled: false, instructions: '', faq: [] }),
    });
    supportId = await upsertTeam(db, 'Support');
    salesId = await upsertTeam(db, 'Sales');
    await upsertChannel(db, {
      kind: 'whatsapp',
      name: 'Audit store',
      externalId: PHONE_NUMBER_ID,
      accessToken: 'audit-token',
      defaultTeamId: supportId,
    });
    const user = (key: string, role: 'owner' | 'admin' | 'agent') =>
      upsertUser(db, {
        email: `${key}@audit.test`,
        name: `${key[0]!.toUpperCase()}${key.slice(1)}`,
        role,
        password: PASSWORD,
        availability: 'online',
      });
    ids = { owner: await user('owner', 'owner'), admin: await user('admin', 'admin'), ada: await user('ada', 'agent') };
    await addMember(db, supportId, ids.ada);
    app = await startApp({
      databaseUrl: database.url,
      temporalAddress: temporal.connection.options.address,
      taskQueue: uniqueTaskQueue('audit'),
      graphBaseUrl: graph.url,
      appSecret: APP_SECRET,
      verifyToken: 'audit-verify',
      extraEnv: { SLA_DEFAULT_TIERS: '1h,2h,3h' },
    });
    for (const key of Object.keys(ids)) {
      const res = await fetch(`${app.baseUrl}/api/v1/auth/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: `${key}@audit.test`, password: PASSWORD }),
      });
      tokens[key] = ((await res.json()) as { token: string }).token;
    }
    await postWebhook(
      app.baseUrl,
      whatsappTextWebhook({ phoneNumberId: PHONE_NUMBER_ID, from: '447700933333', text: 'Hello', id: 'wamid.AUDIT1' }),
      APP_SECRET,
    );
    const message = await waitFor(() => db('messages').where({ external_id: 'wamid.AUDIT1' }).first(), {
      what: 'the conversation',
    });
    conversationId = message.conversation_id;
    await waitFor(() => db('events').where({ conversation_id: conversationId, type: 'assigned' }).first(), {
      what: 'routing to place the conversation',
    });
  });

  afterAll(async () => {
    await app?.stop();
    await graph?.close();
    await database?.drop();
    await temporal?.teardown();
  });

  it('records assignment, handover, role change and settings change with who, what and when, readable by the owner', async () => {
    const startedAt = Date.now() - 1_000;
    expect((await api('admin', 'POST', `/conversations/${conversationId}/assign`, { userId: ids.ada })).status).toBe(
      200,
    );
    expect(
      (
        await api('ada', 'POST', `/conversations/${conversationId}/handover`, {
          to: { kind: 'team', teamId: salesId },
          reason: 'a sales question',
        })
      ).status,
    ).toBe(202);
    expect(
      (await api('admin', 'PUT', `/sla-policies/${supportId}`, { tiers: [300, 900, 1800], requeueAtPriority: true }))
        .status,
    ).toBe(200);
    const owner = new PageClient(app.baseUrl);
    await owner.signIn('owner@audit.test', PASSWORD);
    const roleChange = await owner.post('/settings/users', {
      intent: 'update-user',
      userId: ids.admin,
      role: 'agent',
      capacity: '12',
      availability: 'online',
    });
    expect(roleChange.status).toBeLessThan(400);

    const { status, body } = await api('owner', 'GET', '/audit-log?limit=100');
    expect(status).toBe(200);
    const entries: Json[] = body.data;
    const find = (action: string) => entries.find((e) => e.action === action);
    expect(find('user.update')).toEqual({
      id: expect.any(String),
      at: expect.any(String),
      actor: { id: ids.owner, name: 'Owner', email: 'owner@audit.test' },
      action: 'user.update',
      target: { kind: 'user', id: ids.admin },
      data: expect.objectContaining({ role: 'agent', capacity: 12, from: expect.objectContaining({ role: 'admin' }) }),
    });
    expect(find('sla_policy.update')).toMatchObject({
      actor: { id: ids.admin, name: 'Admin' },
      target: { kind: 'sla_policy', id: supportId },
      data: { tiers: [300, 900, 1800], requeueAtPriority: true },
    });
    expect(find('conversation.handover')).toMatchObject({
      actor: { id: ids.ada },
      target: { kind: 'conversation', id: conversationId },
      data: { to: { kind: 'team', teamId: salesId }, reason: 'a sales question' },
    });
    expect(find('conversation.assign')).toMatchObject({
      actor: { id: ids.admin },
      target: { kind: 'conversation', id: conversationId },
      data: { userId: ids.ada, teamId: null },
    });
    // When: ISO timestamps within the test, newest first.
    const times = entries.map((e) => Date.parse(e.at));
    for (const t of times) expect(t).toBeGreaterThanOrEqual(startedAt - 60_000);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(entries.map((e) => Number(e.id))).toEqual(entries.map((e) => Number(e.id)).sort((a, b) => b - a));
  });

  it('pages with an opaque cursor, without gaps or repeats, and filters by action, area, actor and target', async () => {
    const all = (await api('owner', 'GET', '/audit-log?limit=100')).body.data as Json[];
    expect(all.length).toBeGreaterThanOrEqual(4);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: Json } = await api(
        'owner',
        'GET',
        `/audit-log?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((e: Json) => e.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.map((e) => e.id));

    const only = async (qs: string) =>
      ((await api('owner', 'GET', `/audit-log?${qs}`)).body.data as Json[]).map((e) => e.action);
    expect(await only('action=conversation.assign')).toEqual(['conversation.assign']);
    expect(new Set(await only('action=conversation.'))).toEqual(
      new Set(['conversation.assign', 'conversation.handover']),
    );
    expect(new Set(await only(`actorUserId=${ids.admin}`))).toEqual(
      new Set(['conversation.assign', 'sla_policy.update']),
    );
    expect(new Set(await only(`targetKind=conversation&targetId=${conversationId}`))).toEqual(
      new Set(['conversation.assign', 'conversation.handover']),
    );
  });

  it('is for owners only: admins and agents get 403 (itself audited), strangers 401, forged cursors 400', async () => {
    for (const who of ['admin', 'ada']) {
      const res = await api(who, 'GET', '/audit-log');
      expect([who, res.status, res.body.error.code]).toEqual([who, 403, 'forbidden']);
    }
    expect((await api(null, 'GET', '/audit-log')).status).toBe(401);
    for (const qs of [
      'cursor=not-a-cursor',
      `cursor=${Buffer.from('["1; drop table audit_log"]').toString('base64url')}`,
      'limit=0',
      'actorUserId=nope',
      'action=DROP%20TABLE',
    ]) {
      const res = await api('owner', 'GET', `/audit-log?${qs}`);
      expect([qs, res.status, res.body.error.code]).toEqual([qs, 400, 'bad_request']);
    }
    const refusals = (await api('owner', 'GET', '/audit-log?action=auth.forbidden')).body.data as Json[];
    expect(refusals.map((r) => r.actor?.id).sort()).toEqual([ids.admin, ids.ada].sort());
    expect(refusals.every((r) => r.data.path === '/api/v1/audit-log')).toBe(true);
  });
});
