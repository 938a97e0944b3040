/**
 * Duplicates and order (issue #7; WIRE.md §1.3: Meta delivers at least once and in no particular
 * order). On the running web and worker processes:
 *
 * - every customer message webhook is delivered again, some 3–5 times, all of them shuffled and
 *   spread over a 10-second window: each message is stored exactly once and every thread reads in
 *   WhatsApp's timestamp order, whatever order the webhooks came in;
 * - delivery statuses of our replies (sent, delivered, read), redelivered and shuffled the same
 *   way: a message's status only ever moves forward, and ends at `read`;
 * - webhook security: one captured, correctly signed request replayed 1,000 times is acknowledged
 *   every time and has one effect: one message row, one `recordInboundMessage` in its workflow's
 *   history, one `created` event.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { conversationWorkflowId } from '../../workflows/conversation/contract';
import { startApp, type RunningApp } from '../support/app-processes';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { upsertChannel, upsertTeam, upsertUser, addMember } from '../support/factories';
import { startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { startTestTemporal, uniqueTaskQueue } from '../support/temporal';
import { apiToken } from '../support/api-token';
import { activityRuns } from '../support/history';
import { seededRandom } from '../support/seeded-random';
import { waitFor } from '../support/wait-for';
import { metaJson, signature, whatsappStatusWebhook, whatsappTextWebhook } from '../support/webhooks';

const APP_SECRET = 'redelivery-app-secret';
const PHONE_NUMBER_ID = '100000000000432';
const ACCESS_TOKEN = 'redelivery-wa-token';
const PASSWORD = 'correct horse battery';
const WINDOW_MS = 10_000;
const RANK: Record<string, number> = { pending: 0, sent: 1, delivered: 2, read: 3 };

/** A seeded shuffle, so a failure can be replayed. */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  const rand = seededRandom(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('redelivered and reordered webhooks', () => {
  let temporal: TestWorkflowEnvironment;
  let database: TestDatabase;
  let graph: FakeGraph;
  let app: RunningApp;
  let channelId: string;
  let token: string;
  const seed = Number(process.env.REDELIVERY_SEED ?? Date.now() % 100_000);

  async function post(raw: Buffer): Promise<number> {
    const res = await fetch(`${app.baseUrl}/webhooks/whatsapp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature(raw, APP_SECRET) },
      body: new Uint8Array(raw),
    });
    await res.arrayBuffer();
    return res.status;
  }

  /** Sends every body at a random moment of the window, all in flight together; returns the statuses. */
  async function deliverWithinWindow(bodies: Buffer[]): Promise<number[]> {
    return Promise.all(
      bodies.map(async (raw, i) => {
        await new Promise((r) => setTimeout(r, ((i * 7919 + seed) % 100) * (WINDOW_MS / 100)));
        return post(raw);
      }),
    );
  }

  beforeAll(async () => {
    [temporal, database, graph] = await Promise.all([
      startTestTemporal(),
      createTestDatabase(),
      startFakeGraph({ accessTokens: [ACCESS_TOKEN] }),
    ]);
    const db = database.db;
    await db('workspace_settings').insert({
      key: 'ai',
      value: JSON.stringify({ enabled: false, instructions: '', faq: [] }),
    });
    const teamId = await upsertTeam(db, 'Support');
    channelId = await upsertChannel(db, {
      kind: 'whatsapp',
      name: 'Redelivery store',
      externalId: PHONE_NUMBER_ID,
      accessToken: ACCESS_TOKEN,
      defaultTeamId: teamId,
    });
    const agentId = await upsertUser(db, {
      email: 'agent@redelivery.test',
      name: 'Agent',
      role: 'agent',
      password: PASSWORD,
    });
    await addMember(db, teamId, agentId);
    app = await startApp({
      databaseUrl: database.url,
      temporalAddress: temporal.connection.options.address,
      taskQueue: uniqueTaskQueue('redelivery'),
      graphBaseUrl: graph.url,
      appSecret: APP_SECRET,
      verifyToken: 'redelivery-verify',
      extraEnv: { SLA_DEFAULT_TIERS: '1h,2h,3h', WHATSAPP_PAIR_GAP: '100ms' },
    });
    token = await apiToken(app.baseUrl, 'agent@redelivery.test', PASSWORD);
  });

  afterAll(async () => {
    await app?.stop();
    await graph?.close();
    await database?.drop();
    await temporal?.teardown();
  });

  it('stores each of 40 messages once and keeps WhatsApp’s order when every webhook comes 1–5 times, shuffled, within 10 s', async () => {
    const contacts = ['447700100001', '447700100002', '447700100003', '447700100004'];
    const base = Math.floor(Date.now() / 1000) - 600;
    const messages = contacts.flatMap((from, c) =>
      Array.from({ length: 10 }, (_, i) => ({
        from,
        id: `wamid.REDELIVER-${seed}-${c}-${i}`,
        // Distinct seconds, so the thread order is fully determined by WhatsApp's timestamps.
        timestamp: base + i * 5 + c,
        text: `message ${i + 1} of customer ${c + 1}`,
      })),
    );
    const deliveries = messages.flatMap((m, i) => {
      const raw = metaJson(
        whatsappTextWebhook({
          phoneNumberId: PHONE_NUMBER_ID,
          from: m.from,
          id: m.id,
          text: m.text,
          timestamp: m.timestamp,
        }),
      );
      // Every message at least twice; a third of them 3–5 times.
      const times = i % 3 === 0 ? 3 + (i % 3) + ((seed + i) % 3) : 2;
      return Array.from({ length: times }, () => raw);
    });
    expect(deliveries.length).toBeGreaterThan(messages.length * 2);
    const statuses = await deliverWithinWindow(shuffled(deliveries, seed));
    expect(statuses.every((s) => s === 200)).toBe(true);

    const ids = messages.map((m) => m.id);
    await waitFor(
      async () =>
        Number((await database.db('messages').whereIn('external_id', ids).count({ n: '*' }))[0]?.n) === ids.length,
      { what: 'all 40 messages to be stored', timeoutMs: 60_000, intervalMs: 250 },
    );
    // Exactly once each, even after the stragglers settle.
    const rows = await database.db('messages').whereIn('external_id', ids).select('external_id', 'conversation_id');
    expect(rows).toHaveLength(ids.length);
    expect(new Set(rows.map((r) => r.external_id)).size).toBe(ids.length);

    for (const from of contacts) {
      const conversation = await database
        .db('conversations')
        .where({ workflow_id: conversationWorkflowId(channelId, from) })
        .first();
      const res = await fetch(`${app.baseUrl}/api/v1/conversations/${conversation.id}/messages?limit=100`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const thread = ((await res.json()) as { data: Array<{ externalId: string; direction: string; sentAt: string }> })
        .data;
      const expected = messages.filter((m) => m.from === from).sort((a, b) => a.timestamp - b.timestamp);
      expect(thread.filter((m) => m.direction === 'inbound').map((m) => m.externalId)).toEqual(
        expected.map((m) => m.id),
      );
      expect(thread.map((m) => Date.parse(m.sentAt))).toEqual(
        thread.map((m) => Date.parse(m.sentAt)).sort((a, b) => a - b),
      );
      // The conversation's last inbound time is the newest WhatsApp timestamp, not the last arrival.
      expect(conversation.last_inbound_at.getTime()).toBe(expected.at(-1)!.timestamp * 1000);
    }
  });

  it('moves reply statuses only forward when sent, delivered and read arrive 3–5 times each, shuffled, within 10 s', async () => {
    const from = '447700100001';
    const conversation = await database
      .db('conversations')
      .where({ workflow_id: conversationWorkflowId(channelId, from) })
      .first();
    const replies: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${app.baseUrl}/api/v1/conversations/${conversation.id}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ text: `Reply ${i + 1}` }),
      });
      const body = (await res.json()) as { data: { messageId: string; status: string; externalId: string } };
      expect([res.status, body.data.status]).toEqual([201, 'sent']);
      replies.push(body.data.externalId);
    }
    const now = Math.floor(Date.now() / 1000);
    const receipts = replies.flatMap((id, i) =>
      (['sent', 'delivered', 'read'] as const).flatMap((status, s) =>
        Array.from({ length: 3 + ((i + s + seed) % 3) }, () =>
          metaJson(whatsappStatusWebhook(PHONE_NUMBER_ID, { id, status, recipientId: from, timestamp: now + s })),
        ),
      ),
    );
    const rank = async () =>
      new Map(
        (await database.db('messages').whereIn('external_id', replies).select('external_id', 'status')).map((r) => [
          r.external_id as string,
          RANK[r.status as string] ?? -1,
        ]),
      );
    // Watch the statuses while the receipts arrive: no observation may be lower than the one before.
    let watching = true;
    const backwards: string[] = [];
    const watcher = (async () => {
      let last = await rank();
      while (watching) {
        const next = await rank();
        for (const [id, r] of next) if (r < (last.get(id) ?? -1)) backwards.push(`${id}: ${last.get(id)} -> ${r}`);
        last = next;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const statuses = await deliverWithinWindow(shuffled(receipts, seed + 1));
    watching = false;
    await watcher;
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(backwards).toEqual([]);
    const final = await database
      .db('messages')
      .whereIn('external_id', replies)
      .select('status', 'delivered_at', 'read_at');
    expect(final).toHaveLength(replies.length);
    for (const row of final) {
      expect(row.status).toBe('read');
      expect(row.delivered_at).not.toBeNull();
      expect(row.read_at).not.toBeNull();
    }
    // A late `delivered` (or `sent`) after `read` changes nothing.
    for (const id of replies) {
      expect(
        await post(metaJson(whatsappStatusWebhook(PHONE_NUMBER_ID, { id, status: 'sent', recipientId: from }))),
      ).toBe(200);
    }
    expect(
      new Set((await database.db('messages').whereIn('external_id', replies).pluck('status')) as string[]),
    ).toEqual(new Set(['read']));
  });

  it('acknowledges one captured signed request replayed 1,000 times, with one message, one recording and one created event', async () => {
    const from = '447700199999';
    const captured = metaJson(
      whatsappTextWebhook({ phoneNumberId: PHONE_NUMBER_ID, from, id: `wamid.REPLAY-${seed}`, text: 'Replay me' }),
    );
    const statuses: number[] = [];
    const queue = Array.from({ length: 1_000 }, () => captured);
    await Promise.all(
      Array.from({ length: 25 }, async () => {
        while (queue.length > 0) statuses.push(await post(queue.pop()!));
      }),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(1_000);
    const row = await waitFor(
      () =>
        database
          .db('messages')
          .where({ external_id: `wamid.REPLAY-${seed}` })
          .first(),
      {
        what: 'the replayed message',
        timeoutMs: 30_000,
      },
    );
    // Every signal reached the workflow (across continue-as-new runs), and it acted on the first only.
    const workflowId = conversationWorkflowId(channelId, from);
    const events = await waitFor(
      async () => {
        const all = [];
        for await (const run of temporal.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
          all.push(...((await temporal.client.workflow.getHandle(workflowId, run.runId).fetchHistory()).events ?? []));
        }
        const signals = all.filter((e) => e.workflowExecutionSignaledEventAttributes).length;
        return signals >= 1_000 ? all : undefined;
      },
      { what: 'all 1,000 signals in the histories', timeoutMs: 60_000, intervalMs: 1_000 },
    );
    // Written once, by whichever activity the run used: a local one since the patch, and since
    // OPEN_WITH_FIRST_MESSAGE_PATCH the opening's own when it is the run's first message.
    expect(activityRuns(events, 'recordInboundMessage') + activityRuns(events, 'openConversationWithMessage')).toBe(1);
    expect(await database.db('messages').where({ external_id: `wamid.REPLAY-${seed}` })).toHaveLength(1);
    expect(await database.db('events').where({ conversation_id: row.conversation_id, type: 'created' })).toHaveLength(
      1,
    );
    expect(await database.db('contacts').where({ channel_id: channelId, external_key: from })).toHaveLength(1);
  });
});
