import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ChannelSendError,
  OutboundValidationError,
  WebhookPayloadError,
  type InboundContent,
  type InboundEvent,
  type InboundMessageEvent,
  type OutboundMessage,
} from '../../../activities/channels/types';
import {
  classifyWhatsAppError,
  createWhatsAppAdapter,
  describeWhatsAppError,
} from '../../../activities/channels/whatsapp';
import { startFakeGraph, type FakeGraph } from '../../support/fake-graph';

const APP_SECRET = 'test-app-secret';
const FIXTURES = join(__dirname, '../../fixtures/wire/whatsapp');
const PNID = '207845531190876';

function rawFixture(name: string): Buffer {
  return readFileSync(join(FIXTURES, name));
}

function fixture(name: string): unknown {
  return JSON.parse(rawFixture(name).toString('utf8')) as unknown;
}

function sign(raw: Buffer, secret = APP_SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
}

/** The bytes Meta sends: JSON with every non-ASCII UTF-16 unit escaped as \uXXXX (WIRE.md §1.2). */
function metaSerialised(body: unknown): Buffer {
  const escaped = JSON.stringify(body).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return Buffer.from(escaped, 'utf8');
}

const adapter = createWhatsAppAdapter({ graphBaseUrl: 'http://127.0.0.1:1', graphVersion: 'v25.0' });

describe('WhatsApp adapter', () => {
  describe('verifySignature', () => {
    it('accepts the HMAC of the raw escaped-unicode bytes Meta sent', () => {
      const raw = metaSerialised(fixture('non-ascii-text.json'));
      expect(raw.toString('utf8')).toContain('Gr\\u00fc\\u00dfe');
      expect(adapter.verifySignature(raw, sign(raw), APP_SECRET)).toBe(true);
    });

    it('accepts the signature of a fixture file exactly as stored', () => {
      const raw = rawFixture('batch.json');
      expect(adapter.verifySignature(raw, sign(raw), APP_SECRET)).toBe(true);
    });

    it('rejects the raw signature against JSON.stringify-re-serialised non-ASCII bytes', () => {
      const raw = metaSerialised(fixture('non-ascii-text.json'));
      const reserialised = Buffer.from(JSON.stringify(JSON.parse(raw.toString('utf8'))), 'utf8');
      expect(reserialised.equals(raw)).toBe(false);
      expect(adapter.verifySignature(reserialised, sign(raw), APP_SECRET)).toBe(false);
    });

    it('rejects a body signed with another secret', () => {
      const raw = rawFixture('text-message.json');
      expect(adapter.verifySignature(raw, sign(raw, 'another-secret'), APP_SECRET)).toBe(false);
    });

    it('rejects a body changed after signing', () => {
      const raw = rawFixture('text-message.json');
      const tampered = Buffer.from(raw.toString('utf8').replace('shipped', 'shippeD'));
      expect(adapter.verifySignature(tampered, sign(raw), APP_SECRET)).toBe(false);
    });

    it.each([
      ['a missing header', undefined],
      ['an empty header', ''],
      ['the legacy sha1= prefix', 'sha1=0123456789abcdef0123456789abcdef01234567'],
      ['a bare hex digest without prefix', 'e'.repeat(64)],
      ['a short digest', 'sha256=abcdef'],
      ['a digest one byte too long', `sha256=${'a'.repeat(66)}`],
      ['non-hex characters', `sha256=${'z'.repeat(64)}`],
    ])('rejects %s without throwing', (_label, header) => {
      expect(adapter.verifySignature(rawFixture('text-message.json'), header, APP_SECRET)).toBe(false);
    });

    it('rejects every signature when the app secret is empty', () => {
      const raw = rawFixture('text-message.json');
      expect(adapter.verifySignature(raw, sign(raw, ''), '')).toBe(false);
    });
  });

  describe('parseWebhook', () => {
    it('reads a text message with its contact keyed on the business-scoped user id', () => {
      expect(adapter.parseWebhook(fixture('text-message.json'))).toEqual<InboundEvent[]>([
        {
          kind: 'message',
          channelExternalId: PNID,
          externalId: 'wamid.HBgMNDQ3NzAwOTAwMTIzFQIAEhgUM0VCMEI2QTJGRDc4QzE5QTk0RkEA',
          sentAt: 1_767_702_000_000,
          contact: {
            key: 'GB.84720019384756102938',
            waId: '447700900123',
            userId: 'GB.84720019384756102938',
            displayName: 'Priya Shah',
          },
          content: { type: 'text', text: 'Is my order shipped?' },
        },
      ]);
    });

    it('yields every message and status of a batch in payload order', () => {
      const events = adapter.parseWebhook(fixture('batch.json'));
      expect(events.map((e) => [e.kind, e.channelExternalId, externalIdOf(e)])).toEqual([
        ['message', PNID, 'wamid.BATCH1'],
        ['message', PNID, 'wamid.BATCH2'],
        ['message', PNID, 'wamid.BATCH3'],
        ['message', '207845531190999', 'wamid.BATCH4'],
        ['status', '207845531190999', 'wamid.OUT1'],
        ['status', '207845531190999', 'wamid.OUT0'],
      ]);
    });

    it('matches each message of a batch to its own sender contact', () => {
      const contacts = adapter
        .parseWebhook(fixture('batch.json'))
        .flatMap((e) => (e.kind === 'message' ? [e.contact] : []));
      expect(contacts).toEqual([
        {
          key: 'GB.84720019384756102938',
          waId: '447700900123',
          userId: 'GB.84720019384756102938',
          displayName: 'Priya Shah',
        },
        { key: '14155550199', waId: '14155550199', displayName: 'Tom Reyes' },
        {
          key: 'GB.84720019384756102938',
          waId: '447700900123',
          userId: 'GB.84720019384756102938',
          displayName: 'Priya Shah',
        },
        { key: '4915112345678', waId: '4915112345678', displayName: 'Lena Vogel' },
      ]);
    });

    it('reads the reaction and the interactive reply of a batch as their own content types', () => {
      const byId = new Map(adapter.parseWebhook(fixture('batch.json')).map((e) => [externalIdOf(e), e]));
      expect(byId.get('wamid.BATCH3')).toMatchObject({
        content: { type: 'reaction', emoji: '👍', targetExternalId: 'wamid.OUT1' },
      });
      expect(byId.get('wamid.BATCH4')).toMatchObject({
        content: { type: 'interactive_reply', replyKind: 'button', id: 'cancel-order-8812', title: 'Cancel' },
        replyTo: 'wamid.OUT9',
      });
    });

    it('reads delivery statuses with epoch-millisecond times', () => {
      const statuses = adapter.parseWebhook(fixture('batch.json')).filter((e) => e.kind === 'status');
      expect(statuses).toEqual([
        {
          kind: 'status',
          channelExternalId: '207845531190999',
          externalId: 'wamid.OUT1',
          status: 'sent',
          at: 1_767_702_600_000,
        },
        {
          kind: 'status',
          channelExternalId: '207845531190999',
          externalId: 'wamid.OUT0',
          status: 'read',
          at: 1_767_702_610_000,
        },
      ]);
    });

    it('decodes non-ASCII text exactly', () => {
      const [event] = adapter.parseWebhook(fixture('non-ascii-text.json'));
      expect(event).toMatchObject({
        content: { type: 'text', text: 'Grüße, ça va? 你好 👋' },
        contact: { key: '4915112345678', displayName: 'Zoë Müller' },
      });
    });

    it('reads a failed status with its error code, title and details', () => {
      expect(adapter.parseWebhook(fixture('status-failed.json'))).toEqual<InboundEvent[]>([
        {
          kind: 'status',
          channelExternalId: PNID,
          externalId: 'wamid.OUT2',
          status: 'failed',
          at: 1_767_702_700_000,
          error: {
            code: 131047,
            title: 'Re-engagement message',
            details:
              'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
          },
        },
      ]);
    });

    it('reads an image as media with its id and metadata, leaving out the token-bound URL', () => {
      expect(adapter.parseWebhook(fixture('image-message.json'))).toEqual([
        expect.objectContaining({
          externalId: 'wamid.A2',
          content: {
            type: 'media',
            mediaKind: 'image',
            mediaId: '1482736651992045',
            mimeType: 'image/jpeg',
            sha256: 'SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=',
            caption: 'Broken part',
          },
        }),
      ]);
    });

    it('ignores changes of fields other than messages', () => {
      expect(adapter.parseWebhook(fixture('template-status-update.json'))).toEqual([]);
    });

    it('keys a username user without a phone number on the business-scoped user id', () => {
      expect(adapter.parseWebhook(fixture('bsuid-contact.json'))).toEqual([
        expect.objectContaining({
          externalId: 'wamid.BSUID1',
          contact: { key: 'GB.84720019384756102938', userId: 'GB.84720019384756102938', displayName: 'Priya Shah' },
        }),
      ]);
    });

    it('ignores statuses it has no delivery state for, such as played', () => {
      const body = fixture('status-failed.json') as {
        entry: { changes: { value: { statuses: { status: string }[] } }[] }[];
      };
      body.entry[0]!.changes[0]!.value.statuses[0]!.status = 'played';
      expect(adapter.parseWebhook(body)).toEqual([]);
    });

    it('does not borrow the first contact of a batch for a sender it does not match', () => {
      const body = fixture('batch.json') as { entry: { changes: { value: { messages: { from: string }[] } }[] }[] };
      body.entry[0]!.changes[0]!.value.messages[1]!.from = '33612345678';
      const second = adapter.parseWebhook(body)[1];
      expect(second).toMatchObject({ contact: { key: '33612345678', waId: '33612345678' } });
      expect(second).not.toHaveProperty('contact.userId');
    });

    function withFirstMessage(patch: (message: Record<string, unknown>) => void): unknown {
      const body = fixture('text-message.json') as {
        entry: { changes: { value: { messages: Record<string, unknown>[] } }[] }[];
      };
      patch(body.entry[0]!.changes[0]!.value.messages[0]!);
      return body;
    }

    it.each<[string, unknown, RegExp]>([
      ['a string body', 'hello', /at \(root\)/],
      ['null', null, /at \(root\)/],
      ['another object type', { object: 'page', entry: [] }, /at object:/],
      ['an entry that is not an array', { object: 'whatsapp_business_account', entry: {} }, /at entry:/],
      [
        'a message without id',
        withFirstMessage((m) => delete m.id),
        /at entry\[0\]\.changes\[0\]\.value\.messages\[0\]\.id:/,
      ],
      ['a message without timestamp', withFirstMessage((m) => delete m.timestamp), /messages\[0\]\.timestamp:/],
      ['a numeric timestamp', withFirstMessage((m) => (m.timestamp = 1767702000)), /messages\[0\]\.timestamp:/],
      ['a text message without text.body', withFirstMessage((m) => (m.text = {})), /messages\[0\]\.text\.body:/],
      ['a text message without text', withFirstMessage((m) => delete m.text), /messages\[0\]\.text\.body:/],
      [
        'a message without any sender id',
        withoutContacts(withFirstMessage((m) => delete m.from)),
        /messages\[0\]\.from:/,
      ],
      ['a messages change without metadata', withoutMetadata(fixture('text-message.json')), /value\.metadata:/],
    ])('throws WebhookPayloadError naming the bad path for %s', (_label, body, path) => {
      expect(() => adapter.parseWebhook(body)).toThrow(WebhookPayloadError);
      expect(() => adapter.parseWebhook(body)).toThrow(path);
    });

    it('never echoes message text or phone numbers in a payload error', () => {
      const body = withFirstMessage((m) => delete m.id);
      const error = captureError(() => adapter.parseWebhook(body));
      expect(error).toBeInstanceOf(WebhookPayloadError);
      expect(String(error)).not.toContain('Is my order shipped?');
      expect(String(error)).not.toContain('447700900123');
    });
  });

  describe('send', () => {
    let graph: FakeGraph;
    let whatsapp: ReturnType<typeof createWhatsAppAdapter>;
    const channel = { externalId: PNID, accessToken: 'EAAG-test-token' };
    const reply = { type: 'text' as const, to: '447700900123', text: 'Your order #8812 shipped.' };

    beforeAll(async () => {
      graph = await startFakeGraph();
      whatsapp = createWhatsAppAdapter({ graphBaseUrl: graph.url, graphVersion: 'v25.0' });
    });
    afterEach(() => graph.reset());
    afterAll(() => graph.close());

    it('posts the documented text body with bearer auth and returns the wamid', async () => {
      const result = await whatsapp.send(channel, { ...reply, clientRef: 'msg-01', replyToExternalId: 'wamid.A1' });

      const [request] = await graph.waitForRequests(1);
      expect(request).toMatchObject({ method: 'POST', path: `/v25.0/${PNID}/messages` });
      expect(request!.headers.authorization).toBe('Bearer EAAG-test-token');
      expect(request!.headers['content-type']).toBe('application/json');
      expect(request!.body).toEqual({
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: '+447700900123',
        type: 'text',
        text: { preview_url: false, body: 'Your order #8812 shipped.' },
        context: { message_id: 'wamid.A1' },
        biz_opaque_callback_data: 'msg-01',
      });
      expect(result.externalId).toMatch(/^wamid\./);
      expect(result.externalId).not.toBe('wamid.');
    });

    it('leaves out context and callback data when the message has none', async () => {
      await whatsapp.send(channel, reply);
      const [request] = await graph.waitForRequests(1);
      expect(Object.keys(request!.body as object)).toEqual([
        'messaging_product',
        'recipient_type',
        'to',
        'type',
        'text',
      ]);
    });

    it('sends non-ASCII text as UTF-8 JSON and a recipient normalised to + and digits', async () => {
      await whatsapp.send(channel, { ...reply, to: '+44 (7700) 900-123', text: 'Grüße, ça va? 你好 👋' });
      const [request] = await graph.waitForRequests(1);
      expect(request!.body).toMatchObject({ to: '+447700900123', text: { body: 'Grüße, ça va? 你好 👋' } });
    });

    it.each<[string, { httpStatus: number; code: number; message: string }, boolean]>([
      ['131047 window closed', { httpStatus: 400, code: 131047, message: 'Re-engagement message' }, true],
      ['130429 throughput', { httpStatus: 400, code: 130429, message: 'Rate limit hit' }, false],
      [
        '131056 pair rate',
        { httpStatus: 400, code: 131056, message: '(Business Account, Consumer Account) pair rate limit hit' },
        false,
      ],
      [
        '132001 template missing',
        { httpStatus: 404, code: 132001, message: 'Template name does not exist in the translation' },
        true,
      ],
      ['131000 on HTTP 500', { httpStatus: 500, code: 131000, message: 'Something went wrong' }, false],
      ['190 expired token', { httpStatus: 401, code: 190, message: 'Error validating access token' }, true],
    ])('classifies a refusal with %s', async (_label, failure, permanent) => {
      graph.failNext(1, failure);
      const error = await captureAsyncError(whatsapp.send(channel, reply));
      expect(error).toBeInstanceOf(ChannelSendError);
      expect(error).toMatchObject({ permanent, providerCode: failure.code, httpStatus: failure.httpStatus });
    });

    it("explains a refusal with Meta's reason and details but never the token or number", async () => {
      graph.failNext(1, {
        httpStatus: 400,
        code: 131047,
        message: 'Re-engagement message',
        details: 'More than 24 hours have passed since the customer last replied to this number.',
      });
      const error = await captureAsyncError(whatsapp.send(channel, reply));
      expect(String((error as Error).message)).toMatch(
        /^WhatsApp refused the message \(131047\): Re-engagement message - More than 24 hours/,
      );
      expect((error as Error).message).not.toContain(channel.accessToken);
      expect((error as Error).message).not.toContain('447700900123');
    });

    it('succeeds on the send after the queued failures are used up', async () => {
      graph.failNext(2, { httpStatus: 400, code: 130429, message: 'Rate limit hit' });
      await expect(whatsapp.send(channel, reply)).rejects.toThrow(ChannelSendError);
      await expect(whatsapp.send(channel, reply)).rejects.toThrow(ChannelSendError);
      await expect(whatsapp.send(channel, reply)).resolves.toEqual({ externalId: expect.stringMatching(/^wamid\./) });
    });

    it('fails permanently when Graph refuses the access token', async () => {
      const strictGraph = await startFakeGraph({ accessTokens: ['EAAG-the-real-token'] });
      try {
        const strict = createWhatsAppAdapter({ graphBaseUrl: strictGraph.url, graphVersion: 'v25.0' });
        const error = await captureAsyncError(strict.send(channel, reply));
        expect(error).toMatchObject({ permanent: true, providerCode: 190, httpStatus: 401 });
      } finally {
        await strictGraph.close();
      }
    });

    it('fails permanently when the text is longer than WhatsApp allows', async () => {
      const error = await captureAsyncError(whatsapp.send(channel, { ...reply, text: 'x'.repeat(4097) }));
      expect(error).toMatchObject({ permanent: true, providerCode: 100, httpStatus: 400 });
    });

    it('fails permanently without calling Graph when the recipient has no digits', async () => {
      const error = await captureAsyncError(whatsapp.send(channel, { ...reply, to: 'not-a-number' }));
      expect(error).toMatchObject({ permanent: true });
      expect(graph.requests).toHaveLength(0);
    });

    it('fails transiently when Graph cannot be reached', async () => {
      const closed = await startFakeGraph();
      await closed.close();
      const unreachable = createWhatsAppAdapter({ graphBaseUrl: closed.url, graphVersion: 'v25.0' });
      const error = await captureAsyncError(unreachable.send(channel, reply));
      expect(error).toMatchObject({ permanent: false, message: expect.stringContaining('could not be reached') });
    });

    it('fails transiently when Graph does not answer in time', async () => {
      const timingOut: typeof fetch = () =>
        Promise.reject(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
      const slow = createWhatsAppAdapter({ graphBaseUrl: graph.url, graphVersion: 'v25.0', fetch: timingOut });
      const error = await captureAsyncError(slow.send(channel, reply));
      expect(error).toMatchObject({ permanent: false, message: expect.stringContaining('did not answer within') });
    });

    it('fails transiently on a 200 without a message id', async () => {
      const empty: typeof fetch = () =>
        Promise.resolve(new Response(JSON.stringify({ messaging_product: 'whatsapp' }), { status: 200 }));
      const odd = createWhatsAppAdapter({ graphBaseUrl: graph.url, graphVersion: 'v25.0', fetch: empty });
      const error = await captureAsyncError(odd.send(channel, reply));
      expect(error).toMatchObject({ permanent: false, httpStatus: 200 });
    });

    it('fails transiently on a 502 without a Graph error body', async () => {
      const gateway: typeof fetch = () => Promise.resolve(new Response('<html>Bad Gateway</html>', { status: 502 }));
      const proxied = createWhatsAppAdapter({ graphBaseUrl: graph.url, graphVersion: 'v25.0', fetch: gateway });
      const error = await captureAsyncError(proxied.send(channel, reply));
      expect(error).toMatchObject({ permanent: false, httpStatus: 502 });
    });
  });

  describe('classifyWhatsAppError', () => {
    it.each([130429, 131056, 131000, 131016, 131057, 1, 2, 133004, 4, 80007])('retries code %i', (code) => {
      expect(classifyWhatsAppError(code, 400)).toBe('transient');
    });

    it.each([
      131047, 131026, 132000, 132001, 132015, 100, 131008, 131009, 131051, 131053, 0, 190, 3, 10, 200, 299, 131031,
      131042, 368,
    ])('does not retry code %i', (code) => {
      expect(classifyWhatsAppError(code, 400)).toBe('permanent');
    });

    it('keeps a known permanent code permanent on a 5xx', () => {
      expect(classifyWhatsAppError(10, 500)).toBe('permanent');
    });

    it.each([500, 502, 503, 408, 429])('retries an unknown code on HTTP %i', (status) => {
      expect(classifyWhatsAppError(undefined, status)).toBe('transient');
      expect(classifyWhatsAppError(999_999, status)).toBe('transient');
    });

    it.each([400, 403, 404])('does not retry an unknown code on HTTP %i', (status) => {
      expect(classifyWhatsAppError(undefined, status)).toBe('permanent');
    });
  });
});

describe('WhatsApp adapter: every inbound message type (WIRE.md §1.6)', () => {
  const only = (name: string) => {
    const events = adapter.parseWebhook(fixture(name));
    expect(events).toHaveLength(1);
    return events[0] as InboundMessageEvent;
  };

  it.each<[string, InboundContent]>([
    [
      'audio-voice-message.json',
      {
        type: 'media',
        mediaKind: 'audio',
        mediaId: '1482736651992046',
        mimeType: 'audio/ogg; codecs=opus',
        sha256: 'k3y9Qm2nV8xZ1pL4rT6wB0cD5eF7gH9iJ2kL4mN6oP8=',
        voice: true,
      },
    ],
    [
      'video-message.json',
      {
        type: 'media',
        mediaKind: 'video',
        mediaId: '1482736651992047',
        mimeType: 'video/mp4',
        sha256: 'Vd3mQ0example0sha256Base64Value0000000000000=',
        caption: 'demo',
      },
    ],
    [
      'document-message.json',
      {
        type: 'media',
        mediaKind: 'document',
        mediaId: '1482736651992048',
        mimeType: 'application/pdf',
        sha256: 'Dc5nR1example0sha256Base64Value0000000000000=',
        caption: 'Invoice',
        filename: 'INV-2291.pdf',
      },
    ],
    [
      'sticker-message.json',
      {
        type: 'media',
        mediaKind: 'sticker',
        mediaId: '1482736651992049',
        mimeType: 'image/webp',
        sha256: 'St7kQ2example0sha256Base64Value0000000000000=',
        animated: false,
      },
    ],
    [
      'location-message.json',
      {
        type: 'location',
        latitude: 51.50135,
        longitude: -0.14189,
        name: 'Buckingham Palace',
        address: 'London SW1A 1AA',
        url: 'https://maps.example/x',
      },
    ],
    [
      'contacts-message.json',
      {
        type: 'contacts',
        contacts: [
          {
            name: 'Tom Reyes',
            phones: [{ phone: '+1 415-555-0199', waId: '14155550199', type: 'CELL' }],
            emails: [{ email: 'tom@example.com', type: 'WORK' }],
            organization: 'Acme',
          },
        ],
      },
    ],
    [
      'interactive-button-reply.json',
      { type: 'interactive_reply', replyKind: 'button', id: 'cancel-order-8812', title: 'Cancel' },
    ],
    [
      'interactive-list-reply.json',
      { type: 'interactive_reply', replyKind: 'list', id: 'ship_express', title: 'Express', description: 'Next day' },
    ],
    [
      'interactive-flow-reply.json',
      {
        type: 'interactive_reply',
        replyKind: 'flow',
        id: 'flow',
        title: 'Sent',
        responseJson: { flow_token: 'tok-77', rating: '4' },
      },
    ],
    ['template-button-reply.json', { type: 'button', text: 'Confirm', payload: 'CONFIRM_APPT_5521' }],
    ['reaction.json', { type: 'reaction', emoji: '👍', targetExternalId: 'wamid.OUT1' }],
    ['reaction-removed.json', { type: 'reaction', emoji: null, targetExternalId: 'wamid.OUT1' }],
    ['order-message.json', { type: 'unsupported', providerType: 'order' }],
    ['system-message.json', { type: 'unsupported', providerType: 'system' }],
    ['unsupported-message.json', { type: 'unsupported', providerType: 'poll_creation' }],
    ['request-welcome.json', { type: 'unsupported', providerType: 'request_welcome' }],
  ])('normalises %s', (name, content) => {
    expect(only(name).content).toEqual(content);
  });

  it('quotes the message an interactive or template button reply answers', () => {
    expect(only('interactive-list-reply.json').replyTo).toBe('wamid.OUT3');
    expect(only('template-button-reply.json').replyTo).toBe('wamid.TPL1');
  });

  it('keys a system message without value.contacts on its sender number', () => {
    expect(only('system-message.json')).toMatchObject({
      externalId: 'wamid.S1',
      contact: { key: '447700900123', waId: '447700900123' },
    });
  });

  it('keeps the errors Meta attached to an unsupported message', () => {
    expect(only('unsupported-message.json').errors).toEqual([
      { code: 131051, title: 'Message type unknown', details: 'Message type is currently not supported.' },
    ]);
  });

  it('marks replies and forwarded messages with their flags', () => {
    const events = adapter.parseWebhook(fixture('reply-forwarded.json')) as InboundMessageEvent[];
    expect(events.map((e) => [e.externalId, e.replyTo, e.forwarded, e.frequentlyForwarded])).toEqual([
      ['wamid.C1', 'wamid.OUT1', undefined, undefined],
      ['wamid.C2', undefined, undefined, true],
      ['wamid.C3', undefined, true, undefined],
    ]);
  });

  it('carries the Click-to-WhatsApp ad referral of the first message', () => {
    expect(only('referral-ad.json')).toMatchObject({
      content: { type: 'text', text: 'Hi, I saw your ad' },
      referral: {
        sourceType: 'ad',
        sourceId: '120231234567890123',
        sourceUrl: 'https://fb.me/9xQwErTy',
        headline: 'Chat with our team',
        body: 'Spring sale on all plans',
        mediaType: 'image',
        mediaUrl: 'https://scontent.xx.fbcdn.net/v/t45.1-example',
        ctwaClid: 'ARAkLk3-example-click-id',
      },
    });
  });

  it('surfaces value-level errors as an error event and keeps the bodiless message as a placeholder', () => {
    expect(adapter.parseWebhook(fixture('value-errors.json'))).toEqual([
      expect.objectContaining({
        kind: 'message',
        externalId: 'wamid.E1',
        content: { type: 'unsupported', providerType: 'interactive' },
      }),
      {
        kind: 'error',
        channelExternalId: PNID,
        errors: [{ code: 131000, title: 'Something went wrong', details: 'Unsupported webhook payload' }],
      },
    ]);
  });

  it('turns a media message without its media object into a placeholder instead of failing the batch', () => {
    const body = patchFirstMessage('image-message.json', (m) => delete m.image);
    expect(adapter.parseWebhook(body)).toEqual([
      expect.objectContaining({ content: { type: 'unsupported', providerType: 'image' } }),
    ]);
  });

  it('keeps a Flow response that is not JSON as the raw string', () => {
    const body = patchFirstMessage('interactive-flow-reply.json', (m) => {
      (m.interactive as { nfm_reply: { response_json: string } }).nfm_reply.response_json = 'not json';
    });
    expect((adapter.parseWebhook(body)[0] as InboundMessageEvent).content).toMatchObject({ responseJson: 'not json' });
  });

  it('reads -0 (a coordinate, a number inside a Flow response) as 0, as the signal payload will carry it', () => {
    const location = patchFirstMessage('location-message.json', (m) => {
      Object.assign(m.location as Record<string, unknown>, { latitude: -0, longitude: '-0.0' });
    });
    const flow = patchFirstMessage('interactive-flow-reply.json', (m) => {
      (m.interactive as { nfm_reply: { response_json: string } }).nfm_reply.response_json = '{"rating":[-0]}';
    });
    for (const body of [location, flow]) {
      const events = adapter.parseWebhook(body);
      expect(JSON.parse(JSON.stringify(events))).toEqual(events);
    }
    expect((adapter.parseWebhook(location)[0] as InboundMessageEvent).content).toMatchObject({
      latitude: 0,
      longitude: 0,
    });
  });

  it('never copies unknown provider fields into the normalised content', () => {
    const body = patchFirstMessage('location-message.json', (m) => {
      (m.location as Record<string, unknown>).internal_hint = 'provider-only';
    });
    expect(JSON.stringify(adapter.parseWebhook(body))).not.toContain('provider-only');
  });

  it('produces plain JSON that survives a serialisation round trip', () => {
    for (const name of [
      'contacts-message.json',
      'interactive-flow-reply.json',
      'referral-ad.json',
      'value-errors.json',
    ]) {
      const events = adapter.parseWebhook(fixture(name));
      expect(JSON.parse(JSON.stringify(events))).toEqual(events);
    }
  });
});

describe('WhatsApp adapter: sending every outbound shape (WIRE.md §2.2)', () => {
  let graph: FakeGraph;
  let whatsapp: ReturnType<typeof createWhatsAppAdapter>;
  const channel = { externalId: PNID, accessToken: 'EAAG-test-token' };
  const to = '447700900123';

  beforeAll(async () => {
    graph = await startFakeGraph();
    whatsapp = createWhatsAppAdapter({ graphBaseUrl: graph.url, graphVersion: 'v25.0' });
  });
  afterEach(() => graph.reset());
  afterAll(() => graph.close());

  async function sentBody(msg: OutboundMessage): Promise<unknown> {
    const result = await whatsapp.send(channel, msg);
    expect(result.externalId).toMatch(/^wamid\./);
    const [request] = await graph.waitForRequests(1);
    expect(request).toMatchObject({ method: 'POST', path: `/v25.0/${PNID}/messages` });
    return request!.body;
  }

  it('sends an image by uploaded media id with a caption', async () => {
    expect(
      await sentBody({ type: 'media', to, mediaKind: 'image', mediaId: '1037543291543636', caption: 'Your receipt' }),
    ).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '+447700900123',
      type: 'image',
      image: { id: '1037543291543636', caption: 'Your receipt' },
    });
  });

  it('sends a document by hosted link with its filename and caption', async () => {
    expect(
      await sentBody({
        type: 'media',
        to,
        mediaKind: 'document',
        link: 'https://files.example.com/inv-2291.pdf?v=3',
        filename: 'INV-2291.pdf',
        caption: 'Invoice',
        clientRef: 'msg-07',
      }),
    ).toMatchObject({
      type: 'document',
      document: { link: 'https://files.example.com/inv-2291.pdf?v=3', filename: 'INV-2291.pdf', caption: 'Invoice' },
      biz_opaque_callback_data: 'msg-07',
    });
  });

  it('sends a positional template with header, body parameters and buttons', async () => {
    expect(
      await sentBody({
        type: 'template',
        to,
        name: 'order_shipped',
        language: 'en_GB',
        header: { type: 'image', mediaId: '1037543291543636' },
        parameters: ['Priya', '8812'],
        buttons: [
          { subType: 'url', index: 0, text: '8812' },
          { subType: 'quick_reply', index: 1, payload: 'TRACK_8812' },
        ],
      }),
    ).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '+447700900123',
      type: 'template',
      template: {
        name: 'order_shipped',
        language: { code: 'en_GB' },
        components: [
          { type: 'header', parameters: [{ type: 'image', image: { id: '1037543291543636' } }] },
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Priya' },
              { type: 'text', text: '8812' },
            ],
          },
          { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '8812' }] },
          {
            type: 'button',
            sub_type: 'quick_reply',
            index: '1',
            parameters: [{ type: 'payload', payload: 'TRACK_8812' }],
          },
        ],
      },
    });
  });

  it('names each parameter of a named template and leaves out components when there are none', async () => {
    expect(
      await sentBody({ type: 'template', to, name: 'welcome', language: 'en', parameters: { first_name: 'Priya' } }),
    ).toMatchObject({
      template: {
        name: 'welcome',
        language: { code: 'en' },
        components: [{ type: 'body', parameters: [{ type: 'text', parameter_name: 'first_name', text: 'Priya' }] }],
      },
    });
    graph.reset();
    const bare = (await sentBody({ type: 'template', to, name: 'hello_world', language: 'en_US' })) as {
      template: object;
    };
    expect(bare.template).toEqual({ name: 'hello_world', language: { code: 'en_US' } });
  });

  it('sends reply buttons with header, body and footer', async () => {
    expect(
      await sentBody({
        type: 'interactive_buttons',
        to,
        header: 'Order #8812',
        body: 'What would you like to do?',
        footer: 'Acme Support',
        buttons: [
          { id: 'track-8812', title: 'Track' },
          { id: 'cancel-8812', title: 'Cancel' },
        ],
        replyToExternalId: 'wamid.A1',
      }),
    ).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '+447700900123',
      type: 'interactive',
      interactive: {
        type: 'button',
        header: { type: 'text', text: 'Order #8812' },
        body: { text: 'What would you like to do?' },
        footer: { text: 'Acme Support' },
        action: {
          buttons: [
            { type: 'reply', reply: { id: 'track-8812', title: 'Track' } },
            { type: 'reply', reply: { id: 'cancel-8812', title: 'Cancel' } },
          ],
        },
      },
      context: { message_id: 'wamid.A1' },
    });
  });

  it('sends a list with sections and rows', async () => {
    expect(
      await sentBody({
        type: 'interactive_list',
        to,
        header: 'Delivery',
        body: 'Pick a delivery option',
        buttonText: 'Options',
        sections: [{ title: 'Fast', rows: [{ id: 'ship_express', title: 'Express', description: 'Next day' }] }],
      }),
    ).toMatchObject({
      type: 'interactive',
      interactive: {
        type: 'list',
        header: { type: 'text', text: 'Delivery' },
        body: { text: 'Pick a delivery option' },
        action: {
          button: 'Options',
          sections: [{ title: 'Fast', rows: [{ id: 'ship_express', title: 'Express', description: 'Next day' }] }],
        },
      },
    });
  });

  it('sends a reaction without quoting, and an empty emoji to remove it', async () => {
    expect(
      await sentBody({
        type: 'reaction',
        to,
        targetExternalId: 'wamid.A1',
        emoji: '👍',
        replyToExternalId: 'wamid.A1',
      }),
    ).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '+447700900123',
      type: 'reaction',
      reaction: { message_id: 'wamid.A1', emoji: '👍' },
    });
    graph.reset();
    expect(await sentBody({ type: 'reaction', to, targetExternalId: 'wamid.A1', emoji: '' })).toMatchObject({
      reaction: { message_id: 'wamid.A1', emoji: '' },
    });
  });

  it('addresses a contact known only by business-scoped user id with recipient instead of to', async () => {
    const body = (await sentBody({ type: 'text', to: 'GB.84720019384756102938', text: 'Hello' })) as Record<
      string,
      unknown
    >;
    expect(body.recipient).toBe('GB.84720019384756102938');
    expect(body).not.toHaveProperty('to');
  });

  const five = (title: string) => ({ id: title.toLowerCase(), title });

  it.each<[string, OutboundMessage, RegExp]>([
    [
      'four reply buttons',
      { type: 'interactive_buttons', to, body: 'Pick', buttons: ['A', 'B', 'C', 'D'].map(five) },
      /1 to 3 buttons/,
    ],
    [
      'a 21-character button title',
      { type: 'interactive_buttons', to, body: 'Pick', buttons: [five('x'.repeat(21))] },
      /title of 1 to 20/,
    ],
    [
      'duplicate button titles',
      { type: 'interactive_buttons', to, body: 'Pick', buttons: [five('Yes'), { id: 'y2', title: 'Yes' }] },
      /unique/,
    ],
    [
      'a button body over 1024 characters',
      { type: 'interactive_buttons', to, body: 'x'.repeat(1025), buttons: [five('Yes')] },
      /body must be at most 1024/,
    ],
    [
      'eleven list rows',
      {
        type: 'interactive_list',
        to,
        body: 'Pick',
        buttonText: 'Options',
        sections: [{ rows: Array.from({ length: 11 }, (_, i) => ({ id: `r${i}`, title: `Row ${i}` })) }],
      },
      /1 to 10 rows/,
    ],
    [
      'eleven list sections',
      {
        type: 'interactive_list',
        to,
        body: 'Pick',
        buttonText: 'Options',
        sections: Array.from({ length: 11 }, (_, i) => ({ rows: [{ id: `r${i}`, title: `Row ${i}` }] })),
      },
      /1 to 10 sections/,
    ],
    [
      'a 25-character row title',
      {
        type: 'interactive_list',
        to,
        body: 'Pick',
        buttonText: 'Options',
        sections: [{ rows: [{ id: 'r', title: 'x'.repeat(25) }] }],
      },
      /row title must be at most 24/,
    ],
    [
      'a 73-character row description',
      {
        type: 'interactive_list',
        to,
        body: 'Pick',
        buttonText: 'Options',
        sections: [{ rows: [{ id: 'r', title: 'Row', description: 'x'.repeat(73) }] }],
      },
      /row description must be at most 72/,
    ],
    [
      'a 21-character list button',
      {
        type: 'interactive_list',
        to,
        body: 'Pick',
        buttonText: 'x'.repeat(21),
        sections: [{ rows: [{ id: 'r', title: 'Row' }] }],
      },
      /button text must be at most 20/,
    ],
    [
      'an audio with a caption',
      { type: 'media', to, mediaKind: 'audio', mediaId: '1', caption: 'hi' },
      /takes no caption/,
    ],
    [
      'media with both id and link',
      { type: 'media', to, mediaKind: 'image', mediaId: '1', link: 'https://x.example/a.jpg' },
      /exactly one/,
    ],
    ['media with neither id nor link', { type: 'media', to, mediaKind: 'image' }, /exactly one/],
    [
      'an image with a filename',
      { type: 'media', to, mediaKind: 'image', mediaId: '1', filename: 'a.jpg' },
      /only documents/,
    ],
    ['a template name with capitals', { type: 'template', to, name: 'Order_Shipped', language: 'en' }, /lowercase/],
    [
      'an empty template parameter',
      { type: 'template', to, name: 'order_shipped', language: 'en', parameters: ['Priya', ' '] },
      /parameter \{\{2\}\} is empty/,
    ],
  ])('refuses %s before calling Graph', async (_label, msg, reason) => {
    const error = await captureAsyncError(whatsapp.send(channel, msg));
    expect(error).toBeInstanceOf(OutboundValidationError);
    expect(error).toMatchObject({
      permanent: true,
      category: 'invalid_request',
      message: expect.stringMatching(reason),
    });
    expect(graph.requests).toHaveLength(0);
  });

  it('explains a closed window with a category and a human reason', async () => {
    graph.failNext(1, { httpStatus: 400, code: 131047, message: 'Re-engagement message' });
    const error = await captureAsyncError(whatsapp.send(channel, { type: 'text', to, text: 'Hi' }));
    expect(error).toMatchObject({
      permanent: true,
      providerCode: 131047,
      category: 'window_closed',
      reason: expect.stringContaining('only an approved template'),
    });
  });

  it.each<[number, string, boolean]>([
    [131026, 'undeliverable', true],
    [132015, 'template', true],
    [132999, 'template', true],
    [130429, 'rate_limited', false],
    [131056, 'rate_limited', false],
    [131000, 'unavailable', false],
    [190, 'auth', true],
  ])('describes code %i as %s', (code, category, permanent) => {
    expect(describeWhatsAppError(code, 400)).toMatchObject({ category, permanent });
  });

  describe('markRead', () => {
    it('posts the read receipt for the message and resolves on success', async () => {
      await whatsapp.markRead(channel, { externalId: 'wamid.A1', to });
      const [request] = await graph.waitForRequests(1);
      expect(request).toMatchObject({ path: `/v25.0/${PNID}/messages`, operation: 'markRead' });
      expect(request!.body).toEqual({ messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.A1' });
    });

    it('adds the typing indicator when a reply is coming', async () => {
      await whatsapp.markRead(channel, { externalId: 'wamid.A1', to, typing: true });
      const [request] = await graph.waitForRequests(1);
      expect(request!.body).toEqual({
        messaging_product: 'whatsapp',
        status: 'read',
        message_id: 'wamid.A1',
        typing_indicator: { type: 'text' },
      });
    });

    it('fails with a classified error when Graph refuses the receipt', async () => {
      graph.failNext(1, { httpStatus: 400, code: 131009, message: 'Parameter value is not valid' }, 'markRead');
      const error = await captureAsyncError(whatsapp.markRead(channel, { externalId: 'wamid.gone', to }));
      expect(error).toMatchObject({ permanent: true, providerCode: 131009 });
      expect((error as Error).message).toMatch(/^WhatsApp refused the read receipt/);
    });
  });

  describe('fetchMedia (WIRE.md §2.5)', () => {
    const bytes = Buffer.from('fake-jpeg-bytes');

    it('looks up the media URL, then downloads the bytes with the bearer token', async () => {
      graph.addMedia('1482736651992045', bytes, 'image/jpeg');
      const media = await whatsapp.fetchMedia(channel, { mediaId: '1482736651992045' });
      expect(media).toEqual({
        bytes,
        mimeType: 'image/jpeg',
        sha256: createHash('sha256').update(bytes).digest('hex'),
      });
      const [lookup, download] = await graph.waitForRequests(2);
      expect(lookup).toMatchObject({
        method: 'GET',
        path: '/v25.0/1482736651992045',
        query: { phone_number_id: PNID },
        operation: 'media',
      });
      expect(download).toMatchObject({ method: 'GET', path: '/whatsapp_business/attachments/', operation: 'download' });
      expect(download!.headers.authorization).toBe('Bearer EAAG-test-token');
    });

    it('fetches a fresh URL once when the first has expired', async () => {
      graph.addMedia('1482736651992046', bytes, 'audio/ogg');
      let downloads = 0;
      const expiringOnce: typeof fetch = async (input, init) => {
        if (String(input).includes('/whatsapp_business/') && downloads++ === 0)
          return new Response('', { status: 404 });
        return fetch(input, init);
      };
      const flaky = createWhatsAppAdapter({ graphBaseUrl: graph.url, graphVersion: 'v25.0', fetch: expiringOnce });
      await expect(flaky.fetchMedia(channel, { mediaId: '1482736651992046' })).resolves.toMatchObject({ bytes });
      expect(graph.requests.filter((r) => r.operation === 'media')).toHaveLength(2);
    });

    it('fails permanently for a media id Graph does not know', async () => {
      const error = await captureAsyncError(whatsapp.fetchMedia(channel, { mediaId: '999' }));
      expect(error).toMatchObject({ permanent: true, providerCode: 100 });
    });

    it('fails transiently when the media lookup hits a server error', async () => {
      graph.addMedia('1482736651992047', bytes, 'video/mp4');
      graph.failNext(1, { httpStatus: 500, code: 131000, message: 'Something went wrong' }, 'media');
      const error = await captureAsyncError(whatsapp.fetchMedia(channel, { mediaId: '1482736651992047' }));
      expect(error).toMatchObject({ permanent: false, providerCode: 131000 });
    });
  });

  describe('replyPolicy (WIRE.md §3.1)', () => {
    const now = Date.UTC(2026, 0, 6, 12);

    it('allows only templates before the customer has written', () => {
      expect(whatsapp.replyPolicy(null, now)).toMatchObject({
        freeForm: false,
        templates: true,
        reason: expect.any(String),
      });
    });

    it('never tags WhatsApp replies', () => {
      expect(whatsapp.replyPolicy(now - 1000, now)).toEqual({ freeForm: true, templates: true });
    });
  });
});

function patchFirstMessage(name: string, patch: (message: Record<string, unknown>) => void): unknown {
  const body = fixture(name) as { entry: { changes: { value: { messages: Record<string, unknown>[] } }[] }[] };
  patch(body.entry[0]!.changes[0]!.value.messages[0]!);
  return body;
}

function externalIdOf(event: InboundEvent): string | undefined {
  return 'externalId' in event ? event.externalId : undefined;
}

function withoutContacts(body: unknown): unknown {
  const copy = structuredClone(body) as { entry: { changes: { value: { contacts?: unknown } }[] }[] };
  delete copy.entry[0]!.changes[0]!.value.contacts;
  return copy;
}

function withoutMetadata(body: unknown): unknown {
  const copy = structuredClone(body) as { entry: { changes: { value: { metadata?: unknown } }[] }[] };
  delete copy.entry[0]!.changes[0]!.value.metadata;
  return copy;
}

function captureError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

async function captureAsyncError(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}
