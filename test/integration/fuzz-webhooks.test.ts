/**
 * Bad input on the webhook path (issue #7), property-based with fast-check:
 *
 * - unit level: every adapter's `parseWebhook` on any JSON value, on mutated wire fixtures
 *   (values replaced, keys dropped, types swapped, arrays wrapped, deep nesting) and on deeply
 *   nested bodies either returns plain-JSON events or throws a WebhookPayloadError, nothing else;
 * - over HTTP against the running web and worker processes: random, mutated, truncated, oversized
 *   and deeply nested bodies, correctly signed so they reach the parser, get a clear 4xx (or a 200
 *   for a well-formed webhook of a channel we do not have), never a 5xx, never a stored row;
 * - webhook security: unsigned, badly signed and `sha1=` bodies are refused with 401 before
 *   anything parses them (a body that is not even JSON gets 401, not 400), nothing stored.
 *
 * The number of cases of each property is in its name. The processes stay up throughout: /healthz
 * answers after every property.
 */
import { createHmac } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import fc from 'fast-check';
import { createChannelRegistry } from '../../activities/channels/registry';
import { WebhookPayloadError, type ChannelAdapter } from '../../activities/channels/types';
import { startApp, type RunningApp } from '../support/app-processes';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { upsertChannel, upsertTeam } from '../support/factories';
import { startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { startTestTemporal, uniqueTaskQueue } from '../support/temporal';
import { waitFor } from '../support/wait-for';
import { metaJson, signature, whatsappMessageWebhook } from '../support/webhooks';

const APP_SECRET = 'fuzz-app-secret';
const PHONE_NUMBER_ID = '100000000000321';
const FIXTURES = path.join(__dirname, '..', 'fixtures', 'wire');
/** Rows a webhook may create: none of these may change while bad input is fuzzed. */
const TABLES = ['messages', 'conversations', 'contacts', 'events', 'notes', 'notifications', 'media'] as const;

const registry = createChannelRegistry({ graphBaseUrl: 'http://127.0.0.1:9', graphVersion: 'v25.0' });
const adapters = { whatsapp: registry.whatsapp!, messenger: registry.messenger!, instagram: registry.instagram! };

function fixtures(kind: 'whatsapp' | 'messenger' | 'instagram'): { name: string; raw: string; body: unknown }[] {
  const dir = path.join(FIXTURES, kind);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((name) => {
      const raw = readFileSync(path.join(dir, name), 'utf8');
      return { name, raw, body: JSON.parse(raw) as unknown };
    });
}

/** JSON text nested `depth` levels deep, built as text (JSON.stringify overflows on it). */
function nestedText(depth: number, shape: 'array' | 'object'): string {
  return shape === 'array'
    ? `${'['.repeat(depth)}${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** A value nested `depth` levels deep, built without recursion. */
function nested(depth: number, shape: 'array' | 'object'): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = shape === 'array' ? [value] : { a: value };
  return value;
}

type Mutation =
  | { op: 'replace'; value: unknown }
  | { op: 'delete' }
  | { op: 'wrap' }
  | { op: 'retype' }
  | { op: 'deep'; depth: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('replace' as const), value: fc.jsonValue({ maxDepth: 3 }) }),
  fc.record({ op: fc.constant('delete' as const) }),
  fc.record({ op: fc.constant('wrap' as const) }),
  fc.record({ op: fc.constant('retype' as const) }),
  fc.record({ op: fc.constant('deep' as const), depth: fc.integer({ min: 50, max: 20_000 }) }),
);

/** The fixture with one value (found by walking `steps` down from the root) mutated. */
function mutate(body: unknown, steps: number[], mutation: Mutation): unknown {
  const copy = structuredClone(body) as Record<string, unknown>;
  let parent: Record<string, unknown> | unknown[] = copy;
  let key: string | number | undefined;
  for (const step of steps) {
    const node: unknown = key === undefined ? parent : (parent as Record<string, unknown>)[key as string];
    if (node === null || typeof node !== 'object') break;
    const keys = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
    if (keys.length === 0) break;
    if (key !== undefined) parent = node as Record<string, unknown>;
    key = keys[step % keys.length];
  }
  if (key === undefined) return mutation.op === 'replace' ? mutation.value : copy;
  const target = parent as Record<string | number, unknown>;
  const current = target[key];
  switch (mutation.op) {
    case 'replace':
      target[key] = mutation.value;
      break;
    case 'delete':
      if (Array.isArray(target)) target.splice(key as number, 1);
      else delete target[key];
      break;
    case 'wrap':
      target[key] = [current];
      break;
    case 'retype':
      target[key] =
        typeof current === 'string'
          ? Number(current) || 42
          : typeof current === 'number'
            ? String(current)
            : typeof current === 'boolean'
              ? 'true'
              : current === null
                ? {}
                : JSON.stringify(current);
      break;
    case 'deep':
      target[key] = nested(mutation.depth, 'object');
      break;
  }
  return copy;
}

/** parseWebhook's contract: events that are plain JSON, or a WebhookPayloadError. */
function parsesOrRefuses(adapter: ChannelAdapter, body: unknown): void {
  let events: unknown;
  try {
    events = adapter.parseWebhook(body);
  } catch (err) {
    if (!(err instanceof WebhookPayloadError)) throw err;
    return;
  }
  expect(Array.isArray(events)).toBe(true);
  // Events travel as workflow signal payloads (JSON): they must serialise and come back equal.
  expect(JSON.parse(JSON.stringify(events))).toEqual(events);
}

describe('webhook parsers never throw anything but WebhookPayloadError', () => {
  const cases: Array<[string, ChannelAdapter]> = [
    ['WhatsApp', adapters.whatsapp],
    ['Messenger', adapters.messenger],
    ['Instagram', adapters.instagram],
  ];

  it.each(cases)('%s parseWebhook on any value (1,000 cases)', (_name, adapter) => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.anything()), (body) => parsesOrRefuses(adapter, body)),
      { numRuns: 1_000 },
    );
  });

  it.each([
    ['WhatsApp', 'whatsapp'],
    ['Messenger', 'messenger'],
    ['Instagram', 'instagram'],
  ] as const)(
    '%s parseWebhook on mutated wire fixtures: values replaced, keys dropped, types swapped, arrays wrapped, 50–20,000 levels of nesting (1,000 cases)',
    (_name, kind) => {
      const all = fixtures(kind);
      fc.assert(
        fc.property(
          fc.constantFrom(...all),
          fc.array(fc.nat(), { maxLength: 10 }),
          mutationArb,
          (fixture, steps, mutation) => parsesOrRefuses(adapters[kind], mutate(fixture.body, steps, mutation)),
        ),
        { numRuns: 1_000 },
      );
    },
  );

  it('WhatsApp keeps a Flow reply whose response_json nests 100 to 100,000 levels deep as plain, serialisable JSON (40 cases)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 100_000 }), fc.constantFrom('array', 'object'), (depth, shape) => {
        const body = whatsappMessageWebhook({
          phoneNumberId: PHONE_NUMBER_ID,
          from: '4915112345678',
          message: {
            id: 'wamid.DEEP',
            type: 'interactive',
            interactive: {
              type: 'nfm_reply',
              nfm_reply: { name: 'flow', body: 'Sent', response_json: nestedText(depth, shape) },
            },
          },
        });
        parsesOrRefuses(adapters.whatsapp, JSON.parse(metaJson(body).toString('utf8')));
      }),
      { numRuns: 40 },
    );
  });
});

describe('webhook endpoints on the running processes', () => {
  let temporal: TestWorkflowEnvironment;
  let database: TestDatabase;
  let graph: FakeGraph;
  let app: RunningApp;
  let before: Record<string, number>;

  const counts = async () => {
    const out: Record<string, number> = {};
    for (const table of TABLES) {
      const [row] = await database.db(table).count({ n: '*' });
      out[table] = Number(row?.n ?? 0);
    }
    return out;
  };

  async function post(
    endpoint: '/webhooks/whatsapp' | '/webhooks/meta',
    body: Buffer,
    header: string | null = signature(body, APP_SECRET),
  ): Promise<number> {
    const res = await fetch(`${app.baseUrl}${endpoint}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(header !== null && { 'x-hub-signature-256': header }) },
      body: new Uint8Array(body),
    });
    await res.arrayBuffer();
    return res.status;
  }

  const healthy = async () => expect((await fetch(`${app.baseUrl}/healthz`)).status).toBe(200);

  beforeAll(async () => {
    [temporal, database, graph] = await Promise.all([startTestTemporal(), createTestDatabase(), startFakeGraph()]);
    const teamId = await upsertTeam(database.db, 'Support');
    await upsertChannel(database.db, {
      kind: 'whatsapp',
      name: 'Fuzz store',
      externalId: PHONE_NUMBER_ID,
      accessToken: 'fuzz-token',
      defaultTeamId: teamId,
    });
    app = await startApp({
      databaseUrl: database.url,
      temporalAddress: temporal.connection.options.address,
      taskQueue: uniqueTaskQueue('fuzz-webhooks'),
      graphBaseUrl: graph.url,
      appSecret: APP_SECRET,
      verifyToken: 'fuzz-verify-token',
    });
    before = await counts();
  });

  afterAll(async () => {
    await app?.stop();
    await graph?.close();
    await database?.drop();
    await temporal?.teardown();
  });

  afterEach(async () => {
    await healthy();
  });

  it('answers signed random JSON with 4xx or 200, never 5xx, storing nothing (150 cases per endpoint)', async () => {
    for (const endpoint of ['/webhooks/whatsapp', '/webhooks/meta'] as const) {
      await fc.assert(
        fc.asyncProperty(fc.jsonValue({ maxDepth: 5 }), async (body) => {
          const status = await post(endpoint, Buffer.from(JSON.stringify(body) ?? 'null'));
          expect(status === 200 || (status >= 400 && status < 500)).toBe(true);
        }),
        { numRuns: 150 },
      );
    }
    expect(await counts()).toEqual(before);
  });

  it('answers signed mutated wire fixtures of channels we do not have with 400 or 200, never 5xx, storing nothing (150 cases per endpoint)', async () => {
    const meta = [...fixtures('messenger'), ...fixtures('instagram')];
    for (const [endpoint, all] of [
      ['/webhooks/whatsapp', fixtures('whatsapp')],
      ['/webhooks/meta', meta],
    ] as const) {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...all),
          fc.array(fc.nat(), { maxLength: 10 }),
          // Deeper ones are the nesting property's: this process's JSON.stringify would overflow first.
          mutationArb.filter((m) => m.op !== 'deep' || m.depth < 1_500),
          async (fixture, steps, mutation) => {
            const status = await post(endpoint, metaJson(mutate(fixture.body, steps, mutation)));
            expect([200, 400]).toContain(status);
          },
        ),
        { numRuns: 150 },
      );
    }
    expect(await counts()).toEqual(before);
  });

  it('answers signed truncated bodies with 400 and stores nothing (100 cases)', async () => {
    const all = [...fixtures('whatsapp'), ...fixtures('messenger')].map((f) => ({
      ...f,
      raw: f.raw.replace(/207845531190876/g, PHONE_NUMBER_ID),
    }));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...all), fc.double({ min: 0, max: 0.98, noNaN: true }), async (f, cut) => {
        const raw = Buffer.from(f.raw.trimEnd().slice(0, Math.floor(f.raw.trimEnd().length * cut)));
        const endpoint =
          f.body && (f.body as { object?: string }).object === 'page' ? '/webhooks/meta' : '/webhooks/whatsapp';
        expect(await post(endpoint, raw)).toBe(400);
      }),
      { numRuns: 100 },
    );
    expect(await counts()).toEqual(before);
  });

  it('answers bodies over the 3 MB limit with 413, signed or not', async () => {
    const big = Buffer.from(JSON.stringify({ object: 'whatsapp_business_account', pad: 'x'.repeat(3 * 1024 * 1024) }));
    for (const endpoint of ['/webhooks/whatsapp', '/webhooks/meta'] as const) {
      expect(await post(endpoint, big)).toBe(413);
      expect(await post(endpoint, big, null)).toBe(413);
    }
    expect(await counts()).toEqual(before);
  });

  it('answers signed bodies nested 1,000 to 1,000,000 levels deep with 400, never 5xx (12 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1_000, max: 1_000_000 }),
        fc.constantFrom('/webhooks/whatsapp', '/webhooks/meta'),
        async (depth, endpoint) => {
          const raw = Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`);
          expect(await post(endpoint, raw)).toBe(400);
          const wrapped = Buffer.from(
            `{"object":"whatsapp_business_account","entry":${'['.repeat(depth)}${']'.repeat(depth)}}`,
          );
          expect(await post(endpoint, wrapped)).toBe(400);
        },
      ),
      { numRuns: 12 },
    );
    expect(await counts()).toEqual(before);
  });

  describe('webhook security', () => {
    const valid = () =>
      metaJson(
        whatsappMessageWebhook({
          phoneNumberId: PHONE_NUMBER_ID,
          from: '4915112349999',
          message: { id: `wamid.UNSIGNED-${Date.now()}`, type: 'text', text: { body: 'let me in' } },
        }),
      );
    const badHeader = fc.oneof(
      fc.constant(null),
      fc.constant(''),
      fc.constant('sha256='),
      fc
        .string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 })
        .map((h) => `sha256=${h}`),
      fc.string({ maxLength: 80 }),
      fc.string({ maxLength: 80 }).map((s) => `sha256=${s}`),
    );

    it('refuses unsigned and badly signed bodies with 401 before parsing them, storing nothing (200 cases)', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.constant(valid()),
            fc.string().map((s) => Buffer.from(s)),
            fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
          ),
          badHeader,
          fc.constantFrom('/webhooks/whatsapp', '/webhooks/meta'),
          async (body, header, endpoint) => {
            // Not JSON, or JSON that is no webhook: a 401 (not a 400) shows nothing parsed it.
            expect(await post(endpoint, body, header)).toBe(401);
          },
        ),
        { numRuns: 200 },
      );
      expect(await counts()).toEqual(before);
    });

    it('refuses the legacy sha1= signature, and a sha256 signature made with another secret, with 401', async () => {
      for (const body of [valid(), Buffer.from('not json at all')]) {
        const sha1 = `sha1=${createHmac('sha1', APP_SECRET).update(body).digest('hex')}`;
        const otherSecret = signature(body, 'someone-elses-secret');
        const upper = `SHA256=${createHmac('sha256', APP_SECRET).update(body).digest('hex')}`;
        for (const header of [sha1, otherSecret, upper]) {
          expect(await post('/webhooks/whatsapp', body, header)).toBe(401);
          expect(await post('/webhooks/meta', body, header)).toBe(401);
        }
      }
      // The body signed over different bytes (re-serialised JSON) is refused too.
      const body = valid();
      const reserialised = Buffer.from(JSON.stringify(JSON.parse(body.toString('utf8')), null, 1));
      expect(await post('/webhooks/whatsapp', reserialised, signature(body, APP_SECRET))).toBe(401);
      expect(await counts()).toEqual(before);
    });
  });

  // Last: the conversation it opens goes on in the background (routing, notes), changing the counts.
  it('acknowledges a WhatsApp Flow reply whose response_json nests 10,000 levels deep and stores it once (regression)', async () => {
    const body = whatsappMessageWebhook({
      phoneNumberId: PHONE_NUMBER_ID,
      from: '4915112340001',
      message: {
        id: 'wamid.FUZZ-DEEP-FLOW',
        type: 'interactive',
        interactive: {
          type: 'nfm_reply',
          nfm_reply: { name: 'flow', body: 'Sent', response_json: nestedText(10_000, 'array') },
        },
      },
    });
    expect(await post('/webhooks/whatsapp', metaJson(body))).toBe(200);
    const row = await waitFor(() => database.db('messages').where({ external_id: 'wamid.FUZZ-DEEP-FLOW' }).first(), {
      what: 'the Flow reply to be stored',
      timeoutMs: 30_000,
    });
    // Too deep to be useful data: kept as the raw text Meta sent.
    expect(typeof row.content.responseJson).toBe('string');
    expect(await post('/webhooks/whatsapp', metaJson(body))).toBe(200);
    expect(await database.db('messages').where({ external_id: 'wamid.FUZZ-DEEP-FLOW' })).toHaveLength(1);
  });
});
