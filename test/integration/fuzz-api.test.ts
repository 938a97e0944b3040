/**
 * Bad input on every /api/v1 input (issue #7), property-based with fast-check against the running
 * web and worker processes (api/routes/v1/*.ts): wrongly typed, missing, out-of-range, oversized,
 * deeply nested and malformed bodies; random path ids; random query strings; random credentials.
 * Each gets a clear 4xx with `{ error: { code, message } }`, never a 5xx, never a stored row, and
 * the conversation the owner fuzzes stays exactly as it was (projection row and live workflow
 * state). The processes stay up: /healthz answers after every property.
 *
 * The bodies are invalid by construction (a valid one would rightly be accepted), so each body
 * property pairs a route with generators of what its schema must refuse. Cases per property are
 * in its name.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import fc from 'fast-check';
import { stateQuery } from '../../workflows/conversation/contract';
import { startApp, type RunningApp } from '../support/app-processes';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { addMember, upsertChannel, upsertTeam, upsertUser } from '../support/factories';
import { startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { startTestTemporal, uniqueTaskQueue } from '../support/temporal';
import { waitFor } from '../support/wait-for';
import { postWebhook, whatsappTextWebhook } from '../support/webhooks';

const APP_SECRET = 'fuzz-api-secret';
const PHONE_NUMBER_ID = '100000000000654';
const PASSWORD = 'correct horse battery';
/** Everything an API request could write. Failed sign-ins are audited by design: checked apart. */
const TABLES = [
  'messages',
  'conversations',
  'contacts',
  'events',
  'notes',
  'notifications',
  'sla_policies',
  'users',
  'teams',
  'team_members',
  'api_tokens',
  'sessions',
  'canned_responses',
  'routing_rules',
  'workspace_settings',
  'message_templates',
] as const;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** A JSON value that is not an object: express.json refuses primitives, zod refuses arrays. */
const notAnObject = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
);
/** Anything but a non-empty string of at most `max` characters after trimming. */
const notText = (max: number) =>
  fc.oneof(
    fc.constant(undefined),
    fc.constant(''),
    fc.constantFrom(' ', '\n\t ', '\u00a0'.repeat(3)),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string(), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 5 }), fc.string(), { maxKeys: 3 }),
    fc.integer({ min: 1, max: 50 }).map((n) => 'x'.repeat(max + n)),
  );
/** Not a UUID (or not a string at all). */
const notUuid = fc.oneof(
  fc
    .string({ maxLength: 40 })
    .filter((s) => !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s)),
  fc.integer(),
  fc.constant(null),
  fc.constant("1' or '1'='1"),
);
/** A well-formed UUID that names nobody. */
const unknownUuid = fc.uuid({ version: 4 });
const deep = (depth: number) => {
  let value: unknown = 'x';
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
};
const withDeep = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof(
    arb,
    fc.integer({ min: 100, max: 3_000 }).map((d) => deep(d) as T),
  );
const without = <T extends Record<string, unknown>>(o: T) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

describe('every /api/v1 input refuses bad input with a clear 4xx', () => {
  let temporal: TestWorkflowEnvironment;
  let database: TestDatabase;
  let graph: FakeGraph;
  let app: RunningApp;
  let ownerToken: string;
  let agentToken: string;
  let conversationId: string;
  let workflowId: string;
  let teamId: string;
  let channelId: string;
  let before: Record<string, number>;
  let rowBefore: Record<string, unknown>;
  let auditBefore: number;

  const counts = async () => {
    const out: Record<string, number> = {};
    for (const table of TABLES) {
      const [row] = await database.db(table).count({ n: '*' });
      out[table] = Number(row?.n ?? 0);
    }
    return out;
  };

  async function call(
    method: string,
    path: string,
    opts: { token?: string | null; body?: string; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: Json }> {
    const token = opts.token === undefined ? ownerToken : opts.token;
    const res = await fetch(`${app.baseUrl}/api/v1${path}`, {
      method,
      headers: {
        ...(token !== null && { authorization: `Bearer ${token}` }),
        ...(opts.body !== undefined && { 'content-type': 'application/json' }),
        ...opts.headers,
      },
      ...(opts.body !== undefined && { body: opts.body }),
    });
    const text = await res.text();
    let body: Json;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    return { status: res.status, body };
  }

  /** A 4xx in the API's error shape (never a 5xx, never an HTML page or a stack). */
  function expectClearRefusal(res: { status: number; body: Json }, allowed: number[]): void {
    expect({ status: res.status, allowed: allowed.includes(res.status) }).toEqual({
      status: res.status,
      allowed: true,
    });
    expect(res.body).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
    expect(JSON.stringify(res.body)).not.toMatch(/ at .*\.ts:\d+|node_modules/);
  }

  beforeAll(async () => {
    [temporal, database, graph] = await Promise.all([startTestTemporal(), createTestDatabase(), startFakeGraph()]);
    const db = database.db;
    await db('workspace_settings').insert({
      key: 'ai',
      value: JSON.stringify({ enabled: false, instructions: '', faq: [] }),
    });
    teamId = await upsertTeam(db, 'Support');
    channelId = await upsertChannel(db, {
      kind: 'whatsapp',
      name: 'Fuzz API store',
      externalId: PHONE_NUMBER_ID,
      accessToken: 'fuzz-api-token',
      defaultTeamId: teamId,
    });
    await upsertUser(db, { email: 'owner@fuzz.test', name: 'Owner', role: 'owner', password: PASSWORD });
    const agentId = await upsertUser(db, {
      email: 'agent@fuzz.test',
      name: 'Agent',
      role: 'agent',
      password: PASSWORD,
    });
    await addMember(db, teamId, agentId);
    app = await startApp({
      databaseUrl: database.url,
      temporalAddress: temporal.connection.options.address,
      taskQueue: uniqueTaskQueue('fuzz-api'),
      graphBaseUrl: graph.url,
      appSecret: APP_SECRET,
      verifyToken: 'fuzz-api-verify',
      extraEnv: { SLA_DEFAULT_TIERS: '1h,2h,3h' },
    });
    const token = async (email: string) => {
      const res = await call('POST', '/auth/tokens', {
        token: null,
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      expect(res.status).toBe(201);
      return res.body.token as string;
    };
    ownerToken = await token('owner@fuzz.test');
    agentToken = await token('agent@fuzz.test');
    expect(
      (
        await postWebhook(
          app.baseUrl,
          whatsappTextWebhook({
            phoneNumberId: PHONE_NUMBER_ID,
            from: '4477001234567',
            text: 'Hi there',
            id: 'wamid.FUZZAPI1',
          }),
          APP_SECRET,
        )
      ).status,
    ).toBe(200);
    const message = await waitFor(() => db('messages').where({ external_id: 'wamid.FUZZAPI1' }).first(), {
      what: 'the conversation to open',
    });
    conversationId = message.conversation_id;
    // Routing assigns the online agent (an `assigned` event and a notification): settled first.
    await waitFor(() => db('events').where({ conversation_id: conversationId, type: 'assigned' }).first(), {
      what: 'routing to place the conversation',
    });
    const row = await db('conversations').where({ id: conversationId }).first();
    workflowId = row.workflow_id;
    // Routing and SLA policy loading settle before the snapshot the properties compare with.
    await waitFor(async () => (await temporal.client.workflow.getHandle(workflowId).query(stateQuery)).sla !== null, {
      what: 'the SLA clock to start',
    });
    rowBefore = await db('conversations').where({ id: conversationId }).first();
    before = await counts();
    const [audit] = await db('audit_log').count({ n: '*' });
    auditBefore = Number(audit?.n ?? 0);
  });

  afterAll(async () => {
    await app?.stop();
    await graph?.close();
    await database?.drop();
    await temporal?.teardown();
  });

  afterEach(async () => {
    expect((await fetch(`${app.baseUrl}/healthz`)).status).toBe(200);
  });

  /** One route, fuzzed with bodies its schema must refuse. */
  const bodyCases: Array<{ name: string; method: string; path: () => string; bodies: fc.Arbitrary<unknown> }> = [
    {
      name: 'POST /conversations/:id/messages',
      method: 'POST',
      path: () => `/conversations/${conversationId}/messages`,
      bodies: fc.oneof(
        notAnObject,
        fc.record({ text: withDeep(notText(4096)) }).map(without),
        fc.record({
          template: fc.oneof(
            notAnObject,
            fc.record({
              name: fc.oneof(
                fc.string().filter((s) => !/^[a-z0-9_]{1,512}$/.test(s)),
                fc.integer(),
              ),
              language: fc.string(),
              parameters: fc.anything(),
            }),
            fc.record({
              name: fc.constant('order_update'),
              language: fc.constant('en'),
              parameters: fc.oneof(
                fc.string(),
                fc.array(fc.constant(''), { minLength: 1 }),
                fc.array(fc.constant('p'), { minLength: 31, maxLength: 40 }),
              ),
            }),
          ),
        }),
      ),
    },
    {
      name: 'POST /conversations/:id/notes',
      method: 'POST',
      path: () => `/conversations/${conversationId}/notes`,
      bodies: fc.oneof(notAnObject, fc.record({ text: withDeep(notText(4096)) }).map(without)),
    },
    {
      name: 'POST /conversations/:id/assign',
      method: 'POST',
      path: () => `/conversations/${conversationId}/assign`,
      bodies: fc.oneof(
        notAnObject,
        fc.constant({}),
        fc.record({ userId: notUuid }),
        fc.record({ teamId: notUuid }),
        fc.record({ userId: unknownUuid }),
        fc.record({ teamId: unknownUuid }),
      ),
    },
    {
      name: 'POST /conversations/:id/handover',
      method: 'POST',
      path: () => `/conversations/${conversationId}/handover`,
      bodies: fc.oneof(
        notAnObject,
        fc.record({ to: fc.oneof(notAnObject, fc.record({ kind: fc.string() })), reason: fc.string() }),
        fc.record({ to: fc.constantFrom({ kind: 'manager' }, { kind: 'routing' }), reason: notText(500) }).map(without),
        fc.record({ to: unknownUuid.map((userId) => ({ kind: 'agent', userId })), reason: fc.constant('why not') }),
        fc.record({ to: unknownUuid.map((id) => ({ kind: 'team', teamId: id })), reason: fc.constant('why not') }),
        fc.record({ to: notUuid.map((userId) => ({ kind: 'agent', userId })), reason: fc.constant('why not') }),
        fc.record({
          to: fc.constant({ kind: 'manager' }),
          reason: fc.constant('ok'),
          note: fc.oneof(fc.integer(), fc.constant('n'.repeat(4097))),
        }),
      ),
    },
    {
      name: 'POST /conversations/:id/tags',
      method: 'POST',
      path: () => `/conversations/${conversationId}/tags`,
      bodies: fc.oneof(
        notAnObject,
        fc.constant({}),
        fc.constant({ add: [], remove: [] }),
        fc.record({ add: fc.oneof(fc.string(), fc.integer(), fc.array(notText(40), { minLength: 1, maxLength: 3 })) }),
        fc.record({ remove: fc.array(fc.constant('t'), { minLength: 21, maxLength: 30 }) }),
        fc.record({ add: fc.constant(['same']), remove: fc.constant(['same']) }),
      ),
    },
    {
      name: 'POST /conversations/:id/snooze',
      method: 'POST',
      path: () => `/conversations/${conversationId}/snooze`,
      bodies: fc.oneof(
        notAnObject,
        fc.record({
          until: fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constant('2026-13-45T99:00:00Z')),
        }),
        fc.record({
          until: fc.integer({ min: 1, max: 10_000 }).map((d) => new Date(Date.now() - d * 60_000).toISOString()),
        }),
        fc.record({
          until: fc.integer({ min: 91, max: 5_000 }).map((d) => new Date(Date.now() + d * 86_400_000).toISOString()),
        }),
      ),
    },
    {
      name: 'PUT /sla-policies/:teamId',
      method: 'PUT',
      path: () => `/sla-policies/${teamId}`,
      bodies: fc.oneof(
        notAnObject,
        fc.record({
          tiers: fc.oneof(
            fc.string(),
            fc.array(fc.integer(), { maxLength: 2 }),
            fc.array(fc.integer(), { minLength: 4, maxLength: 6 }),
          ),
        }),
        fc.record({
          tiers: fc.tuple(
            fc.integer({ min: 100, max: 200 }),
            fc.integer({ min: 1, max: 99 }),
            fc.integer({ min: 201, max: 300 }),
          ),
        }),
        fc.record({ tiers: fc.tuple(fc.integer({ max: 0 }), fc.integer(), fc.integer()) }),
        fc.record({ tiers: fc.tuple(fc.double({ min: 0.1, max: 0.9 }), fc.constant(2), fc.constant(3)) }),
        fc.record({ tiers: fc.constant([60, 120, 31 * 24 * 3600]) }),
        fc.record({ tiers: fc.constant([60, 120, 180]), requeueAtPriority: fc.oneof(fc.string(), fc.integer()) }),
      ),
    },
    {
      name: 'PUT /me/availability',
      method: 'PUT',
      path: () => '/me/availability',
      bodies: fc.oneof(
        notAnObject,
        fc.record({
          availability: fc.oneof(
            fc.string().filter((s) => !['online', 'away', 'offline'].includes(s)),
            fc.integer(),
          ),
        }),
      ),
    },
  ];

  it.each(bodyCases.map((c) => [c.name, c] as const))(
    '%s refuses bodies its schema must refuse with 400 (40 cases)',
    async (_name, c) => {
      await fc.assert(
        fc.asyncProperty(c.bodies, async (body) => {
          const res = await call(c.method, c.path(), { body: JSON.stringify(body) ?? 'null' });
          expectClearRefusal(res, [400]);
        }),
        { numRuns: 40 },
      );
    },
  );

  it('answers malformed JSON with 400 and bodies over 64 kB with 413 on every body route', async () => {
    for (const c of bodyCases) {
      for (const raw of ['{', '{"text": "unterminated', '{"a":1,}', "{'single': 'quotes'}", '\u0000']) {
        expectClearRefusal(await call(c.method, c.path(), { body: raw }), [400]);
      }
      const big = JSON.stringify({ text: 'x'.repeat(65 * 1024) });
      expectClearRefusal(await call(c.method, c.path(), { body: big }), [413]);
    }
    expectClearRefusal(
      await call('POST', '/auth/tokens', {
        token: null,
        body: JSON.stringify({ email: 'x'.repeat(70_000), password: 'p' }),
      }),
      [413],
    );
  });

  const idRoutes: Array<[string, (id: string) => string]> = [
    ['GET', (id) => `/conversations/${id}`],
    ['GET', (id) => `/conversations/${id}/messages`],
    ['GET', (id) => `/conversations/${id}/events`],
    ['GET', (id) => `/conversations/${id}/notes`],
    ['GET', (id) => `/conversations/${id}/state`],
    ['POST', (id) => `/conversations/${id}/claim`],
    ['POST', (id) => `/conversations/${id}/resolve`],
    ['POST', (id) => `/conversations/${id}/reopen`],
    ['POST', (id) => `/conversations/${id}/notes`],
    ['GET', (id) => `/contacts/${id}`],
    ['POST', (id) => `/notifications/${id}/read`],
    ['GET', (id) => `/channels/${id}/templates`],
    ['POST', (id) => `/channels/${id}/templates/sync`],
    ['PUT', (id) => `/sla-policies/${id}`],
    ['GET', (id) => `/media/${id}`],
  ];

  it('answers random path ids on every id-taking route with 400 or 404 (300 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...idRoutes),
        fc
          .oneof(
            unknownUuid,
            fc.string({ minLength: 1, maxLength: 80 }),
            fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
            fc.constantFrom(
              "1' or '1'='1",
              '../../etc/passwd',
              '%00',
              'null',
              '0',
              '-1',
              '9'.repeat(40),
              'ø'.repeat(300),
            ),
          )
          // "." and ".." are URL syntax, not ids: every URL parser (fetch's too) removes them
          // from a path, so `/conversations/.` is sent as `/conversations/`, the list (seed
          // -383626054 found it). encodeURIComponent leaves dots as they are.
          .filter((id) => id !== '.' && id !== '..'),
        async ([method, path], id) => {
          const body = method === 'GET' ? undefined : JSON.stringify({ text: 'fuzz note', tiers: [60, 120, 180] });
          const res = await call(method, path(encodeURIComponent(id)), { body });
          expectClearRefusal(res, [400, 404]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('answers random query strings on the list routes with 200 or 400, never 5xx (200 cases)', async () => {
    const lists = [
      '/conversations',
      `/conversations/${conversationId}/messages`,
      `/conversations/${conversationId}/notes`,
      '/notifications',
      '/audit-log',
    ];
    const params = [
      'queue',
      'status',
      'channel',
      'q',
      'cursor',
      'limit',
      'unread',
      'action',
      'actorUserId',
      'targetKind',
      'targetId',
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...lists),
        fc.array(
          fc.tuple(
            fc.constantFrom(...params),
            fc.oneof(
              fc.string({ maxLength: 60 }),
              fc.constantFrom(
                'team:nope',
                'team:',
                'mine',
                'all',
                '-1',
                '1e9',
                '0',
                'true',
                'conversation.',
                '.',
                'eyJ4Ijp0cnVlfQ',
              ),
              fc.base64String({ maxLength: 64 }),
            ),
          ),
          { maxLength: 5 },
        ),
        async (path, pairs) => {
          const qs = new URLSearchParams(pairs).toString();
          const res = await call('GET', `${path}${qs ? `?${qs}` : ''}`);
          if (res.status === 200) {
            expect(Array.isArray(res.body.data)).toBe(true);
            expect(res.body.nextCursor === null || typeof res.body.nextCursor === 'string').toBe(true);
          } else expectClearRefusal(res, [400]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('answers random credentials with 401 and random sign-in bodies with 400, 401 or 429 (150 cases)', async () => {
    const tokensBefore = await counts();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 80 }).map((t) => ({ authorization: `Bearer ${t}` })),
          fc.string({ maxLength: 80 }).map((t) => ({ authorization: t })),
          fc.string({ maxLength: 80 }).map((c) => ({ cookie: `kliovo_session=${encodeURIComponent(c)}` })),
          fc.constant({}),
        ),
        fc.constantFrom(
          '/conversations',
          '/teams',
          '/users',
          '/notifications',
          '/me/availability',
          '/audit-log',
          '/sla-policies',
        ),
        async (headers, path) => {
          expectClearRefusal(await call('GET', path, { token: null, headers }), [401]);
        },
      ),
      { numRuns: 100 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          notAnObject,
          fc.record({ email: notText(320), password: fc.string() }).map(without),
          fc.record({
            email: fc.emailAddress(),
            password: fc.oneof(fc.constant(''), fc.integer(), fc.constant('p'.repeat(1025))),
          }),
          fc.record({ email: fc.emailAddress(), password: fc.string({ minLength: 1, maxLength: 40 }) }),
        ),
        async (body) => {
          expectClearRefusal(
            await call('POST', '/auth/tokens', { token: null, body: JSON.stringify(body) ?? 'null' }),
            [400, 401, 429],
          );
        },
      ),
      { numRuns: 50 },
    );
    // No token was issued; failed sign-ins are audited (auth.login_failed), and nothing else was written.
    expect(await counts()).toEqual(tokensBefore);
    const added = await database.db('audit_log').whereNot('action', 'auth.login_failed').count({ n: '*' });
    expect(Number(added[0]?.n)).toBe(auditBefore);
  });

  it('left the fuzzed conversation, its workflow and every table exactly as they were', async () => {
    expect(await counts()).toEqual(before);
    expect(await database.db('conversations').where({ id: conversationId }).first()).toEqual(rowBefore);
    const state = await temporal.client.workflow.getHandle(workflowId).query(stateQuery);
    expect(state.version).toBe(Number(rowBefore.version));
    // The agent (same team) still sees it; the fuzzing changed nobody's access.
    expect((await call('GET', `/conversations/${conversationId}`, { token: agentToken })).status).toBe(200);
    expect(channelId).toBeTruthy();
  });
});
