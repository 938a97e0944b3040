/**
 * Access control (issue #7; ASVS 5.0 authorization, session, origin and logging rows) on the
 * running web and worker processes. What auth-sessions.test.ts and api-actions.test.ts already
 * prove (session rotation, sign-out, disabled users, idle/absolute timeouts, cookie flags,
 * brute-force locking, cross-origin 403s on the API and /logout, another team's agent on every
 * /api/v1/conversations/:id route) is not repeated here; RELIABILITY.md lists both. Here:
 *
 * - IDOR probes by an agent of another team on the remaining id-taking routes: /media/:id,
 *   /notifications/:id/read, /contacts/:id, /channels/:id/templates(/sync) and the web page
 *   /inbox/:queue/:conversationId with its form actions: 404 (or 403 for a manager-only action),
 *   and nothing changes;
 * - role changes made in the settings page take effect on the very next request, both ways;
 * - state changes only by POST from our own origin: GET never changes anything, a cross-site
 *   form post to a page action is refused and audited;
 * - no phone number, message text, token or secret in the logs of the whole run (worker and web,
 *   at debug level), nor in any conversation workflow's search attributes.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { conversationWorkflowId } from '../../workflows/conversation/contract';
import { PageClient, startApp, type RunningApp } from '../support/app-processes';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { addMember, upsertChannel, upsertTeam, upsertUser } from '../support/factories';
import { startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { startTestTemporal, uniqueTaskQueue } from '../support/temporal';
import { waitFor } from '../support/wait-for';
import { postWebhook, whatsappMessageWebhook, whatsappTextWebhook } from '../support/webhooks';

const APP_SECRET = 'access-app-secret-7f3a';
const PHONE_NUMBER_ID = '100000000000876';
const ACCESS_TOKEN = 'access-wa-token-91be';
const PASSWORD = 'correct horse battery';
const CUSTOMER_PHONE = '447700912345';
const CUSTOMER_TEXT = 'My account number is 99-1234, the parcel never arrived';
const IMAGE_CAPTION = 'Photo of the damaged parcel';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('access control', () => {
  let temporal: TestWorkflowEnvironment;
  let database: TestDatabase;
  let graph: FakeGraph;
  let app: RunningApp;
  let mediaDir: string;
  let supportId: string;
  let ids: Record<'owner' | 'admin' | 'ada' | 'sal', string>;
  const tokens: Record<string, string> = {};
  const pages: Record<string, PageClient> = {};
  let conversation: Record<string, Json>;
  let mediaId: string;
  let notificationId: string;
  const db = () => database.db;

  async function api(who: string, method: string, p: string, body?: unknown): Promise<{ status: number; body: Json }> {
    const res = await fetch(`${app.baseUrl}/api/v1${p}`, {
      method,
      headers: {
        authorization: `Bearer ${tokens[who]}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  /** Everything a probe could change. */
  async function snapshot() {
    const conv = await db()('conversations').where({ id: conversation.id }).first();
    const count = async (table: string) => Number((await db()(table).count({ n: '*' }))[0]?.n);
    return {
      conversation: conv,
      notification: await db()('notifications').where({ id: notificationId }).first('read_at'),
      notes: await count('notes'),
      events: await count('events'),
      messages: await count('messages'),
      templates: await count('message_templates'),
      audit: (await db()('audit_log').whereNot('action', 'auth.forbidden').count({ n: '*' }))[0]?.n,
    };
  }

  beforeAll(async () => {
    [temporal, database, graph, mediaDir] = await Promise.all([
      startTestTemporal(),
      createTestDatabase(),
      startFakeGraph({ accessTokens: [ACCESS_TOKEN] }),
      mkdtemp(path.join(tmpdir(), 'kliovo-access-media-')),
    ]);
    await db()('workspace_settings').insert({
      key: 'ai',
      value: JSON.stringify({ enabled: false, instructions: '', faq: [] }),
    });
    supportId = await upsertTeam(db(), 'Support');
    const salesId = await upsertTeam(db(), 'Sales');
    await upsertChannel(db(), {
      kind: 'whatsapp',
      name: 'Access store',
      externalId: PHONE_NUMBER_ID,
      accessToken: ACCESS_TOKEN,
      defaultTeamId: supportId,
    });
    const user = (key: string, role: 'owner' | 'admin' | 'agent') =>
      upsertUser(db(), { email: `${key}@access.test`, name: key, role, password: PASSWORD, availability: 'online' });
    ids = {
      owner: await user('owner', 'owner'),
      admin: await user('admin', 'admin'),
      ada: await user('ada', 'agent'),
      sal: await user('sal', 'agent'),
    };
    await addMember(db(), supportId, ids.ada);
    await addMember(db(), salesId, ids.sal);
    app = await startApp({
      databaseUrl: database.url,
      temporalAddress: temporal.connection.options.address,
      taskQueue: uniqueTaskQueue('access'),
      graphBaseUrl: graph.url,
      appSecret: APP_SECRET,
      verifyToken: 'access-verify',
      // The log scan reads everything both processes print.
      extraEnv: { SLA_DEFAULT_TIERS: '1h,2h,3h', MEDIA_DIR: mediaDir, LOG_LEVEL: 'debug' },
    });
    for (const key of Object.keys(ids)) {
      const res = await fetch(`${app.baseUrl}/api/v1/auth/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: `${key}@access.test`, password: PASSWORD }),
      });
      tokens[key] = ((await res.json()) as { token: string }).token;
      pages[key] = new PageClient(app.baseUrl);
      expect((await pages[key]!.signIn(`${key}@access.test`, PASSWORD)).status).toBe(302);
    }

    // A Support conversation with a stored image, and a notification for ada.
    expect(
      (
        await postWebhook(
          app.baseUrl,
          whatsappTextWebhook({
            phoneNumberId: PHONE_NUMBER_ID,
            from: CUSTOMER_PHONE,
            name: 'Pat Customer',
            text: CUSTOMER_TEXT,
            id: 'wamid.ACCESS1',
          }),
          APP_SECRET,
        )
      ).status,
    ).toBe(200);
    const bytes = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('damaged parcel')]);
    graph.addMedia('5550001112223334', bytes, 'image/jpeg');
    expect(
      (
        await postWebhook(
          app.baseUrl,
          whatsappMessageWebhook({
            phoneNumberId: PHONE_NUMBER_ID,
            from: CUSTOMER_PHONE,
            message: {
              id: 'wamid.ACCESS2',
              type: 'image',
              image: {
                id: '5550001112223334',
                mime_type: 'image/jpeg',
                sha256: createHash('sha256').update(bytes).digest('base64'),
                caption: IMAGE_CAPTION,
              },
            },
          }),
          APP_SECRET,
        )
      ).status,
    ).toBe(200);
    const message = await waitFor(() => db()('messages').where({ external_id: 'wamid.ACCESS2' }).first(), {
      what: 'the image message',
    });
    mediaId = (
      await waitFor(() => db()('media').where({ message_id: message.id, status: 'stored' }).first(), {
        what: 'the stored image',
      })
    ).id;
    conversation = await waitFor(
      () => db()('conversations').where({ id: message.conversation_id }).whereNotNull('team_id').first(),
      {
        what: 'routing',
      },
    );
    expect(
      (
        await api('admin', 'POST', `/conversations/${conversation.id}/handover`, {
          to: { kind: 'agent', userId: ids.ada },
          reason: 'yours',
        })
      ).status,
    ).toBe(202);
    notificationId = (
      await waitFor(() => db()('notifications').where({ user_id: ids.ada }).first(), { what: 'ada’s notification' })
    ).id;
    conversation = await waitFor(
      () => db()('conversations').where({ id: conversation.id, assignee_id: ids.ada }).first(),
      { what: 'the handover' },
    );
  });

  afterAll(async () => {
    await app?.stop();
    await graph?.close();
    await database?.drop();
    await temporal?.teardown();
    await rm(mediaDir, { recursive: true, force: true });
  });

  describe('IDOR probes by an agent of another team (data-level access)', () => {
    it('answers 404 for another team’s media, another user’s notification and another team’s contact, and changes nothing', async () => {
      const before = await snapshot();
      // The owner of the data can: the probes below are refused for who asks, not for what.
      expect(
        (await fetch(`${app.baseUrl}/api/v1/media/${mediaId}`, { headers: { authorization: `Bearer ${tokens.ada}` } }))
          .status,
      ).toBe(200);
      for (const [method, p] of [
        ['GET', `/media/${mediaId}`],
        ['HEAD', `/media/${mediaId}`],
        ['POST', `/notifications/${notificationId}/read`],
        ['GET', `/contacts/${conversation.contact_id}`],
      ] as const) {
        const res = await api('sal', method, p);
        expect({ method, p, status: res.status }).toEqual({ method, p, status: 404 });
      }
      // A notification is its user's alone, even for managers.
      expect((await api('owner', 'POST', `/notifications/${notificationId}/read`)).status).toBe(404);
      // The same probes with the session cookie of the web.
      for (const p of [`/api/v1/media/${mediaId}`, `/api/v1/contacts/${conversation.contact_id}`]) {
        expect((await pages.sal!.get(p)).status).toBe(404);
      }
      expect(await snapshot()).toEqual(before);
    });

    it('shows channel templates to all staff without credentials, and refuses an agent’s template sync with 403', async () => {
      const before = await snapshot();
      const list = await api('sal', 'GET', `/channels/${conversation.channel_id}/templates`);
      // Channels are workspace-wide (DESIGN §4): any agent may reply on them; credentials never leave.
      expect(list.status).toBe(200);
      expect(JSON.stringify(list.body)).not.toContain(ACCESS_TOKEN);
      expect(JSON.stringify((await api('sal', 'GET', '/channels')).body)).not.toContain(ACCESS_TOKEN);
      const sync = await api('sal', 'POST', `/channels/${conversation.channel_id}/templates/sync`);
      expect([sync.status, sync.body.error.code]).toEqual([403, 'forbidden']);
      expect(graph.requests.filter((r) => r.operation === 'templates')).toEqual([]);
      expect(await snapshot()).toEqual(before);
    });

    it('answers 404 for another team’s conversation page and every form action on it, and changes nothing', async () => {
      const before = await snapshot();
      const page = `/inbox/all/${conversation.id}`;
      expect((await pages.ada!.get(page)).status).toBe(200);
      expect((await pages.sal!.get(page)).status).toBe(404);
      expect((await pages.sal!.get(`/inbox/team:${supportId}/${conversation.id}`)).status).toBe(404);
      const forms: Array<Record<string, string>> = [
        { intent: 'claim' },
        { intent: 'note', text: 'not mine' },
        { intent: 'reply', text: 'not mine' },
        { intent: 'tag', tag: 'not-mine' },
        { intent: 'resolve' },
        { intent: 'handover', to: 'manager', reason: 'not mine' },
        { intent: 'snooze', until: new Date(Date.now() + 3_600_000).toISOString() },
      ];
      for (const form of forms) {
        const res = await pages.sal!.post(page, form);
        // 404 once the form is valid (a malformed one is a 400 before any lookup): never 2xx or 5xx.
        expect({ intent: form.intent, refused: [400, 404].includes(res.status) }).toEqual({
          intent: form.intent,
          refused: true,
        });
      }
      expect(await snapshot()).toEqual(before);
      expect(graph.requests.filter((r) => r.rawBody.includes('not mine'))).toEqual([]);
    });
  });

  describe('function-level access and role changes', () => {
    it('takes a role change made on the settings page into account on the very next request, both ways', async () => {
      const updateUser = (userId: string, role: string) =>
        pages.owner!.post('/settings/users', {
          intent: 'update-user',
          userId,
          role,
          capacity: '10',
          availability: 'online',
        });
      const putPolicy = () => api('admin', 'PUT', `/sla-policies/${supportId}`, { tiers: [600, 1200, 1800] });
      expect((await putPolicy()).status).toBe(200);
      expect((await pages.admin!.get('/settings/users')).status).toBe(200);

      expect((await updateUser(ids.admin, 'agent')).status).toBeLessThan(400);
      expect((await putPolicy()).status).toBe(403);
      expect((await pages.admin!.get('/settings/users')).status).toBe(403);
      expect((await api('admin', 'GET', '/audit-log')).status).toBe(403);

      // Promoted: sal sees the Support conversation at once, and loses it again when demoted.
      expect((await api('sal', 'GET', `/conversations/${conversation.id}`)).status).toBe(404);
      expect((await updateUser(ids.sal, 'admin')).status).toBeLessThan(400);
      expect((await api('sal', 'GET', `/conversations/${conversation.id}`)).status).toBe(200);
      expect((await pages.sal!.get(`/inbox/all/${conversation.id}`)).status).toBe(200);
      expect((await updateUser(ids.sal, 'agent')).status).toBeLessThan(400);
      expect((await api('sal', 'GET', `/conversations/${conversation.id}`)).status).toBe(404);
      expect((await updateUser(ids.admin, 'admin')).status).toBeLessThan(400);
      expect((await putPolicy()).status).toBe(200);

      // Every change is in the audit log with who, what and when; the refusals are audited too.
      const changes = await db()('audit_log').where({ action: 'user.update', actor_user_id: ids.owner }).orderBy('id');
      expect(changes.map((c) => [c.target_id, c.data.role, c.data.from.role])).toEqual([
        [ids.admin, 'agent', 'admin'],
        [ids.sal, 'admin', 'agent'],
        [ids.sal, 'agent', 'admin'],
        [ids.admin, 'admin', 'agent'],
      ]);
      const refused = await db()('audit_log').where({ action: 'auth.forbidden', actor_user_id: ids.admin });
      expect(refused.map((r) => r.data.path).sort()).toEqual([
        '/api/v1/audit-log',
        `/api/v1/sla-policies/${supportId}`,
      ]);
    });

    it('refuses an admin, not only an agent, the owner-only audit log', async () => {
      expect((await api('owner', 'GET', '/audit-log')).status).toBe(200);
      for (const who of ['admin', 'ada']) {
        const res = await api(who, 'GET', '/audit-log');
        expect([who, res.status, res.body.error.code]).toEqual([who, 403, 'forbidden']);
      }
    });
  });

  describe('state changes only by POST from our own origin', () => {
    it('changes nothing on GET: not the sign-out page, not a page action in the query string, not an action URL', async () => {
      const before = await snapshot();
      expect((await pages.ada!.get('/logout')).status).toBe(302);
      expect((await api('ada', 'GET', '/me/availability')).status).toBe(200);
      expect((await pages.ada!.get('/api/v1/me/availability')).status).toBe(200);
      expect((await pages.ada!.get(`/inbox/all/${conversation.id}?intent=resolve`)).status).toBe(200);
      for (const action of ['claim', 'resolve', 'reopen', 'snooze', 'handover']) {
        expect((await api('ada', 'GET', `/conversations/${conversation.id}/${action}`)).status).toBe(404);
      }
      expect((await api('ada', 'GET', `/notifications/${notificationId}/read`)).status).toBe(404);
      expect(await snapshot()).toEqual(before);
    });

    it('refuses a cross-site form post to a page action with 403, audited, while the same post from our origin works', async () => {
      const before = await snapshot();
      const cookie = await (async () => {
        const c = new PageClient(app.baseUrl);
        const res = await c.signIn('ada@access.test', PASSWORD);
        return res.headers.get('set-cookie')!.split(';')[0]!;
      })();
      const post = (origin: string) =>
        fetch(`${app.baseUrl}/inbox/all/${conversation.id}`, {
          method: 'POST',
          headers: { cookie, origin, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ intent: 'note', text: 'cross-site note' }).toString(),
          redirect: 'manual',
        });
      for (const origin of ['https://evil.example', 'null', `http://127.0.0.1.evil.example`]) {
        expect((await post(origin)).status).toBe(403);
      }
      expect(await snapshot()).toEqual(before);
      const audited = await waitFor(
        async () => {
          const rows = await db()('audit_log')
            .where({ action: 'auth.forbidden', actor_user_id: ids.ada })
            .whereRaw(`data->>'path' = ?`, [`/inbox/all/${conversation.id}`]);
          return rows.length >= 3 ? rows : undefined;
        },
        { what: 'the refused posts in the audit log' },
      );
      expect(audited.every((r) => r.data.method === 'POST')).toBe(true);
      expect((await post(app.baseUrl)).status).toBeLessThan(400);
      await waitFor(() => db()('notes').where({ conversation_id: conversation.id, body: 'cross-site note' }).first(), {
        what: 'the same-origin note',
      });
    });
  });

  describe('secrets in logs and search attributes', () => {
    it('never writes a phone number, message text, token or secret to the logs of the whole run', async () => {
      // A failing send and a sign-in failure, so the error paths log too.
      graph.failNext(1, { httpStatus: 400, code: 131026, message: 'Message undeliverable' });
      expect(
        (await api('ada', 'POST', `/conversations/${conversation.id}/messages`, { text: 'Sorry about the parcel!' }))
          .status,
      ).toBe(201);
      await fetch(`${app.baseUrl}/api/v1/auth/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'ada@access.test', password: 'wrong-password-123' }),
      });
      const output = app.output();
      expect(output.length).toBeGreaterThan(1_000);
      const cookies = Object.values(pages).map((p) => (p as unknown as { cookie: string }).cookie.split('=')[1]!);
      const secrets: Record<string, string> = {
        'customer phone number': CUSTOMER_PHONE,
        'customer phone number (international)': `+${CUSTOMER_PHONE}`,
        'customer message': CUSTOMER_TEXT,
        'message fragment': 'parcel never arrived',
        'image caption': IMAGE_CAPTION,
        'agent reply': 'Sorry about the parcel',
        'channel access token': ACCESS_TOKEN,
        'app secret': APP_SECRET,
        password: PASSWORD,
        'wrong password': 'wrong-password-123',
        ...Object.fromEntries(Object.entries(tokens).map(([k, t]) => [`${k}'s API token`, t])),
        ...Object.fromEntries(cookies.map((c, i) => [`session cookie ${i + 1}`, c])),
      };
      const leaks = Object.entries(secrets).filter(([, value]) => output.includes(value));
      expect(leaks.map(([what]) => what)).toEqual([]);
    });

    it('keeps phone numbers and message text out of every conversation workflow’s search attributes', async () => {
      const handle = temporal.client.workflow.getHandle(
        conversationWorkflowId(conversation.channel_id, CUSTOMER_PHONE),
      );
      const description = await handle.describe();
      const attributes = JSON.stringify(description.typedSearchAttributes);
      expect(attributes.length).toBeGreaterThan(20);
      for (const value of [CUSTOMER_PHONE, CUSTOMER_TEXT, IMAGE_CAPTION, 'Pat Customer']) {
        expect(attributes).not.toContain(value);
      }
      // The summary names the customer (a display name, never the number).
      expect((await description.staticSummary()) ?? '').not.toContain(CUSTOMER_PHONE);
    });
  });
});
