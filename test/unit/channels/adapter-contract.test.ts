/**
 * The contract every channel adapter keeps (STYLE §5): a new channel passes this suite unchanged
 * once it has a case below. Signatures, parsing, sending against the local fake Graph API,
 * retry classes and the reply window are checked the same way for each.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createChannelRegistry } from '../../../activities/channels/registry';
import {
  ChannelSendError,
  type ChannelAdapter,
  type ChannelKind,
  type ReplyPolicy,
} from '../../../activities/channels/types';
import { startFakeGraph, type FakeGraph, type FakeGraphError } from '../../support/fake-graph';

const APP_SECRET = 'contract-app-secret';
const HOUR = 3_600_000;
const MINUTE = 60_000;
const NOW = Date.UTC(2026, 0, 14, 12);

interface ContractCase {
  kind: ChannelKind;
  /** A fixture whose text is non-ASCII, stored as Meta sends it (escaped unicode). */
  nonAsciiFixture: string;
  channelExternalId: string;
  expectedText: string;
  credentials: { externalId: string; accessToken: string };
  recipient: string;
  sendPath: string;
  /** The request body of a plain text reply `Hello` to `recipient`. */
  textBody: unknown;
  providerId: RegExp;
  permanent: FakeGraphError;
  transient: FakeGraphError;
  /** replyPolicy at 23h59, 24h01, 6d23h59 and 7d01m after the customer's last message. */
  windows: [ReplyPolicy, ReplyPolicy, ReplyPolicy, ReplyPolicy];
}

const META_WINDOWS: ContractCase['windows'] = [
  { freeForm: true, templates: false },
  { freeForm: true, templates: false, tag: 'HUMAN_AGENT', reason: expect.any(String) as unknown as string },
  { freeForm: true, templates: false, tag: 'HUMAN_AGENT', reason: expect.any(String) as unknown as string },
  { freeForm: false, templates: false, reason: expect.any(String) as unknown as string },
];

const TEMPLATES_ONLY = {
  freeForm: false,
  templates: true,
  reason: expect.stringContaining('template') as unknown as string,
};

const cases: ContractCase[] = [
  {
    kind: 'whatsapp',
    nonAsciiFixture: 'whatsapp/non-ascii-text.json',
    channelExternalId: '207845531190876',
    expectedText: 'Grüße, ça va? 你好 👋',
    credentials: { externalId: '207845531190876', accessToken: 'EAAG-wa-token' },
    recipient: '447700900123',
    sendPath: '/v25.0/207845531190876/messages',
    textBody: {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '+447700900123',
      type: 'text',
      text: { preview_url: false, body: 'Hello' },
    },
    providerId: /^wamid\../,
    permanent: { httpStatus: 400, code: 131047, message: 'Re-engagement message' },
    transient: { httpStatus: 400, code: 130429, message: 'Rate limit hit' },
    windows: [{ freeForm: true, templates: true }, TEMPLATES_ONLY, TEMPLATES_ONLY, TEMPLATES_ONLY],
  },
  {
    kind: 'messenger',
    nonAsciiFixture: 'messenger/non-ascii-text.json',
    channelExternalId: '104882736551920',
    expectedText: '¿Envían a España? Grüße 你好 👋',
    credentials: { externalId: '104882736551920', accessToken: 'EAAB-page-token' },
    recipient: '6254419087712345',
    sendPath: '/v25.0/104882736551920/messages',
    textBody: { recipient: { id: '6254419087712345' }, messaging_type: 'RESPONSE', message: { text: 'Hello' } },
    providerId: /^m_./,
    permanent: { httpStatus: 400, code: 10, subcode: 2018278, message: 'Message sent outside allowed window' },
    transient: { httpStatus: 400, code: 613, message: 'Calls to this api have exceeded the rate limit' },
    windows: META_WINDOWS,
  },
  {
    kind: 'instagram',
    nonAsciiFixture: 'instagram/non-ascii-text.json',
    channelExternalId: '17841400123456789',
    expectedText: '¿Hay talla M? Grüße 👋',
    credentials: { externalId: '17841400123456789', accessToken: 'IGAA-account-token' },
    recipient: '5612378940012345',
    sendPath: '/v25.0/me/messages',
    textBody: { recipient: { id: '5612378940012345' }, messaging_type: 'RESPONSE', message: { text: 'Hello' } },
    providerId: /^m_./,
    permanent: { httpStatus: 400, code: 551, message: "This person isn't available right now" },
    transient: { httpStatus: 500, code: 2, message: 'Service temporarily unavailable' },
    windows: META_WINDOWS,
  },
];

function sign(raw: Buffer, secret = APP_SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
}

describe.each(cases)('$kind adapter contract', (c) => {
  let graph: FakeGraph;
  let adapter: ChannelAdapter;
  const raw = readFileSync(join(__dirname, '../../fixtures/wire', c.nonAsciiFixture));

  beforeAll(async () => {
    graph = await startFakeGraph({ accessTokens: [c.credentials.accessToken] });
    const registry = createChannelRegistry({ graphBaseUrl: graph.url, graphVersion: 'v25.0' });
    adapter = registry[c.kind]!;
  });
  afterEach(() => graph.reset());
  afterAll(() => graph.close());

  it('is registered under its kind', () => {
    expect(adapter.kind).toBe(c.kind);
  });

  describe('verifySignature', () => {
    it('accepts the HMAC of the raw escaped-unicode body', () => {
      expect(raw.toString('utf8')).toMatch(/\\u[0-9a-f]{4}/);
      expect(adapter.verifySignature(raw, sign(raw), APP_SECRET)).toBe(true);
    });

    it('rejects the same signature over the JSON.stringify-re-serialised non-ASCII body', () => {
      const reserialised = Buffer.from(JSON.stringify(JSON.parse(raw.toString('utf8'))), 'utf8');
      expect(adapter.verifySignature(reserialised, sign(raw), APP_SECRET)).toBe(false);
    });

    it('rejects another secret, a missing header and the legacy sha1 header', () => {
      expect(adapter.verifySignature(raw, sign(raw, 'other-secret'), APP_SECRET)).toBe(false);
      expect(adapter.verifySignature(raw, undefined, APP_SECRET)).toBe(false);
      expect(adapter.verifySignature(raw, `sha1=${'0'.repeat(40)}`, APP_SECRET)).toBe(false);
    });
  });

  describe('parseWebhook', () => {
    it('returns the message on our channel with the decoded non-ASCII text', () => {
      const events = adapter.parseWebhook(JSON.parse(raw.toString('utf8')));
      expect(events).toEqual([
        expect.objectContaining({
          kind: 'message',
          channelExternalId: c.channelExternalId,
          content: { type: 'text', text: c.expectedText },
        }),
      ]);
    });

    it('returns plain JSON events', () => {
      const events = adapter.parseWebhook(JSON.parse(raw.toString('utf8')));
      expect(JSON.parse(JSON.stringify(events))).toEqual(events);
    });
  });

  describe('send', () => {
    const hello = () => ({ type: 'text' as const, to: c.recipient, text: 'Hello' });

    it('posts the documented text body and returns the provider id', async () => {
      const result = await adapter.send(c.credentials, hello());
      const [request] = await graph.waitForRequests(1);
      expect(request).toMatchObject({ method: 'POST', path: c.sendPath });
      expect(request!.headers.authorization).toBe(`Bearer ${c.credentials.accessToken}`);
      expect(request!.body).toEqual(c.textBody);
      expect(result.externalId).toMatch(c.providerId);
    });

    it('fails permanently on a refusal that cannot succeed on retry', async () => {
      graph.failNext(1, c.permanent);
      const error = await captureAsyncError(adapter.send(c.credentials, hello()));
      expect(error).toBeInstanceOf(ChannelSendError);
      expect(error).toMatchObject({ permanent: true, providerCode: c.permanent.code, reason: expect.any(String) });
    });

    it('fails transiently on throttling or a provider outage', async () => {
      graph.failNext(1, c.transient);
      const error = await captureAsyncError(adapter.send(c.credentials, hello()));
      expect(error).toMatchObject({ permanent: false, providerCode: c.transient.code });
    });

    it('fails permanently when Graph refuses the token', async () => {
      const error = await captureAsyncError(adapter.send({ ...c.credentials, accessToken: 'wrong' }, hello()));
      expect(error).toMatchObject({ permanent: true, providerCode: 190, httpStatus: 401 });
    });

    it('marks a customer message read with one accepted request', async () => {
      await adapter.markRead(c.credentials, { externalId: 'in-1', to: c.recipient });
      const [request] = await graph.waitForRequests(1);
      expect(request).toMatchObject({ path: c.sendPath, operation: 'markRead' });
    });
  });

  describe('replyPolicy', () => {
    it.each([
      ['23h59', 23 * HOUR + 59 * MINUTE, 0],
      ['24h01', 24 * HOUR + MINUTE, 1],
      ['6d23h59', 7 * 24 * HOUR - MINUTE, 2],
      ['7d01m', 7 * 24 * HOUR + MINUTE, 3],
    ] as const)('after %s', (_label, elapsed, index) => {
      expect(adapter.replyPolicy(NOW - elapsed, NOW)).toEqual(c.windows[index]);
    });
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
