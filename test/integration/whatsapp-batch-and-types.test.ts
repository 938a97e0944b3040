/**
 * WhatsApp webhooks as Meta batches them (WIRE.md §1.3), through the running web and worker
 * processes: one POST with 50 messages from 20 contacts becomes 50 messages in 20 conversations,
 * and redelivering it changes nothing; every inbound fixture of test/fixtures/wire/whatsapp turns
 * into the message the adapter parsed, with unknown types kept as visible placeholders.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { describeContent } from '../../activities/channels/describe';
import { createWhatsAppAdapter } from '../../activities/channels/whatsapp';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { upsertChannel, upsertTeam } from '../support/factories';
import { startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { startApp, type RunningApp } from '../support/app-processes';
import { startTestTemporal, uniqueTaskQueue } from '../support/temporal';
import { postWebhook, signature, whatsappTextWebhook } from '../support/webhooks';
import { waitFor } from '../support/wait-for';

const APP_SECRET = 'batch-app-secret';
const FIXTURE_PHONE_NUMBER_ID = '207845531190876';
const FIXTURES = path.join(__dirname, '..', 'fixtures', 'wire', 'whatsapp');

describe('WhatsApp batches and message types, webhook to projection', () => {
  let temporal: TestWorkflowEnvironment;
  let database: TestDatabase;
  let graph: FakeGraph;
  let app: RunningApp;
  let channelId: string;

  beforeAll(async () => {
    [temporal, database, graph] = await Promise.all([startTestTemporal(), createTestDatabase(), startFakeGraph()]);
    const teamId = await upsertTeam(database.db, 'Support');
    channelId = await upsertChannel(database.db, {
      kind: 'whatsapp',
      name: 'Fixture number',
      externalId: FIXTURE_PHONE_NUMBER_ID,
      accessToken: 'batch-token',
      defaultTeamId: teamId,
    });
    // The AI is not under test here: conversations go straight to their queue.
    await database.db('workspace_settings').insert({ key: 'ai', value: JSON.stringify({ enabled: false }) });
    app = await startApp({
      databaseUrl: database.url,
      temporalAddress: temporal.connection.options.address,
      taskQueue: uniqueTaskQueue('batch'),
      graphBaseUrl: graph.url,
      appSecret: APP_SECRET,
      verifyToken: 'batch-verify',
    });
  });
  afterAll(async () => {
    await app?.stop();
    await graph?.close();
    await database?.drop();
    await temporal?.teardown();
  });

  const count = async (table: string, where: Record<string, unknown> = {}) =>
    Number((await database.db(table).where(where).count('* as n').first())?.n ?? 0);

  it('projects a 50-message batch from 20 contacts into 20 conversations, and a redelivered batch changes nothing', async () => {
    const now = Math.floor(Date.now() / 1000);
    const specs = Array.from({ length: 50 }, (_, i) => ({
      phoneNumberId: FIXTURE_PHONE_NUMBER_ID,
      from: `4470090${String(i % 20).padStart(4, '0')}`,
      name: `Batch ${i % 20}`,
      text: `batch message ${i}`,
      id: `wamid.batch-${i}`,
      timestamp: now - 50 + i,
    }));
    const batch = whatsappTextWebhook(...specs);

    expect((await postWebhook(app.baseUrl, batch, APP_SECRET)).status).toBe(200);
    await waitFor(async () => (await count('messages', { channel_id: channelId })) >= 50, {
      timeoutMs: 30_000,
      what: '50 projected messages',
    });
    expect(await count('conversations', { channel_id: channelId })).toBe(20);

    for (let i = 0; i < 3; i++) expect((await postWebhook(app.baseUrl, batch, APP_SECRET)).status).toBe(200);
    // A later message of one contact is handled after the redeliveries (each contact's signals are ordered).
    await postWebhook(
      app.baseUrl,
      whatsappTextWebhook({ ...specs[0]!, id: 'wamid.batch-after', text: 'after the redeliveries', timestamp: now }),
      APP_SECRET,
    );
    await waitFor(async () => (await count('messages', { external_id: 'wamid.batch-after' })) === 1, {
      what: 'the later message',
    });
    expect(await count('messages', { channel_id: channelId })).toBe(51);
    expect(await count('conversations', { channel_id: channelId })).toBe(20);
    expect(await count('events', { type: 'created' })).toBe(20);

    // Each thread follows WhatsApp's timestamps.
    const first = await database.db('contacts').where({ external_key: specs[0]!.from }).first('id');
    const thread = await database
      .db('messages as m')
      .join('conversations as c', 'c.id', 'm.conversation_id')
      .where('c.contact_id', first.id)
      .orderBy('m.sent_at')
      .pluck('m.external_id');
    expect(thread).toEqual(['wamid.batch-0', 'wamid.batch-20', 'wamid.batch-40', 'wamid.batch-after']);
  });

  it('turns every inbound fixture into the message the adapter parsed, keeping unknown types as placeholders', async () => {
    const adapter = createWhatsAppAdapter({ graphBaseUrl: graph.url, graphVersion: 'v25.0' });
    const expected = new Map<string, { type: string; preview: string }>();
    for (const file of readdirSync(FIXTURES).filter((f) => f.endsWith('.json'))) {
      const raw = readFileSync(path.join(FIXTURES, file));
      let events;
      try {
        events = adapter.parseWebhook(JSON.parse(raw.toString('utf8')));
      } catch {
        continue; // fixtures of refused payloads are covered by the adapter's unit tests
      }
      for (const e of events) {
        if (e.kind === 'message' && e.channelExternalId === FIXTURE_PHONE_NUMBER_ID && e.content.type !== 'reaction') {
          expected.set(e.externalId, describeContent(e.content));
        }
      }
      const res = await fetch(`${app.baseUrl}/webhooks/whatsapp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature(raw, APP_SECRET) },
        body: new Uint8Array(raw),
      });
      expect([file, res.status]).toEqual([file, 200]);
    }
    expect(expected.size).toBeGreaterThanOrEqual(15);

    const rows = await waitFor(
      async () => {
        const found = await database
          .db('messages')
          .whereIn('external_id', [...expected.keys()])
          .select('external_id', 'type', 'body');
        return found.length === expected.size ? found : undefined;
      },
      { timeoutMs: 30_000, what: 'every fixture message projected' },
    );
    for (const row of rows) {
      const want = expected.get(row.external_id)!;
      expect([row.external_id, row.type]).toEqual([row.external_id, want.type]);
    }
    const types = new Set(rows.map((r) => r.type));
    for (const t of [
      'text',
      'image',
      'audio',
      'video',
      'document',
      'sticker',
      'location',
      'contacts',
      'interactive_reply',
      'button',
      'unsupported',
    ]) {
      expect([t, types.has(t)]).toEqual([t, true]);
    }
  });
});
