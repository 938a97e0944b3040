import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInstagramAdapter } from '../../../activities/channels/instagram';
import { createMessengerAdapter } from '../../../activities/channels/messenger';
import { classifyMetaMessagingError, metaWebhookKind } from '../../../activities/channels/meta-messaging';
import {
  ChannelSendError,
  OutboundValidationError,
  WebhookPayloadError,
  type InboundEvent,
  type OutboundMessage,
} from '../../../activities/channels/types';
import { startFakeGraph, type FakeGraph } from '../../support/fake-graph';

const WIRE = join(__dirname, '../../fixtures/wire');
const PAGE = '104882736551920';
const PSID = '6254419087712345';
const IGID = '17841400123456789';
const IGSID = '5612378940012345';

function fixture(kind: 'messenger' | 'instagram', name: string): unknown {
  return JSON.parse(readFileSync(join(WIRE, kind, name), 'utf8')) as unknown;
}

const offline = { graphBaseUrl: 'http://127.0.0.1:1', graphVersion: 'v25.0' };
const messenger = createMessengerAdapter(offline);
const instagram = createInstagramAdapter(offline);

describe('Messenger webhooks (WIRE.md §4.2)', () => {
  const parse = (name: string) => messenger.parseWebhook(fixture('messenger', name));

  it('reads a text message keyed on the PSID, on the Page that received it', () => {
    expect(parse('text-message.json')).toEqual<InboundEvent[]>([
      {
        kind: 'message',
        channelExternalId: PAGE,
        externalId: 'm_AbC123example',
        sentAt: 1_767_702_000_001,
        contact: { key: PSID },
        content: { type: 'text', text: 'Do you ship to Spain?' },
      },
    ]);
  });

  it('reads a quick reply as an interactive reply quoting the earlier message', () => {
    expect(parse('quick-reply.json')).toEqual([
      expect.objectContaining({
        externalId: 'm_AbC124example',
        content: { type: 'interactive_reply', replyKind: 'quick_reply', id: 'SHIPPING_Q', title: 'Shipping' },
        replyTo: 'm_PrevMsg456example',
      }),
    ]);
  });

  it('splits attachments into one event each, with stable derived ids after the first', () => {
    const events = parse('attachments.json');
    expect(events.map((e) => ('externalId' in e ? e.externalId : null))).toEqual([
      'm_Att1example',
      'm_Att1example#1',
      'm_Att1example#2',
      'm_Att1example#3',
      'm_Att1example#4',
      'm_Att1example#5',
    ]);
    expect(events.map((e) => (e.kind === 'message' ? e.content : null))).toEqual([
      { type: 'media', mediaKind: 'image', url: 'https://scontent.xx.fbcdn.net/v/t1.15752-9/photo-example.jpg' },
      { type: 'media', mediaKind: 'document', url: 'https://cdn.fbsbx.com/v/t59.2708-21/invoice-example.pdf' },
      { type: 'media', mediaKind: 'audio', url: 'https://cdn.fbsbx.com/v/t59.3654-21/voice-example.mp4' },
      { type: 'media', mediaKind: 'video', url: 'https://video.xx.fbcdn.net/v/t42.3356-2/clip-example.mp4' },
      { type: 'media', mediaKind: 'sticker', url: 'https://scontent.xx.fbcdn.net/v/t39.1997-6/sticker-example.png' },
      { type: 'unsupported', providerType: 'fallback' },
    ]);
  });

  it('puts the text of a message with attachments first, keeping the mid for it', () => {
    const body = fixture('messenger', 'attachments.json') as {
      entry: { messaging: { message: { text?: string; attachments: unknown[] } }[] }[];
    };
    const message = body.entry[0]!.messaging[0]!.message;
    message.text = 'Here are the photos';
    message.attachments = message.attachments.slice(0, 1);
    expect(messenger.parseWebhook(body)).toEqual([
      expect.objectContaining({ externalId: 'm_Att1example', content: { type: 'text', text: 'Here are the photos' } }),
      expect.objectContaining({
        externalId: 'm_Att1example#1',
        content: expect.objectContaining({ mediaKind: 'image' }),
      }),
    ]);
  });

  it('reads a postback as an interactive reply with its referral', () => {
    expect(parse('postback.json')).toEqual<InboundEvent[]>([
      {
        kind: 'message',
        channelExternalId: PAGE,
        externalId: 'm_Pb1example',
        sentAt: 1_767_702_020_000,
        contact: { key: PSID },
        content: { type: 'interactive_reply', replyKind: 'postback', id: 'HANDOFF', title: 'Talk to an agent' },
        referral: { sourceType: 'SHORTLINK', ref: 'spring-sale' },
      },
    ]);
  });

  it('derives a stable id for a postback without mid', () => {
    const body = fixture('messenger', 'postback.json') as { entry: { messaging: { postback: { mid?: string } }[] }[] };
    delete body.entry[0]!.messaging[0]!.postback.mid;
    const [first] = messenger.parseWebhook(body);
    const [again] = messenger.parseWebhook(structuredClone(body));
    expect(first).toMatchObject({ externalId: `postback:${PSID}:1767702020000` });
    expect(again).toEqual(first);
  });

  it('reads a delivery as a status per mid plus a watermark for everything before it', () => {
    expect(parse('delivery.json')).toEqual<InboundEvent[]>([
      {
        kind: 'status',
        channelExternalId: PAGE,
        externalId: 'm_Out1example',
        status: 'delivered',
        at: 1_767_702_050_500,
      },
      {
        kind: 'status',
        channelExternalId: PAGE,
        externalId: 'm_Out2example',
        status: 'delivered',
        at: 1_767_702_050_500,
      },
      {
        kind: 'watermark',
        channelExternalId: PAGE,
        contactKey: PSID,
        status: 'delivered',
        upTo: 1_767_702_050_000,
        at: 1_767_702_050_500,
      },
    ]);
  });

  it('reads a delivery without mids as a watermark only', () => {
    const body = fixture('messenger', 'delivery.json') as {
      entry: { messaging: { delivery: { mids?: string[] } }[] }[];
    };
    delete body.entry[0]!.messaging[0]!.delivery.mids;
    expect(messenger.parseWebhook(body).map((e) => e.kind)).toEqual(['watermark']);
  });

  it('reads a read receipt as a read watermark for the contact', () => {
    expect(parse('read.json')).toEqual<InboundEvent[]>([
      {
        kind: 'watermark',
        channelExternalId: PAGE,
        contactKey: PSID,
        status: 'read',
        upTo: 1_767_702_090_000,
        at: 1_767_702_090_500,
      },
    ]);
  });

  it('reads an echo of our own send as an echo, swapping sender and recipient', () => {
    expect(parse('echo.json')).toEqual<InboundEvent[]>([
      {
        kind: 'echo',
        channelExternalId: PAGE,
        externalId: 'm_Echo1example',
        sentAt: 1_767_702_100_000,
        contactKey: PSID,
        appId: '1179034455667788',
        clientRef: 'msg-01',
        content: { type: 'text', text: 'Yes, we ship to Spain in 3–5 days.' },
      },
    ]);
  });

  it('reads a reaction as reaction content on the target message with a derived id', () => {
    expect(parse('reaction.json')).toEqual<InboundEvent[]>([
      {
        kind: 'message',
        channelExternalId: PAGE,
        externalId: `reaction:m_Out1example:${PSID}:1767702110000`,
        sentAt: 1_767_702_110_000,
        contact: { key: PSID },
        content: { type: 'reaction', emoji: '❤️', targetExternalId: 'm_Out1example' },
      },
    ]);
  });

  it('yields every event of every entry in payload order', () => {
    expect(parse('batch.json').map((e) => [e.kind, e.channelExternalId])).toEqual([
      ['message', PAGE],
      ['message', PAGE],
      ['watermark', '104882736559999'],
    ]);
  });

  it("dates an event without its own timestamp by the entry's time", () => {
    const body = fixture('messenger', 'text-message.json') as { entry: { messaging: { timestamp?: number }[] }[] };
    delete body.entry[0]!.messaging[0]!.timestamp;
    expect(messenger.parseWebhook(body)).toEqual([expect.objectContaining({ sentAt: 1_767_702_000_123 })]);
  });

  it('reads a timestamp of -0 as 0, so the event survives the JSON of a signal payload unchanged', () => {
    const body = fixture('messenger', 'text-message.json') as { entry: { messaging: { timestamp?: number }[] }[] };
    body.entry[0]!.messaging[0]!.timestamp = -0;
    const [event] = messenger.parseWebhook(body);
    expect(Object.is(event!.kind === 'message' && event!.sentAt, 0)).toBe(true);
    expect(JSON.parse(JSON.stringify([event]))).toEqual([event]);
  });

  it('reads standby events (threads another app controls) like messaging events', () => {
    const body = fixture('messenger', 'text-message.json') as { entry: Record<string, unknown>[] };
    body.entry[0]!.standby = body.entry[0]!.messaging;
    delete body.entry[0]!.messaging;
    expect(messenger.parseWebhook(body)).toEqual(parse('text-message.json'));
  });

  it('ignores events it has no use for yet: referrals alone, opt-ins, handovers', () => {
    const body = {
      object: 'page',
      entry: [
        {
          id: PAGE,
          time: 1,
          messaging: [
            {
              sender: { id: PSID },
              recipient: { id: PAGE },
              timestamp: 1,
              referral: { ref: 'x', source: 'SHORTLINK' },
            },
            { sender: { id: PSID }, recipient: { id: PAGE }, timestamp: 2, optin: { ref: 'y' } },
            {
              sender: { id: PSID },
              recipient: { id: PAGE },
              timestamp: 3,
              pass_thread_control: { new_owner_app_id: '1' },
            },
          ],
        },
      ],
    };
    expect(messenger.parseWebhook(body)).toEqual([]);
  });

  function withFirstEvent(patch: (event: Record<string, unknown>) => void): unknown {
    const body = fixture('messenger', 'text-message.json') as { entry: { messaging: Record<string, unknown>[] }[] };
    patch(body.entry[0]!.messaging[0]!);
    return body;
  }

  it.each<[string, unknown, RegExp]>([
    ['an Instagram body', fixture('instagram', 'text-message.json'), /Invalid Messenger webhook at object:/],
    [
      'a message without mid',
      withFirstEvent((e) => delete (e.message as Record<string, unknown>).mid),
      /messaging\[0\]\.message\.mid:/,
    ],
    ['a message without sender', withFirstEvent((e) => delete e.sender), /messaging\[0\]\.sender\.id:/],
    ['a timestamp in a string', withFirstEvent((e) => (e.timestamp = '1767702000001')), /messaging\[0\]\.timestamp:/],
    [
      'a delivery without watermark',
      withFirstEvent((e) => (delete e.message, (e.delivery = { mids: ['m_1'] }))),
      /delivery\.watermark:/,
    ],
  ])('throws WebhookPayloadError naming the bad path for %s', (_label, body, path) => {
    expect(() => messenger.parseWebhook(body)).toThrow(WebhookPayloadError);
    expect(() => messenger.parseWebhook(body)).toThrow(path);
  });

  it('never echoes message text or user ids in a payload error', () => {
    const body = withFirstEvent((e) => delete (e.message as Record<string, unknown>).mid);
    let error: unknown;
    try {
      messenger.parseWebhook(body);
    } catch (err) {
      error = err;
    }
    expect(String(error)).not.toContain('Do you ship');
    expect(String(error)).not.toContain(PSID);
  });
});

describe('Instagram webhooks (WIRE.md §4.3)', () => {
  const parse = (name: string) => instagram.parseWebhook(fixture('instagram', name));

  it('reads a text message keyed on the IGSID, on the Instagram account', () => {
    expect(parse('text-message.json')).toEqual<InboundEvent[]>([
      {
        kind: 'message',
        channelExternalId: IGID,
        externalId: 'aWdfZAG1faXRlbTox-example',
        sentAt: 1_767_702_000_300,
        contact: { key: IGSID },
        content: { type: 'text', text: 'Is this in stock?' },
      },
    ]);
  });

  it('keeps image attachments as media and reels as named placeholders', () => {
    expect(parse('attachments.json').map((e) => (e.kind === 'message' ? e.content : null))).toEqual([
      {
        type: 'media',
        mediaKind: 'image',
        url: 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1784-example&signature=abc',
      },
      { type: 'unsupported', providerType: 'ig_reel' },
    ]);
  });

  it('reads messaging_seen as a read status of that message', () => {
    expect(parse('seen.json')).toEqual<InboundEvent[]>([
      {
        kind: 'status',
        channelExternalId: IGID,
        externalId: 'aWdfZAG1faXRlbTpPdXQx-example',
        status: 'read',
        at: 1_767_702_020_300,
      },
    ]);
  });

  it('reads an is_echo message as an echo to the customer', () => {
    expect(parse('echo.json')).toEqual([
      expect.objectContaining({ kind: 'echo', channelExternalId: IGID, contactKey: IGSID }),
    ]);
  });

  it('reads an unreact as a reaction removal', () => {
    expect(parse('reaction.json')).toEqual([
      expect.objectContaining({
        content: { type: 'reaction', emoji: null, targetExternalId: 'aWdfZAG1faXRlbTpPdXQx-example' },
      }),
    ]);
  });

  it('reads an ice breaker postback', () => {
    expect(parse('postback.json')).toEqual([
      expect.objectContaining({
        externalId: 'aWdfZAG1faXRlbTpQYjE-example',
        content: { type: 'interactive_reply', replyKind: 'postback', id: 'ICEBREAKER_TRACK', title: 'Track my order' },
      }),
    ]);
  });

  it('keeps an unsupported message as a placeholder and drops an unsend', () => {
    expect(parse('unsupported.json')).toEqual([
      expect.objectContaining({ content: { type: 'unsupported', providerType: 'unsupported' } }),
    ]);
    const body = fixture('instagram', 'text-message.json') as {
      entry: { messaging: { message: Record<string, unknown> }[] }[];
    };
    body.entry[0]!.messaging[0]!.message.is_deleted = true;
    expect(instagram.parseWebhook(body)).toEqual([]);
  });

  it('refuses a Messenger body', () => {
    expect(() => instagram.parseWebhook(fixture('messenger', 'text-message.json'))).toThrow(
      /Invalid Instagram webhook at object:/,
    );
  });
});

describe('metaWebhookKind', () => {
  it('routes a /webhooks/meta body by its object', () => {
    expect(metaWebhookKind(fixture('messenger', 'text-message.json'))).toBe('messenger');
    expect(metaWebhookKind(fixture('instagram', 'text-message.json'))).toBe('instagram');
    expect(metaWebhookKind({ object: 'whatsapp_business_account' })).toBeUndefined();
    expect(metaWebhookKind('nonsense')).toBeUndefined();
  });
});

describe('Messenger and Instagram Send API (WIRE.md §4.4)', () => {
  let graph: FakeGraph;
  let fb: ReturnType<typeof createMessengerAdapter>;
  let ig: ReturnType<typeof createInstagramAdapter>;
  const page = { externalId: PAGE, accessToken: 'EAAB-page-token' };
  const account = { externalId: IGID, accessToken: 'IGAA-token' };
  const reply: OutboundMessage = { type: 'text', to: PSID, text: 'Yes, we ship to Spain in 3–5 days.' };

  beforeAll(async () => {
    graph = await startFakeGraph();
    fb = createMessengerAdapter({ graphBaseUrl: graph.url, graphVersion: 'v25.0' });
    ig = createInstagramAdapter({ graphBaseUrl: graph.url, graphVersion: 'v25.0' });
  });
  afterEach(() => graph.reset());
  afterAll(() => graph.close());

  it('posts a RESPONSE text to the Page with bearer auth and our id as metadata, returning the mid', async () => {
    const result = await fb.send(page, { ...reply, clientRef: 'msg-01' });
    const [request] = await graph.waitForRequests(1);
    expect(request).toMatchObject({ method: 'POST', path: `/v25.0/${PAGE}/messages`, operation: 'send' });
    expect(request!.headers.authorization).toBe('Bearer EAAB-page-token');
    expect(request!.body).toEqual({
      recipient: { id: PSID },
      messaging_type: 'RESPONSE',
      message: { text: 'Yes, we ship to Spain in 3–5 days.', metadata: 'msg-01' },
    });
    expect(result.externalId).toMatch(/^m_./);
  });

  it('sends a HUMAN_AGENT tagged reply as MESSAGE_TAG', async () => {
    await fb.send(page, { ...reply, tag: 'HUMAN_AGENT' });
    const [request] = await graph.waitForRequests(1);
    expect(request!.body).toEqual({
      recipient: { id: PSID },
      messaging_type: 'MESSAGE_TAG',
      tag: 'HUMAN_AGENT',
      message: { text: 'Yes, we ship to Spain in 3–5 days.' },
    });
  });

  it('posts Instagram sends to /me/messages with the account token', async () => {
    await ig.send(account, { type: 'text', to: IGSID, text: 'Size M is in stock.' });
    const [request] = await graph.waitForRequests(1);
    expect(request).toMatchObject({ path: '/v25.0/me/messages' });
    expect(request!.headers.authorization).toBe('Bearer IGAA-token');
    expect(request!.body).toMatchObject({ recipient: { id: IGSID }, message: { text: 'Size M is in stock.' } });
  });

  it.each<[string, OutboundMessage, unknown]>([
    [
      'an image by link',
      { type: 'media', to: PSID, mediaKind: 'image', link: 'https://files.example.com/receipt.jpg' },
      { attachment: { type: 'image', payload: { url: 'https://files.example.com/receipt.jpg', is_reusable: true } } },
    ],
    [
      'a document as a file by attachment id',
      { type: 'media', to: PSID, mediaKind: 'document', mediaId: '1857777774821032' },
      { attachment: { type: 'file', payload: { attachment_id: '1857777774821032' } } },
    ],
    [
      'reply buttons as quick replies',
      {
        type: 'interactive_buttons',
        to: PSID,
        header: 'Order #8812',
        body: 'What would you like to do?',
        buttons: [
          { id: 'track-8812', title: 'Track' },
          { id: 'cancel-8812', title: 'Cancel' },
        ],
      },
      {
        text: 'Order #8812\n\nWhat would you like to do?',
        quick_replies: [
          { content_type: 'text', title: 'Track', payload: 'track-8812' },
          { content_type: 'text', title: 'Cancel', payload: 'cancel-8812' },
        ],
      },
    ],
  ])('sends %s', async (_label, msg, message) => {
    await fb.send(page, msg);
    const [request] = await graph.waitForRequests(1);
    expect((request!.body as { message: unknown }).message).toEqual(message);
  });

  it.each<[string, OutboundMessage, RegExp]>([
    ['a template', { type: 'template', to: PSID, name: 'order_shipped', language: 'en' }, /no WhatsApp templates/],
    [
      'a list',
      {
        type: 'interactive_list',
        to: PSID,
        body: 'Pick',
        buttonText: 'Options',
        sections: [{ rows: [{ id: 'a', title: 'A' }] }],
      },
      /no list messages/,
    ],
    ['a reaction', { type: 'reaction', to: PSID, targetExternalId: 'm_1', emoji: '👍' }, /reactions cannot be sent/],
    ['a sticker', { type: 'media', to: PSID, mediaKind: 'sticker', mediaId: '1' }, /cannot send sticker/],
    ['a captioned image', { type: 'media', to: PSID, mediaKind: 'image', mediaId: '1', caption: 'Hi' }, /no caption/],
    [
      'an http media link',
      { type: 'media', to: PSID, mediaKind: 'image', link: 'http://files.example.com/a.jpg' },
      /https URL/,
    ],
    ['text over 2000 characters', { type: 'text', to: PSID, text: 'x'.repeat(2001) }, /at most 2000/],
    [
      'four buttons',
      {
        type: 'interactive_buttons',
        to: PSID,
        body: 'Pick',
        buttons: ['a', 'b', 'c', 'd'].map((t) => ({ id: t, title: t })),
      },
      /1 to 3/,
    ],
    ['an empty recipient', { type: 'text', to: '', text: 'Hi' }, /recipient id is required/],
  ])('refuses %s on Messenger before calling Graph', async (_label, msg, reason) => {
    const error = await captureAsyncError(fb.send(page, msg));
    expect(error).toBeInstanceOf(OutboundValidationError);
    expect(error).toMatchObject({ permanent: true, message: expect.stringMatching(reason) });
    expect(graph.requests).toHaveLength(0);
  });

  it('refuses Instagram text of 1000 characters or more', async () => {
    const error = await captureAsyncError(ig.send(account, { type: 'text', to: IGSID, text: 'x'.repeat(1000) }));
    expect(error).toMatchObject({ permanent: true, message: expect.stringMatching(/at most 999/) });
  });

  it.each<[string, { httpStatus: number; code: number; subcode?: number; message: string }, boolean, string]>([
    [
      '10/2018278 outside the window',
      { httpStatus: 400, code: 10, subcode: 2018278, message: 'Message sent outside allowed window' },
      true,
      'window_closed',
    ],
    [
      '551 person unavailable',
      { httpStatus: 400, code: 551, message: "This person isn't available right now" },
      true,
      'undeliverable',
    ],
    ['190 expired token', { httpStatus: 401, code: 190, message: 'Error validating access token' }, true, 'auth'],
    [
      '613 rate limit',
      { httpStatus: 400, code: 613, message: 'Calls to this api have exceeded the rate limit' },
      false,
      'rate_limited',
    ],
    [
      '1200 temporary send failure',
      { httpStatus: 500, code: 1200, message: 'Temporary send message failure' },
      false,
      'unavailable',
    ],
  ])('classifies a refusal with %s', async (_label, failure, permanent, category) => {
    graph.failNext(1, failure);
    const error = await captureAsyncError(fb.send(page, reply));
    expect(error).toBeInstanceOf(ChannelSendError);
    expect(error).toMatchObject({ permanent, category, providerCode: failure.code, httpStatus: failure.httpStatus });
    if (failure.subcode) expect(error).toMatchObject({ providerSubcode: failure.subcode });
  });

  it("explains a refusal with Meta's reason but never the token or the user's id", async () => {
    graph.failNext(1, { httpStatus: 400, code: 100, message: `No matching user found for ${PSID}` });
    const error = (await captureAsyncError(fb.send(page, reply))) as ChannelSendError;
    expect(error.message).toMatch(/^Messenger refused the message \(100\): No matching user found/);
    expect(error.message).not.toContain(PSID);
    expect(error.message).not.toContain(page.accessToken);
  });

  it('marks the thread seen, then shows typing when a reply is coming', async () => {
    await fb.markRead(page, { externalId: 'm_AbC123example', to: PSID, typing: true });
    const requests = await graph.waitForRequests(2);
    expect(requests.map((r) => [r.operation, r.body])).toEqual([
      ['markRead', { recipient: { id: PSID }, sender_action: 'mark_seen' }],
      ['markRead', { recipient: { id: PSID }, sender_action: 'typing_on' }],
    ]);
  });

  it('downloads an attachment from its CDN link without sending the token', async () => {
    const url = graph.addMedia('cdn-photo-1', Buffer.from('png-bytes'), 'image/png');
    const media = await fb.fetchMedia(page, { url });
    expect(media).toEqual({ bytes: Buffer.from('png-bytes'), mimeType: 'image/png' });
    const [request] = await graph.waitForRequests(1);
    expect(request!.headers.authorization).toBeUndefined();
  });

  it('fails permanently when a CDN link has expired', async () => {
    const error = await captureAsyncError(fb.fetchMedia(page, { url: `${graph.url}/cdn/gone` }));
    expect(error).toMatchObject({ permanent: true, httpStatus: 404 });
  });
});

describe('classifyMetaMessagingError', () => {
  it.each<[number, number | undefined, boolean]>([
    [10, 2018278, true],
    [10, undefined, true],
    [551, undefined, true],
    [100, undefined, true],
    [190, undefined, true],
    [230, undefined, true],
    [613, undefined, false],
    [4, undefined, false],
    [32, undefined, false],
    [2, undefined, false],
    [1200, undefined, false],
  ])('code %i/%s is permanent: %s', (code, subcode, permanent) => {
    expect(classifyMetaMessagingError(code, subcode, 400).permanent).toBe(permanent);
  });

  it.each([
    [500, false],
    [502, false],
    [408, false],
    [429, false],
    [400, true],
    [403, true],
  ])('an unknown code on HTTP %i is permanent: %s', (status, permanent) => {
    expect(classifyMetaMessagingError(undefined, undefined, status).permanent).toBe(permanent);
  });
});

describe('Messenger and Instagram replyPolicy (WIRE.md §4.5)', () => {
  const now = Date.UTC(2026, 0, 14, 12);
  const HOUR = 3_600_000;

  it.each([messenger, instagram])('refuses to reply before the customer has written ($kind)', (adapter) => {
    expect(adapter.replyPolicy(null, now)).toMatchObject({
      freeForm: false,
      templates: false,
      reason: expect.any(String),
    });
  });

  it('tags a reply at 6 days 23 hours with HUMAN_AGENT and refuses one at exactly 7 days', () => {
    expect(messenger.replyPolicy(now - (7 * 24 * HOUR - 60_000), now)).toMatchObject({
      freeForm: true,
      tag: 'HUMAN_AGENT',
    });
    expect(messenger.replyPolicy(now - 7 * 24 * HOUR, now)).toMatchObject({ freeForm: false });
  });

  it('treats a last message slightly in the future (clock skew) as inside the window', () => {
    expect(instagram.replyPolicy(now + 5_000, now)).toEqual({ freeForm: true, templates: false });
  });
});

async function captureAsyncError(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}
