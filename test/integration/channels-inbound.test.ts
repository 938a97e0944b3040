/**
 * The inbound half of the channels issue (#4), end to end on the product's own processes:
 * signed Messenger and Instagram webhooks on /webhooks/meta reach their conversations; a
 * WhatsApp image is downloaded from the (fake) Graph API with the channel's token, stored, and
 * served at /api/v1/media/:id only to staff who see the conversation; delivery statuses move
 * outbound messages forward only; a reaction updates its target without opening a waiting period;
 * quotes, forwards and ad referrals are kept on the message.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { conversationWorkflowId, stateQuery } from '../../workflows/conversation/contract';
import { addMember, upsertChannel, upsertTeam, upsertUser } from '../support/factories';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { startApp, type RunningApp } from '../support/app-processes';
import { startTestTemporal, uniqueTaskQueue } from '../support/temporal';
import {
  messengerReadEvent,
  metaJson,
  metaMessagingWebhook,
  metaTextEvent,
  postWebhook,
  signature,
  whatsappMessageWebhook,
  whatsappStatusWebhook,
  whatsappTextWebhook,
} from '../support/webhooks';
import { waitFor } from '../support/wait-for';
import { apiToken as issueToken } from '../support/api-token';

const APP_SECRET = 'test-app-secret';
const VERIFY_TOKEN = 'test-verify-token';
const PHONE_NUMBER_ID = '100000000000001';
const PAGE_ID = '300000000000003';
const IG_ACCOUNT_ID = '400000000000004';
const WA_TOKEN = 'test-wa-token';
const FB_TOKEN = 'test-fb-token';
const IG_TOKEN = 'test-ig-token';
const PASSWORD = 'correct horse battery';

describe('messages, media, receipts and reactions arrive from every Meta channel', () => {
  let temporal: TestWorkflowEnvironment;
  let database: TestDatabase;
  let graph: FakeGraph;
  let app: RunningApp;
  let mediaDir: string;
  let channels: { whatsapp: string; messenger: string; instagram: string };
  let supportToken: string;
  let salesToken: string;
  const previousMediaDir = process.env.MEDIA_DIR;

  beforeAll(async () => {
    [temporal, database, graph, mediaDir] = await Promise.all([
      startTestTemporal(),
      createTestDatabase(),
      startFakeGraph({ accessTokens: [WA_TOKEN, FB_TOKEN, IG_TOKEN] }),
      mkdtemp(path.join(tmpdir(), 'kliovo-it-media-')),
    ]);
    const db = database.db;
    // Straight to the team queue: no AI first response in these tests.
    await db('workspace_settings')
      .insert({ key: 'ai', value: JSON.stringify({ enabled: false, instructions: '', faq: [] }) })
      .onConflict('key')
      .merge();
    const supportTeamId = await upsertTeam(db, 'Support');
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
    const channel = (kind: 'whatsapp' | 'messenger' | 'instagram', externalId: string, accessToken: string) =>
      upsertChannel(db, { kind, name: `Test ${kind}`, externalId, accessToken, defaultTeamId: supportTeamId });
    channels = {
      whatsapp: await channel('whatsapp', PHONE_NUMBER_ID, WA_TOKEN),
      messenger: await channel('messenger', PAGE_ID, FB_TOKEN),
      instagram: await channel('instagram', IG_ACCOUNT_ID, IG_TOKEN),
    };
    // The spawned worker and web processes inherit the environment: both see this directory.
    process.env.MEDIA_DIR = mediaDir;
    app = await startApp({
      databaseUrl: database.url,
      temporalAddress: temporal.connection.options.address,
      taskQueue: uniqueTaskQueue('channels'),
      graphBaseUrl: graph.url,
      appSecret: APP_SECRET,
      verifyToken: VERIFY_TOKEN,
    });
    supportToken = await apiToken('support@test.dev');
    salesToken = await apiToken('sales@test.dev');
  });

  afterAll(async () => {
    if (previousMediaDir === undefined) delete process.env.MEDIA_DIR;
    else process.env.MEDIA_DIR = previousMediaDir;
    await app?.stop();
    await graph?.close();
    await database?.drop();
    await temporal?.teardown();
    if (mediaDir) await rm(mediaDir, { recursive: true, force: true });
  });

  async function apiToken(email: string): Promise<string> {
    return issueToken(app.baseUrl, email, PASSWORD);
  }

  const api = (token: string, route: string, init: RequestInit = {}) =>
    fetch(`${app.baseUrl}/api/v1${route}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
    });

  const metaPost = (body: unknown) => postWebhook(app.baseUrl, body, APP_SECRET, '/webhooks/meta');
  const whatsappPost = (body: unknown) => postWebhook(app.baseUrl, body, APP_SECRET);
  const messageRow = (externalId: string) =>
    waitFor(() => database.db('messages').where({ external_id: externalId }).first(), {
      what: `message ${externalId}`,
    });

  /** An agent reply through the API; returns the stored outbound message once the provider accepted it. */
  async function reply(conversationId: string, text: string): Promise<{ id: string; externalId: string }> {
    const res = await api(supportToken, `/conversations/${conversationId}/messages`, {
      method: 'POST',
      body: JSON.stringify({ text }),
    });
    expect(res.status).toBe(201);
    const { data } = (await res.json()) as { data: { messageId: string; status: string; externalId: string } };
    expect(data.status).toBe('sent');
    return { id: data.messageId, externalId: data.externalId };
  }

  /** A WhatsApp customer with one waiting text; returns the conversation row. */
  async function whatsappConversation(from: string, id: string) {
    expect(
      (
        await whatsappPost(
          whatsappTextWebhook({ phoneNumberId: PHONE_NUMBER_ID, from, name: `Customer ${from}`, text: 'Hello', id }),
        )
      ).status,
    ).toBe(200);
    const row = await messageRow(id);
    return database.db('conversations').where({ id: row.conversation_id }).first();
  }

  const statusOf = async (messageId: string) => database.db('messages').where({ id: messageId }).first();

  it('answers Meta’s verification handshake on /webhooks/meta only with the right token', async () => {
    const ok = await fetch(
      `${app.baseUrl}/webhooks/meta?hub.mode=subscribe&hub.challenge=8812&hub.verify_token=${VERIFY_TOKEN}`,
    );
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('8812');
    const wrong = await fetch(`${app.baseUrl}/webhooks/meta?hub.mode=subscribe&hub.challenge=1&hub.verify_token=no`);
    expect(wrong.status).toBe(403);
  });

  it('delivers a Messenger text and an Instagram text to the conversation queue of their own channel', async () => {
    const psid = '6254419087712345';
    const igsid = '5612378940012345';
    const fb = await metaPost(
      metaMessagingWebhook(
        'page',
        PAGE_ID,
        metaTextEvent({ from: psid, to: PAGE_ID, mid: 'm_it-fb-1', text: 'Do you ship to España?', replyTo: 'm_prev' }),
      ),
    );
    expect(fb.status).toBe(200);
    const ig = await metaPost(
      metaMessagingWebhook(
        'instagram',
        IG_ACCOUNT_ID,
        metaTextEvent({ from: igsid, to: IG_ACCOUNT_ID, mid: 'ig_it-1', text: 'Is this in stock?' }),
      ),
    );
    expect(ig.status).toBe(200);

    for (const [mid, channelId, key, body] of [
      ['m_it-fb-1', channels.messenger, psid, 'Do you ship to España?'],
      ['ig_it-1', channels.instagram, igsid, 'Is this in stock?'],
    ] as const) {
      const message = await messageRow(mid);
      expect(message).toMatchObject({ channel_id: channelId, direction: 'inbound', type: 'text', body });
      const conversation = await database.db('conversations').where({ id: message.conversation_id }).first();
      expect(conversation).toMatchObject({
        channel_id: channelId,
        status: 'queued',
        workflow_id: conversationWorkflowId(channelId, key),
      });
      expect(conversation.waiting_since).not.toBeNull();
      const contact = await database.db('contacts').where({ id: conversation.contact_id }).first();
      expect(contact).toMatchObject({ channel_id: channelId, external_key: key });
    }
    expect((await messageRow('m_it-fb-1')).reply_to_external_id).toBe('m_prev');

    // …and both show in the team's queue through the API.
    const list = (await (await api(supportToken, '/conversations?queue=all')).json()) as {
      data: Array<{ channel: { kind: string } }>;
    };
    expect(list.data.map((c) => c.channel.kind)).toEqual(expect.arrayContaining(['messenger', 'instagram']));
  });

  it('refuses a bad signature with 401 before parsing, and payloads of no Meta channel with 400', async () => {
    const post = (bytes: string | Buffer, sig: string | undefined) =>
      fetch(`${app.baseUrl}/webhooks/meta`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(sig ? { 'x-hub-signature-256': sig } : {}) },
        body: typeof bytes === 'string' ? bytes : new Uint8Array(bytes),
      });
    const body = metaJson(
      metaMessagingWebhook('page', PAGE_ID, metaTextEvent({ from: '999', to: PAGE_ID, mid: 'm_it-bad', text: 'hi' })),
    );
    // Not even JSON: a 401 proves the signature was checked first.
    for (const [bytes, sig] of [
      ['{"object": "page", "entry": [', signature(Buffer.from('something else'), APP_SECRET)],
      [body, undefined],
      [body, signature(body, 'another-secret')],
      [body, signature(body, APP_SECRET).replace('sha256=', 'sha1=')],
    ] as const) {
      const res = await post(bytes, sig);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');
    }
    for (const text of [
      '{"object": "page", "entry": [',
      '{"object":"whatsapp_business_account","entry":[]}',
      '{"object":"page","entry":"nope"}',
    ]) {
      const res = await post(text, signature(Buffer.from(text), APP_SECRET));
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('bad_request');
    }
    expect(await database.db('messages').where({ external_id: 'm_it-bad' }).first()).toBeUndefined();
  });

  it('records a redelivered webhook once', async () => {
    const webhook = metaMessagingWebhook(
      'page',
      PAGE_ID,
      metaTextEvent({ from: '7000000000000001', to: PAGE_ID, mid: 'm_it-dup', text: 'once please' }),
    );
    for (let i = 0; i < 3; i++) expect((await metaPost(webhook)).status).toBe(200);
    // Signals of one contact are ordered: once the next message is stored, the duplicates were handled.
    await metaPost(
      metaMessagingWebhook(
        'page',
        PAGE_ID,
        metaTextEvent({ from: '7000000000000001', to: PAGE_ID, mid: 'm_it-dup-after', text: 'thanks' }),
      ),
    );
    await messageRow('m_it-dup-after');
    const copies = await database.db('messages').where({ external_id: 'm_it-dup' }).count('* as n').first();
    expect(Number(copies?.n)).toBe(1);
  });

  it('downloads a WhatsApp image with the channel’s token and serves it only to staff who see the conversation', async () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('a broken part, photographed')]);
    graph.addMedia('1482736651992045', bytes, 'image/jpeg');
    const res = await whatsappPost(
      whatsappMessageWebhook({
        phoneNumberId: PHONE_NUMBER_ID,
        from: '447700900201',
        name: 'Photo Sender',
        message: {
          id: 'wamid.it-image',
          type: 'image',
          image: {
            id: '1482736651992045',
            mime_type: 'image/jpeg',
            sha256: createHash('sha256').update(bytes).digest('base64'),
            caption: 'Broken part',
          },
        },
      }),
    );
    expect(res.status).toBe(200);
    const message = await messageRow('wamid.it-image');
    expect(message).toMatchObject({ type: 'image', body: 'Broken part' });
    const media = await waitFor(
      () => database.db('media').where({ message_id: message.id, status: 'stored' }).first(),
      { what: 'the stored image' },
    );
    expect(media).toMatchObject({
      channel_id: channels.whatsapp,
      provider_media_id: '1482736651992045',
      mime_type: 'image/jpeg',
      sha256: createHash('sha256').update(bytes).digest('hex'),
      storage_key: media.id,
    });
    expect(Number(media.size_bytes)).toBe(bytes.length);

    // Both Graph requests of WIRE.md §2.5 carried the channel's bearer token.
    const lookups = graph.requests.filter((r) => r.operation === 'media' && r.path === '/v25.0/1482736651992045');
    const downloads = graph.requests.filter((r) => r.operation === 'download' && r.query.mid === '1482736651992045');
    expect(lookups.length).toBeGreaterThanOrEqual(1);
    expect(downloads.length).toBeGreaterThanOrEqual(1);
    for (const r of [...lookups, ...downloads]) expect(r.headers.authorization).toBe(`Bearer ${WA_TOKEN}`);

    const served = await api(supportToken, `/media/${media.id}`);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/jpeg');
    expect(served.headers.get('content-length')).toBe(String(bytes.length));
    expect(served.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    expect(served.headers.get('content-disposition')).toMatch(/^inline; filename="image-[0-9a-f]{8}\.jpg"/);
    expect(Buffer.from(await served.arrayBuffer()).equals(bytes)).toBe(true);

    // Another team's agent, a stranger and a made-up id all see nothing.
    expect((await api(salesToken, `/media/${media.id}`)).status).toBe(404);
    expect((await fetch(`${app.baseUrl}/api/v1/media/${media.id}`)).status).toBe(401);
    expect((await api(supportToken, '/media/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await api(supportToken, '/media/..%2F..%2Fetc%2Fpasswd')).status).toBe(404);
  });

  it('serves a document as an attachment under its own name', async () => {
    const pdf = Buffer.from('%PDF-1.7 invoice');
    graph.addMedia('1482736651992048', pdf, 'application/pdf');
    await whatsappPost(
      whatsappMessageWebhook({
        phoneNumberId: PHONE_NUMBER_ID,
        from: '447700900202',
        message: {
          id: 'wamid.it-document',
          type: 'document',
          document: { id: '1482736651992048', mime_type: 'application/pdf', filename: 'Rechnung März.pdf' },
        },
      }),
    );
    const message = await messageRow('wamid.it-document');
    const media = await waitFor(
      () => database.db('media').where({ message_id: message.id, status: 'stored' }).first(),
      {
        what: 'the stored document',
      },
    );
    const served = await api(supportToken, `/media/${media.id}`);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('application/pdf');
    expect(served.headers.get('content-disposition')).toBe(
      `attachment; filename="Rechnung M_rz.pdf"; filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf`,
    );
    expect(Buffer.from(await served.arrayBuffer()).equals(pdf)).toBe(true);
  });

  it('marks media Meta no longer has as failed with the reason, and keeps the conversation going', async () => {
    await whatsappPost(
      whatsappMessageWebhook({
        phoneNumberId: PHONE_NUMBER_ID,
        from: '447700900203',
        message: { id: 'wamid.it-gone', type: 'image', image: { id: '999999999', mime_type: 'image/jpeg' } },
      }),
    );
    const message = await messageRow('wamid.it-gone');
    const media = await waitFor(
      () => database.db('media').where({ message_id: message.id, status: 'failed' }).first(),
      {
        what: 'the failed media row',
      },
    );
    expect(media.error).toEqual(expect.any(String));
    expect(media.storage_key).toBeNull();
    expect((await api(supportToken, `/media/${media.id}`)).status).toBe(404);
    // The next message of the same customer is recorded as usual.
    await whatsappPost(
      whatsappTextWebhook({
        phoneNumberId: PHONE_NUMBER_ID,
        from: '447700900203',
        text: 'did you get it?',
        id: 'wamid.it-gone-2',
      }),
    );
    await messageRow('wamid.it-gone-2');
  });

  it('moves WhatsApp delivery statuses forward only, and shows a failure with Meta’s code and reason', async () => {
    const conversation = await whatsappConversation('447700900301', 'wamid.it-status-in');
    const first = await reply(conversation.id, 'It left the warehouse today.');

    const send = (...statuses: Parameters<typeof whatsappStatusWebhook>[1][]) =>
      whatsappPost(whatsappStatusWebhook(PHONE_NUMBER_ID, ...statuses)).then((r) => expect(r.status).toBe(200));
    // Receipts are written before the webhook is answered: no waiting needed.
    await send({ id: first.externalId, status: 'read', recipientId: '447700900301' });
    expect(await statusOf(first.id)).toMatchObject({ status: 'read' });
    const afterRead = await statusOf(first.id);
    expect(afterRead.read_at).not.toBeNull();
    expect(afterRead.delivered_at).not.toBeNull();
    await send({ id: first.externalId, status: 'delivered' });
    await send({ id: first.externalId, status: 'sent' });
    await send({ id: first.externalId, status: 'failed', error: { code: 131026, title: 'Message undeliverable' } });
    expect(await statusOf(first.id)).toMatchObject({ status: 'read', error_code: null });
    // Unknown ids (sent before a restore, or by another tool) change nothing and are still acknowledged.
    await send({ id: 'wamid.not-ours', status: 'delivered' });

    const second = await reply(conversation.id, 'Here is the tracking link.');
    const details =
      'Message failed to send because more than 24 hours have passed since the customer last replied to this number.';
    await send({
      id: second.externalId,
      status: 'failed',
      error: { code: 131047, title: 'Re-engagement message', details },
    });
    await send({ id: second.externalId, status: 'delivered' });
    await send({
      id: second.externalId,
      status: 'failed',
      error: { code: 131047, title: 'Re-engagement message', details },
    });
    expect(await statusOf(second.id)).toMatchObject({ status: 'failed', error_code: 131047, error_reason: details });

    const thread = (await (await api(supportToken, `/conversations/${conversation.id}/messages`)).json()) as {
      data: Array<{ id: string; status: string; error: { code: number | null; reason: string } | null }>;
    };
    const shown = new Map(thread.data.map((m) => [m.id, m]));
    expect(shown.get(first.id)).toMatchObject({ status: 'read', error: null });
    expect(shown.get(second.id)).toMatchObject({ status: 'failed', error: { code: 131047, reason: details } });
  });

  it('marks Messenger messages read up to the watermark', async () => {
    const psid = '7100000000000001';
    await metaPost(
      metaMessagingWebhook(
        'page',
        PAGE_ID,
        metaTextEvent({ from: psid, to: PAGE_ID, mid: 'm_it-wm', text: 'Any news?' }),
      ),
    );
    const inbound = await messageRow('m_it-wm');
    const sent = await reply(inbound.conversation_id, 'Yes, it ships tomorrow.');
    expect(sent.externalId).toMatch(/^m_/);
    const sentAt = (await statusOf(sent.id)).sent_at.getTime();

    // A watermark before our message leaves it alone; one after it marks it read.
    await metaPost(
      metaMessagingWebhook('page', PAGE_ID, messengerReadEvent({ from: psid, to: PAGE_ID, watermark: sentAt - 1 })),
    );
    expect(await statusOf(sent.id)).toMatchObject({ status: 'sent' });
    await metaPost(
      metaMessagingWebhook('page', PAGE_ID, messengerReadEvent({ from: psid, to: PAGE_ID, watermark: sentAt + 1000 })),
    );
    expect(await statusOf(sent.id)).toMatchObject({ status: 'read' });
    // The customer's own message is not ours to mark.
    expect(await statusOf(inbound.id)).toMatchObject({ status: 'received' });
  });

  it('applies a reaction to the message it targets without adding a bubble or starting the SLA clock', async () => {
    const conversation = await whatsappConversation('447700900401', 'wamid.it-react-in');
    const answered = await reply(conversation.id, 'Your refund is on its way.');
    const handle = temporal.client.workflow.getHandle(conversation.workflow_id);
    const before = await handle.query(stateQuery);
    expect(before.waitingSince).toBeNull();
    expect(before.slaSince).toBeNull();
    const bubbles = async () =>
      Number((await database.db('messages').where({ conversation_id: conversation.id }).count('* as n').first())?.n);
    const count = await bubbles();

    const react = (id: string, emoji: string) =>
      whatsappPost(
        whatsappMessageWebhook({
          phoneNumberId: PHONE_NUMBER_ID,
          from: '447700900401',
          message: { id, type: 'reaction', reaction: { message_id: answered.externalId, emoji } },
        }),
      );
    expect((await react('wamid.it-react-1', '👍')).status).toBe(200);
    await waitFor(async () => (await statusOf(answered.id)).reactions?.contact === '👍', { what: 'the reaction' });

    const after = await handle.query(stateQuery);
    expect(after.waitingSince).toBeNull();
    expect(after.slaSince).toBeNull();
    expect(after.status).toBe(before.status);
    expect(after.lastInboundAt).toBe(before.lastInboundAt);
    expect(await bubbles()).toBe(count);
    const row = await database.db('conversations').where({ id: conversation.id }).first();
    expect(row.waiting_since).toBeNull();
    expect(row.sla_next_at).toBeNull();

    // Removing it (empty emoji, WIRE.md §1.6) takes it off the message again.
    expect((await react('wamid.it-react-2', '')).status).toBe(200);
    await waitFor(async () => (await statusOf(answered.id)).reactions?.contact === undefined, {
      what: 'the reaction removed',
    });
    expect(await bubbles()).toBe(count);
  });

  it('keeps the quoted message, forwarding and the ad referral with a WhatsApp message', async () => {
    await whatsappPost(
      whatsappMessageWebhook({
        phoneNumberId: PHONE_NUMBER_ID,
        from: '447700900501',
        message: {
          id: 'wamid.it-context',
          type: 'text',
          text: { body: 'Saw your ad, is this still on?' },
          context: { from: '15550100001', id: 'wamid.it-quoted', forwarded: true },
          referral: {
            source_url: 'https://fb.me/9xQwErTy',
            source_id: '120231234567890123',
            source_type: 'ad',
            headline: 'Chat with our team',
            ctwa_clid: 'ARAkLk3-example-click-id',
          },
        },
      }),
    );
    const message = await messageRow('wamid.it-context');
    expect(message).toMatchObject({
      reply_to_external_id: 'wamid.it-quoted',
      forwarded: 'forwarded',
      referral: expect.objectContaining({
        sourceType: 'ad',
        sourceId: '120231234567890123',
        headline: 'Chat with our team',
      }),
    });
  });
});
