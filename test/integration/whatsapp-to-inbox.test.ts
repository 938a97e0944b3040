/**
 * The walking skeleton, end to end on real parts: a signed WhatsApp webhook reaches the running
 * web process, becomes a conversation workflow on Temporal, is projected into Postgres by the
 * worker, shows in the inbox pages and the REST API, and an agent's reply arrives at the (fake)
 * WhatsApp Cloud API exactly as Meta documents it.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { conversationWorkflowId } from '../../workflows/conversation/contract';
import { INBOX_CHANNEL, INBOX_STATUS, INBOX_TEAM } from '../../workflows/shared/search-attributes';
import { addMember, upsertChannel, upsertTeam, upsertUser } from '../support/factories';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { PageClient, startApp, type RunningApp } from '../support/app-processes';
import { startTestTemporal, uniqueTaskQueue } from '../support/temporal';
import { metaJson, postWebhook, signature, whatsappTextWebhook } from '../support/webhooks';
import { waitFor } from '../support/wait-for';
import { apiToken as issueToken } from '../support/api-token';

const APP_SECRET = 'test-app-secret';
const VERIFY_TOKEN = 'test-verify-token';
const PHONE_NUMBER_ID = '100000000000001';
const ACCESS_TOKEN = 'test-wa-access-token';
const PASSWORD = 'correct horse battery';

describe('a WhatsApp message travels from webhook to inbox and the reply back to WhatsApp', () => {
  let temporal: TestWorkflowEnvironment;
  let database: TestDatabase;
  let graph: FakeGraph;
  let app: RunningApp;
  let channelId: string;
  let supportTeamId: string;

  beforeAll(async () => {
    [temporal, database, graph] = await Promise.all([
      startTestTemporal(),
      createTestDatabase(),
      startFakeGraph({ accessTokens: [ACCESS_TOKEN] }),
    ]);
    const db = database.db;
    supportTeamId = await upsertTeam(db, 'Support');
    const salesTeamId = await upsertTeam(db, 'Sales');
    await addMember(
      db,
      supportTeamId,
      await upsertUser(db, { email: 'support@test.dev', name: 'Sara Support', role: 'agent', password: PASSWORD }),
    );
    await addMember(
      db,
      salesTeamId,
      await upsertUser(db, { email: 'sales@test.dev', name: 'Sam Sales', role: 'agent', password: PASSWORD }),
    );
    channelId = await upsertChannel(db, {
      kind: 'whatsapp',
      name: 'Test store',
      externalId: PHONE_NUMBER_ID,
      accessToken: ACCESS_TOKEN,
      defaultTeamId: supportTeamId,
    });
    app = await startApp({
      databaseUrl: database.url,
      temporalAddress: temporal.connection.options.address,
      taskQueue: uniqueTaskQueue('it'),
      graphBaseUrl: graph.url,
      appSecret: APP_SECRET,
      verifyToken: VERIFY_TOKEN,
    });
  });

  afterAll(async () => {
    await app?.stop();
    await graph?.close();
    await database?.drop();
    await temporal?.teardown();
  });

  const countMessages = async () => Number((await database.db('messages').count('* as n').first())?.n ?? 0);

  /** A bearer token from POST /api/v1/auth/tokens, asserting it was issued. */
  async function apiToken(email: string): Promise<string> {
    return issueToken(app.baseUrl, email, PASSWORD);
  }

  /** Posts a signed one-message webhook (200 expected) and waits until the worker stored it. */
  async function deliverAndWaitForRow(spec: { from: string; name: string; text: string; id: string }) {
    expect(
      (await postWebhook(app.baseUrl, whatsappTextWebhook({ ...spec, phoneNumberId: PHONE_NUMBER_ID }), APP_SECRET))
        .status,
    ).toBe(200);
    return waitFor(() => database.db('messages').where({ external_id: spec.id }).first(), {
      what: `message ${spec.id}`,
    });
  }

  it('answers Meta’s verification handshake only with the right token', async () => {
    const ok = await fetch(
      `${app.baseUrl}/webhooks/whatsapp?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=${VERIFY_TOKEN}`,
    );
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('1158201444');
    const wrong = await fetch(
      `${app.baseUrl}/webhooks/whatsapp?hub.mode=subscribe&hub.challenge=1&hub.verify_token=nope`,
    );
    expect(wrong.status).toBe(403);
  });

  it('projects the message, shows it in the inbox and API, and sends the agent reply through the Cloud API', async () => {
    const text = 'Grüße! Is my order #8812 shipped? 📦';
    const sentAtSeconds = Math.floor(Date.now() / 1000) - 60;
    const webhook = whatsappTextWebhook({
      phoneNumberId: PHONE_NUMBER_ID,
      from: '447700900123',
      name: 'Priya Shah',
      text,
      id: 'wamid.it-1',
      // Recent: an agent may only answer freely within WhatsApp's 24-hour window.
      timestamp: sentAtSeconds,
    });
    const res = await postWebhook(app.baseUrl, webhook, APP_SECRET);
    expect(res.status).toBe(200);

    // Postgres: the projection written by the worker's activities.
    const message = await waitFor(() => database.db('messages').where({ external_id: 'wamid.it-1' }).first(), {
      what: 'the message row',
    });
    expect(message).toMatchObject({
      direction: 'inbound',
      author_kind: 'contact',
      type: 'text',
      body: text,
      status: 'received',
    });
    expect(message.sent_at.toISOString()).toBe(new Date(sentAtSeconds * 1000).toISOString());
    // No API key in this test: the AI's keyword fallback finds no FAQ and hands over to the team queue.
    const conversation = await waitFor(
      async () => {
        const row = await database.db('conversations').where({ id: message.conversation_id }).first();
        return row?.status === 'queued' ? row : undefined;
      },
      { what: 'the handover to the team queue' },
    );
    expect(conversation).toMatchObject({
      status: 'queued',
      team_id: supportTeamId,
      workflow_id: conversationWorkflowId(channelId, '447700900123'),
    });
    const contact = await database.db('contacts').where({ id: conversation.contact_id }).first();
    expect(contact).toMatchObject({ external_key: '447700900123', wa_id: '447700900123', display_name: 'Priya Shah' });

    // Temporal: the workflow, findable by its search attributes, with a human summary.
    const handle = temporal.client.workflow.getHandle(conversation.workflow_id);
    // The projection is written inside the workflow task (local activities); its search attributes
    // are upserted when that task completes, a moment later.
    const description = await waitFor(
      async () => {
        const d = await handle.describe();
        const attributes = d.typedSearchAttributes;
        return attributes.get(INBOX_TEAM) === supportTeamId && attributes.get(INBOX_STATUS) === 'queued'
          ? d
          : undefined;
      },
      { what: 'the search attributes' },
    );
    expect(description.status.name).toBe('RUNNING');
    expect(description.typedSearchAttributes.get(INBOX_STATUS)).toBe('queued');
    expect(description.typedSearchAttributes.get(INBOX_CHANNEL)).toBe('whatsapp');
    expect(await description.staticSummary()).toBe('WhatsApp conversation with Priya Shah');
    const listed = await waitFor(
      async () => {
        for await (const wf of temporal.client.workflow.list({
          query: `InboxStatus = 'queued' AND InboxChannel = 'whatsapp'`,
        })) {
          if (wf.workflowId === conversation.workflow_id) return wf;
        }
        return undefined;
      },
      { what: 'the workflow in a visibility query' },
    );
    expect(listed.type).toBe('conversationWorkflow');

    // The inbox pages, as the agent of the conversation's team sees them.
    const browser = new PageClient(app.baseUrl);
    expect((await browser.signIn('support@test.dev', PASSWORD)).status).toBe(302);
    const inbox = await browser.get('/inbox/all');
    expect(inbox.status).toBe(200);
    const inboxHtml = await inbox.text();
    expect(inboxHtml).toContain('Priya Shah');
    expect(inboxHtml).toContain('Is my order #8812 shipped?');
    const thread = await browser.get(`/inbox/all/${conversation.id}`);
    expect(thread.status).toBe(200);
    expect(await thread.text()).toContain('Grüße! Is my order #8812 shipped? 📦');

    // The REST API: a token, the list, the thread, and a reply.
    const token = await apiToken('support@test.dev');
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${app.baseUrl}/api/v1${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
      });
    const list = (await (await api('/conversations?queue=all')).json()) as {
      data: Array<{ id: string; contact: { name: string } }>;
    };
    expect(list.data.map((c) => [c.id, c.contact.name])).toEqual([[conversation.id, 'Priya Shah']]);
    const thread1 = (await (await api(`/conversations/${conversation.id}/messages`)).json()) as {
      data: Array<{ body: string }>;
    };
    expect(thread1.data.map((m) => m.body)).toEqual([text]);

    const replyRes = await api(`/conversations/${conversation.id}/messages`, {
      method: 'POST',
      body: JSON.stringify({ text: 'Yes, it left today 🚚' }),
    });
    expect(replyRes.status).toBe(201);
    const reply = (await replyRes.json()) as { data: { messageId: string; status: string; externalId: string } };
    expect(reply.data.status).toBe('sent');

    // The exact Cloud API request (WIRE.md §2.1-2.2).
    const [sent] = await graph.waitForRequests(1);
    expect(sent!.method).toBe('POST');
    expect(sent!.path).toBe(`/v25.0/${PHONE_NUMBER_ID}/messages`);
    expect(sent!.headers.authorization).toBe(`Bearer ${ACCESS_TOKEN}`);
    expect(sent!.headers['content-type']).toContain('application/json');
    expect(sent!.body).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '+447700900123',
      type: 'text',
      text: { preview_url: false, body: 'Yes, it left today 🚚' },
      biz_opaque_callback_data: reply.data.messageId,
    });
    const stored = await database.db('messages').where({ id: reply.data.messageId }).first();
    expect(stored).toMatchObject({
      direction: 'outbound',
      author_kind: 'agent',
      status: 'sent',
      external_id: reply.data.externalId,
    });
    expect(stored.external_id).toMatch(/^wamid\./);

    // …and the same reply path from the thread page's composer.
    const formReply = await browser.post(`/inbox/all/${conversation.id}`, { text: 'Tracking link follows.' });
    expect(formReply.status).toBe(200);
    const [, second] = await graph.waitForRequests(2);
    expect(second!.body).toMatchObject({ to: '+447700900123', text: { body: 'Tracking link follows.' } });
    const page = await (await browser.get(`/inbox/all/${conversation.id}`)).text();
    expect(page).toContain('Tracking link follows.');
    // Replying to an unowned conversation made the agent its owner.
    const afterReply = await handle.describe();
    expect(afterReply.typedSearchAttributes.get(INBOX_STATUS)).toBe('assigned');
  });

  it('stores a redelivered webhook once', async () => {
    const webhook = whatsappTextWebhook({
      phoneNumberId: PHONE_NUMBER_ID,
      from: '212600000001',
      name: 'Youssef',
      text: 'Confirm my COD order',
      id: 'wamid.it-dup',
    });
    for (let i = 0; i < 3; i++) expect((await postWebhook(app.baseUrl, webhook, APP_SECRET)).status).toBe(200);
    // A later message of the same contact is handled after the duplicates (signals are ordered).
    await deliverAndWaitForRow({ from: '212600000001', name: 'Youssef', text: 'Thanks', id: 'wamid.it-dup-after' });

    const copies = await database.db('messages').where({ external_id: 'wamid.it-dup' }).count('* as n').first();
    expect(Number(copies?.n)).toBe(1);
  });

  it('refuses bad signatures with 401 and malformed bodies with 400, storing nothing', async () => {
    const before = await countMessages();
    const conversationsBefore = await database.db('conversations').count('* as n').first();
    const body = whatsappTextWebhook({
      phoneNumberId: PHONE_NUMBER_ID,
      from: '33612345678',
      name: 'Mallory',
      text: 'hi',
      id: 'wamid.it-bad',
    });
    const raw = metaJson(body);
    const post = (bytes: Buffer | string, sig: string | undefined) =>
      fetch(`${app.baseUrl}/webhooks/whatsapp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(sig ? { 'x-hub-signature-256': sig } : {}) },
        body: typeof bytes === 'string' ? bytes : new Uint8Array(bytes),
      });

    const badSignatures = [
      undefined,
      signature(raw, 'another-secret'),
      signature(raw, APP_SECRET).replace('sha256=', 'sha1='),
      'sha256=abc',
    ];
    for (const sig of badSignatures) {
      const res = await post(raw, sig);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: { code: 'unauthenticated', message: expect.any(String) } });
    }
    const malformed = [
      '{"object": "whatsapp_business_account", "entry": [',
      '{"object":"page","entry":[]}',
      '{"object":"whatsapp_business_account","entry":"nope"}',
    ];
    for (const text of malformed) {
      const res = await post(text, signature(Buffer.from(text), APP_SECRET));
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('bad_request');
    }
    // Nothing reached Temporal or Postgres: a valid message sent now is the only new row.
    await deliverAndWaitForRow({ from: '447700900999', name: 'Probe', text: 'probe', id: 'wamid.it-probe' });
    expect(await countMessages()).toBe(before + 1);
    expect(await database.db('messages').where({ external_id: 'wamid.it-bad' }).first()).toBeUndefined();
    const conversationsAfter = await database.db('conversations').count('* as n').first();
    expect(Number(conversationsAfter?.n)).toBe(Number(conversationsBefore?.n) + 1);
  });

  it('hides another team’s conversation from an agent as not found', async () => {
    const conversation = await database.db('conversations').first('id');
    const browser = new PageClient(app.baseUrl);
    await browser.signIn('sales@test.dev', PASSWORD);
    expect((await browser.get(`/inbox/all/${conversation.id}`)).status).toBe(404);
    const token = await apiToken('sales@test.dev');
    const res = await fetch(`${app.baseUrl}/api/v1/conversations/${conversation.id}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'not mine' }),
    });
    expect(res.status).toBe(404);
    expect(
      graph.requests.filter((r) => (r.body as { text?: { body?: string } })?.text?.body === 'not mine'),
    ).toHaveLength(0);
  });
});
