/**
 * Live updates end to end (DESIGN §5 "Live updates"): projection writes in the worker announce
 * themselves with NOTIFY, the web process LISTENs and streams Server-Sent Events to each signed-in
 * user, showing each only what the inbox would show them (DESIGN §4).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { addMember, upsertChannel, upsertTeam, upsertUser } from '../support/factories';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { startApp, type RunningApp } from '../support/app-processes';
import { startTestTemporal, uniqueTaskQueue } from '../support/temporal';
import { postWebhook, whatsappStatusWebhook, whatsappTextWebhook } from '../support/webhooks';
import { LISTENER_NAME } from '../../api/services/live.service';
import { waitFor } from '../support/wait-for';
import { apiToken as issueToken } from '../support/api-token';

const APP_SECRET = 'test-app-secret';
const VERIFY_TOKEN = 'test-verify-token';
const PHONE_NUMBER_ID = '100000000000001';
const ACCESS_TOKEN = 'test-wa-access-token';
const PASSWORD = 'correct horse battery';

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** An SSE reader over fetch: collects every event of the stream until closed. */
class SseClient {
  readonly events: SseEvent[] = [];
  raw = '';
  ended = false;
  private constructor(
    readonly response: Response,
    private readonly controller: AbortController,
  ) {}

  static async open(url: string, headers: Record<string, string>): Promise<SseClient> {
    const controller = new AbortController();
    const response = await fetch(url, { headers, signal: controller.signal });
    const client = new SseClient(response, controller);
    if (response.ok && response.body) void client.pump(response.body);
    return client;
  }

  private async pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const text = decoder.decode(value, { stream: true });
        this.raw += text;
        buffer += text;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length > 0) this.events.push({ event, data: JSON.parse(data.join('\n')) });
        }
      }
    } catch {
      // aborted by close()
    } finally {
      this.ended = true;
    }
  }

  of(type: string, where: Record<string, unknown> = {}): SseEvent[] {
    return this.events.filter((e) => e.event === type && Object.entries(where).every(([k, v]) => e.data[k] === v));
  }

  /** The first event matching, waiting up to `timeoutMs` for it. */
  waitFor(type: string, where: Record<string, unknown> = {}, timeoutMs = 5_000): Promise<SseEvent> {
    return waitFor(() => this.of(type, where)[0], {
      timeoutMs,
      intervalMs: 10,
      what: `SSE ${type} ${JSON.stringify(where)}`,
    });
  }

  close(): void {
    this.controller.abort();
  }
}

describe('live updates over Server-Sent Events', () => {
  let temporal: TestWorkflowEnvironment;
  let database: TestDatabase;
  let graph: FakeGraph;
  let app: RunningApp;
  let teamA: string;
  let teamB: string;
  const users: Record<'a1' | 'a2' | 'b1' | 'admin', string> = { a1: '', a2: '', b1: '', admin: '' };
  const streams: SseClient[] = [];
  let a1: SseClient;
  let a2: SseClient;
  let b1: SseClient;
  let admin: SseClient;
  let conversationId: string;

  beforeAll(async () => {
    [temporal, database, graph] = await Promise.all([
      startTestTemporal(),
      createTestDatabase(),
      startFakeGraph({ accessTokens: [ACCESS_TOKEN] }),
    ]);
    const db = database.db;
    teamA = await upsertTeam(db, 'Support');
    teamB = await upsertTeam(db, 'Sales');
    users.a1 = await upsertUser(db, { email: 'a1@test.dev', name: 'Ada One', role: 'agent', password: PASSWORD });
    users.a2 = await upsertUser(db, { email: 'a2@test.dev', name: 'Alan Two', role: 'agent', password: PASSWORD });
    users.b1 = await upsertUser(db, { email: 'b1@test.dev', name: 'Bea Sales', role: 'agent', password: PASSWORD });
    users.admin = await upsertUser(db, {
      email: 'admin@test.dev',
      name: 'Ann Admin',
      role: 'admin',
      password: PASSWORD,
    });
    await addMember(db, teamA, users.a1);
    await addMember(db, teamA, users.a2);
    await addMember(db, teamB, users.b1);
    await upsertChannel(db, {
      kind: 'whatsapp',
      name: 'Test store',
      externalId: PHONE_NUMBER_ID,
      accessToken: ACCESS_TOKEN,
      defaultTeamId: teamA,
    });
    app = await startApp({
      databaseUrl: database.url,
      temporalAddress: temporal.connection.options.address,
      taskQueue: uniqueTaskQueue('live'),
      graphBaseUrl: graph.url,
      appSecret: APP_SECRET,
      verifyToken: VERIFY_TOKEN,
      // Streams re-check sessions every second here (30 s by default).
      extraEnv: { LIVE_REFRESH_INTERVAL: '1s' },
    });
  });

  afterAll(async () => {
    for (const s of streams) s.close();
    await app?.stop();
    await graph?.close();
    await database?.drop();
    await temporal?.teardown();
  });

  async function token(email: string): Promise<string> {
    return issueToken(app.baseUrl, email, PASSWORD);
  }

  /** A session cookie from the sign-in form, as a browser gets it. */
  async function sessionCookie(email: string): Promise<string> {
    const res = await fetch(`${app.baseUrl}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: app.baseUrl },
      body: new URLSearchParams({ email, password: PASSWORD }).toString(),
      redirect: 'manual',
    });
    expect(res.status).toBe(302);
    return res.headers.get('set-cookie')!.split(';')[0]!;
  }

  async function openStream(headers: Record<string, string>): Promise<SseClient> {
    const stream = await SseClient.open(`${app.baseUrl}/api/v1/stream`, headers);
    streams.push(stream);
    expect(stream.response.status).toBe(200);
    await stream.waitFor('ready');
    return stream;
  }

  const api = async (bearer: string, path: string, body?: unknown) =>
    fetch(`${app.baseUrl}/api/v1${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('refuses a stream without a session or with a bad token (401)', async () => {
    const anonymous = await fetch(`${app.baseUrl}/api/v1/stream`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ error: { code: 'unauthenticated', message: expect.any(String) } });
    const forged = await fetch(`${app.baseUrl}/api/v1/stream`, { headers: { authorization: 'Bearer nope' } });
    expect(forged.status).toBe(401);
    const staleCookie = await fetch(`${app.baseUrl}/api/v1/stream`, { headers: { cookie: 'kliovo_session=stale' } });
    expect(staleCookie.status).toBe(401);
  });

  it('opens an event stream for a token or a session cookie', async () => {
    a1 = await openStream({ authorization: `Bearer ${await token('a1@test.dev')}` });
    a2 = await openStream({ cookie: await sessionCookie('a2@test.dev') });
    b1 = await openStream({ authorization: `Bearer ${await token('b1@test.dev')}` });
    admin = await openStream({ authorization: `Bearer ${await token('admin@test.dev')}` });
    const headers = a1.response.headers;
    expect(headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(headers.get('x-accel-buffering')).toBe('no');
    expect(a1.raw.startsWith('retry: 2000\n\n')).toBe(true);
    expect(a2.of('ready')[0]!.data).toEqual({ userId: users.a2 });
  });

  it('streams a team’s new message to that team within a second, and nothing to another team', async () => {
    const res = await postWebhook(
      app.baseUrl,
      whatsappTextWebhook({
        phoneNumberId: PHONE_NUMBER_ID,
        from: '447700900123',
        name: 'Priya Shah',
        text: 'Where is my order?',
        id: 'wamid.live-1',
      }),
      APP_SECRET,
    );
    expect(res.status).toBe(200);
    const row = await waitFor(() => database.db('messages').where({ external_id: 'wamid.live-1' }).first(), {
      intervalMs: 10,
      what: 'the message row',
    });
    conversationId = row.conversation_id;

    // Published right after the write commits: it arrives within a second of the row.
    const message = await a1.waitFor('message', { messageId: row.id }, 1_000);
    expect(message.data).toMatchObject({ type: 'message', conversationId, teamId: teamA });
    const conversation = await a1.waitFor('conversation', { conversationId, teamId: teamA }, 1_000);
    expect(conversation.data).toEqual({
      type: 'conversation',
      conversationId,
      version: expect.any(Number),
      teamId: teamA,
      assigneeId: null,
      status: expect.any(String),
    });
    await a2.waitFor('message', { messageId: row.id }, 1_000);
    await admin.waitFor('message', { messageId: row.id }, 1_000);
    // Nothing of it reaches the other team (checked again after every later step).
    expect(b1.events.filter((e) => e.data.conversationId === conversationId)).toEqual([]);
  });

  it('streams a claim as a conversation event with the new owner', async () => {
    const a1Token = await token('a1@test.dev');
    // The workflow may still be routing the first message; a claim then waits for a queued state.
    const claimed = await waitFor(
      async () => {
        const res = await api(a1Token, `/conversations/${conversationId}/claim`, {});
        return res.status === 200 ? ((await res.json()) as { data: unknown }) : undefined;
      },
      { what: 'a successful claim' },
    );
    expect(claimed.data).toBeDefined();
    const event = await a1.waitFor('conversation', { conversationId, assigneeId: users.a1 });
    expect(event.data).toMatchObject({ teamId: teamA, status: 'assigned' });
    await a2.waitFor('conversation', { conversationId, assigneeId: users.a1 });
    await admin.waitFor('conversation', { conversationId, assigneeId: users.a1 });
    expect(b1.events.filter((e) => e.data.conversationId === conversationId)).toEqual([]);
  });

  it('sends a handover notification to its receiver only', async () => {
    const a1Token = await token('a1@test.dev');
    const res = await api(a1Token, `/conversations/${conversationId}/handover`, {
      to: { kind: 'agent', userId: users.a2 },
      reason: 'Billing question',
    });
    expect(res.status).toBe(202);
    const isHandover = (e: SseEvent) =>
      e.event === 'notification' && e.data.kind === 'handover' && e.data.body === 'Billing question';
    const received = await waitFor(() => a2.events.find(isHandover), { what: 'the handover notification' });
    const row = await database.db('notifications').where({ id: received.data.notificationId }).first();
    expect(row).toMatchObject({ user_id: users.a2, conversation_id: conversationId, kind: 'handover' });
    expect(received.data).toEqual({
      type: 'notification',
      notificationId: row.id,
      userId: users.a2,
      kind: 'handover',
      title: row.title,
      body: 'Billing question',
      conversationId,
    });
    // The new owner shows to the team; the notification to nobody else, managers included.
    await a1.waitFor('conversation', { conversationId, assigneeId: users.a2 });
    await admin.waitFor('conversation', { conversationId, assigneeId: users.a2 });
    expect([a1, b1, admin].map((s) => s.events.filter(isHandover).length)).toEqual([0, 0, 0]);
    for (const s of [a1, b1, admin]) {
      expect(s.of('notification').every((e) => e.data.userId !== users.a2)).toBe(true);
    }
    expect(b1.events.filter((e) => e.data.conversationId === conversationId)).toEqual([]);
  });

  it('streams an agent reply and its delivery receipt as message events', async () => {
    const a2Token = await token('a2@test.dev');
    const res = await api(a2Token, `/conversations/${conversationId}/messages`, { text: 'On its way' });
    expect(res.status).toBe(201);
    const reply = ((await res.json()) as { data: { messageId: string; externalId: string } }).data;
    await a2.waitFor('message', { messageId: reply.messageId, assigneeId: users.a2 });
    const before = a1.of('message', { messageId: reply.messageId }).length;
    expect(before).toBeGreaterThan(0);
    const receipt = await postWebhook(
      app.baseUrl,
      whatsappStatusWebhook(PHONE_NUMBER_ID, {
        id: reply.externalId,
        status: 'delivered',
        recipientId: '447700900123',
      }),
      APP_SECRET,
    );
    expect(receipt.status).toBe(200);
    // The receipt is written by the web process itself; it is announced the same way.
    await waitFor(() => a1.of('message', { messageId: reply.messageId }).length > before, {
      what: 'the receipt as a message event',
    });
    expect(b1.events.filter((e) => e.data.conversationId === conversationId)).toEqual([]);
  });

  it('re-establishes a dropped LISTEN connection and tells the streams to resync', async () => {
    const dropped = await database.db.raw(
      'select pg_terminate_backend(pid) from pg_stat_activity where application_name = ? and datname = current_database()',
      [LISTENER_NAME],
    );
    expect(dropped.rows).toHaveLength(1);
    await a1.waitFor('resync', {}, 10_000);
    await b1.waitFor('resync', {}, 10_000);
    // Events flow again after the reconnect.
    const res = await postWebhook(
      app.baseUrl,
      whatsappTextWebhook({
        phoneNumberId: PHONE_NUMBER_ID,
        from: '447700900123',
        name: 'Priya Shah',
        text: 'Thanks!',
        id: 'wamid.live-2',
      }),
      APP_SECRET,
    );
    expect(res.status).toBe(200);
    const row = await waitFor(() => database.db('messages').where({ external_id: 'wamid.live-2' }).first(), {
      what: 'the second message row',
    });
    await a2.waitFor('message', { messageId: row.id });
    expect(b1.events.filter((e) => e.data.conversationId === conversationId)).toEqual([]);
  });

  it('reports subscribers, requests and webhook acknowledgements at /metrics', async () => {
    const res = await fetch(`${app.baseUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^kliovo_sse_subscribers 4$/m);
    expect(text).toMatch(/^kliovo_webhook_responses_total\{endpoint="\/webhooks\/whatsapp",status="200"\} 3$/m);
    expect(text).toMatch(
      /^kliovo_http_requests_total\{method="POST",route="\/api\/v1\/conversations\/:id\/handover",status="202"\} 1$/m,
    );
    expect(text).toMatch(/^kliovo_live_events_total\{type="message"\} \d+$/m);
    expect(text).toMatch(/^kliovo_live_listen_reconnects_total 1$/m);
  });

  it('ends a stream soon after its session is signed out or its user disabled', async () => {
    const cookie = await sessionCookie('a2@test.dev');
    const session = await openStream({ cookie });
    const signOut = await fetch(`${app.baseUrl}/logout`, {
      method: 'POST',
      headers: { cookie, origin: app.baseUrl },
      redirect: 'manual',
    });
    expect(signOut.status).toBe(302);
    await waitFor(() => session.ended, { what: 'the signed-out stream to end' });

    const disabledUser = await upsertUser(database.db, {
      email: 'leaver@test.dev',
      name: 'Lee Leaver',
      role: 'agent',
      password: PASSWORD,
    });
    await addMember(database.db, teamA, disabledUser);
    const leaver = await openStream({ authorization: `Bearer ${await token('leaver@test.dev')}` });
    await database.db('users').where({ id: disabledUser }).update({ disabled_at: new Date() });
    await waitFor(() => leaver.ended, { what: 'the disabled user’s stream to end' });
    // The others keep streaming.
    expect([a1, a2, b1, admin].map((s) => s.ended)).toEqual([false, false, false, false]);
  });

  it('ends the stream when the client goes away', async () => {
    b1.close();
    await waitFor(
      async () => /^kliovo_sse_subscribers 3$/m.test(await (await fetch(`${app.baseUrl}/metrics`)).text()),
      { what: 'the subscriber gauge to drop' },
    );
  });
});
