import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChannelSendError, WebhookPayloadError, type InboundEvent } from '../../../activities/channels/types';
import { classifyWhatsAppError, createWhatsAppAdapter } from '../../../activities/channels/whatsapp';
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
      expect(events.map((e) => [e.kind, e.channelExternalId, e.externalId])).toEqual([
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

    it('keeps reactions and interactive replies as unsupported placeholders', () => {
      const byId = new Map(adapter.parseWebhook(fixture('batch.json')).map((e) => [e.externalId, e]));
      expect(byId.get('wamid.BATCH3')).toMatchObject({ content: { type: 'unsupported', providerType: 'reaction' } });
      expect(byId.get('wamid.BATCH4')).toMatchObject({ content: { type: 'unsupported', providerType: 'interactive' } });
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

    it('keeps an image message as an unsupported placeholder', () => {
      expect(adapter.parseWebhook(fixture('image-message.json'))).toEqual([
        expect.objectContaining({ externalId: 'wamid.A2', content: { type: 'unsupported', providerType: 'image' } }),
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
