/**
 * The write of a customer message (projection.activities.ts recordInboundMessage): the message,
 * the conversation row's move and their live events in one statement (issue #6). Stored once,
 * the row moved only forward, and each live event sent exactly when its write happened, in order,
 * once the statement committed; nothing at all when it failed.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createProjectionActivities } from '../../activities/projection/projection.activities';
import type { RecordInboundMessageInput } from '../../activities/projection/types';
import { LIVE_CHANNEL } from '../../activities/projection/live';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { upsertChannel, upsertTeam } from '../support/factories';
import { waitFor } from '../support/wait-for';

describe('the write of a customer message', () => {
  let database: TestDatabase;
  let listener: pg.Client;
  const heard: Array<Record<string, unknown>> = [];
  let projection: ReturnType<typeof createProjectionActivities>;
  let channelId: string;
  let teamId: string;
  let conversationId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    const db = database.db;
    teamId = await upsertTeam(db, 'Orders');
    channelId = await upsertChannel(db, {
      kind: 'whatsapp',
      name: 'Orders number',
      externalId: '100000000000321',
      accessToken: 'orders-token',
      defaultTeamId: teamId,
    });
    const [contact] = await db('contacts')
      .insert({ channel_id: channelId, external_key: '447700900321', display_name: 'Dana' })
      .returning('id');
    [{ id: conversationId }] = await db('conversations')
      .insert({
        workflow_id: 'conv:inbound-write:1',
        channel_id: channelId,
        contact_id: contact.id,
        status: 'queued',
        team_id: teamId,
        version: 5,
      })
      .returning('id');
    projection = createProjectionActivities({ db, sla: { defaultTiersMs: [300_000, 900_000, 1_800_000] } });
    listener = new pg.Client({ connectionString: database.url });
    await listener.connect();
    listener.on('notification', (n) => heard.push(JSON.parse(n.payload ?? 'null')));
    await listener.query(`listen ${LIVE_CHANNEL}`);
  });

  afterAll(async () => {
    await listener?.end();
    await database?.drop();
  });

  beforeEach(() => {
    heard.length = 0;
  });

  const input = (version: number, externalId: string, text: string): RecordInboundMessageInput => ({
    conversationId,
    channelId,
    messageId: randomUUID(),
    externalId,
    sentAt: Date.parse('2026-12-04T10:00:00Z'),
    content: { type: 'text', text },
    snapshot: {
      version,
      status: 'queued',
      priority: 'normal',
      escalationLevel: 0,
      teamId,
      assigneeId: null,
      tags: [],
      waitingSince: Date.parse('2026-12-04T10:00:00Z'),
      lastInboundAt: Date.parse('2026-12-04T10:00:00Z'),
      lastMessageAt: Date.parse('2026-12-04T10:00:00Z'),
      slaNextTier: null,
      slaNextAt: null,
      snoozedUntil: null,
      intent: null,
    },
  });

  /** Waits for `n` events, then a moment of quiet would not add more: the statement sends all at once. */
  const events = async (n: number) => {
    await waitFor(() => heard.length >= n || undefined, { what: `${n} live events` });
    return heard.map((e) => ({ type: e.type, version: e.version, messageId: e.messageId }));
  };

  it('stores the message, moves the row, and announces both in that order', async () => {
    const first = input(6, 'wamid.write.1', 'Where is my order?');
    const sent: string[] = [];
    const count = (q: { sql: string }) => sent.push(q.sql);
    database.db.on('query', count);
    try {
      await expect(projection.recordInboundMessage(first)).resolves.toEqual({ stored: true });
    } finally {
      database.db.removeListener('query', count);
    }
    // One round trip: no BEGIN, COMMIT or NOTIFY of its own.
    expect(sent).toHaveLength(1);
    expect(await events(2)).toEqual([
      { type: 'conversation', version: 6, messageId: undefined },
      { type: 'message', version: undefined, messageId: first.messageId },
    ]);
    const row = await database.db('conversations').where({ id: conversationId }).first();
    expect(row).toMatchObject({
      version: '6',
      last_message_preview: 'Where is my order?',
      last_message_author: 'contact',
    });
    const stored = await database.db('messages').where({ external_id: 'wamid.write.1' }).select('id', 'body');
    expect(stored).toEqual([{ id: first.messageId, body: 'Where is my order?' }]);
  });

  it('stores a late message without moving the row back, and announces only the message', async () => {
    const late = input(4, 'wamid.write.0', 'Hello?');
    await expect(projection.recordInboundMessage(late)).resolves.toEqual({ stored: true });
    expect(await events(1)).toEqual([{ type: 'message', version: undefined, messageId: late.messageId }]);
    const row = await database.db('conversations').where({ id: conversationId }).first('version');
    expect(Number(row.version)).toBe(6);
  });

  it('stores a redelivered message once and announces nothing when nothing changed', async () => {
    await expect(projection.recordInboundMessage(input(6, 'wamid.write.1', 'Where is my order?'))).resolves.toEqual({
      stored: false,
    });
    // A later write's events arrive after this one's would have: none came in between.
    const next = input(7, 'wamid.write.2', 'Thanks');
    await projection.recordInboundMessage(next);
    expect(await events(2)).toEqual([
      { type: 'conversation', version: 7, messageId: undefined },
      { type: 'message', version: undefined, messageId: next.messageId },
    ]);
    expect(await database.db('messages').where({ external_id: 'wamid.write.1' }).count({ n: '*' })).toEqual([
      { n: '1' },
    ]);
  });

  it('writes and announces nothing when the statement fails', async () => {
    const orphan = { ...input(8, 'wamid.write.3', 'Lost'), conversationId: randomUUID() };
    await expect(projection.recordInboundMessage(orphan)).rejects.toThrow(/foreign key/);
    const marker = input(8, 'wamid.write.4', 'Still here');
    await projection.recordInboundMessage(marker);
    expect(await events(2)).toEqual([
      { type: 'conversation', version: 8, messageId: undefined },
      { type: 'message', version: undefined, messageId: marker.messageId },
    ]);
    expect(await database.db('messages').where({ external_id: 'wamid.write.3' }).first()).toBeUndefined();
  });
});
