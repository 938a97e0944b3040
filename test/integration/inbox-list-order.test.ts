/**
 * The inbox list's urgency order and its keyset pages (DESIGN §3, issue #6 figure 6): escalation
 * level first, then the longest waiting (no wait last), then the latest message, then id. Walking
 * the pages of any size must give exactly the order Postgres gives for that sort key, with ties
 * on every column and conversations that are not waiting at all.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { Knex } from 'knex';
import { createInboxService, type Queue } from '../../api/services/inbox.service';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { keptPlan } from '../support/plans';
import { upsertChannel, upsertTeam, upsertUser } from '../support/factories';

describe('the inbox list order', () => {
  let database: TestDatabase;
  let inbox: ReturnType<typeof createInboxService>;
  let owner: { id: string; email: string; name: string; role: 'owner' };
  let expected: string[];
  let mine: Set<string>;
  let teamId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    const db = database.db;
    teamId = await upsertTeam(db, 'Order desk');
    const channelId = await upsertChannel(db, {
      kind: 'whatsapp',
      name: 'Order number',
      externalId: '100000000000654',
      accessToken: 'order-token',
      defaultTeamId: teamId,
    });
    const ownerId = await upsertUser(db, {
      email: 'owner@order.test',
      name: 'Olive Owner',
      role: 'owner',
      password: 'correct horse battery',
    });
    owner = { id: ownerId, email: 'owner@order.test', name: 'Olive Owner', role: 'owner' };
    // Few distinct values per column, so every column has ties that the next one must break.
    const base = Date.parse('2026-11-20T09:00:00.000Z');
    const rows = Array.from({ length: 60 }, (_, i) => ({
      id: randomUUID(),
      level: i % 4,
      waiting: i % 5 === 0 ? null : new Date(base + (i % 3) * 60_000 + (i % 7 === 0 ? 0.5 : 0)),
      last: new Date(base + 3_600_000 + (i % 4) * 1_000),
    }));
    for (const [i, r] of rows.entries()) {
      const [contact] = await db('contacts')
        .insert({ channel_id: channelId, external_key: `4477001${String(i).padStart(5, '0')}`, display_name: `C${i}` })
        .returning('id');
      await db('conversations').insert({
        id: r.id,
        workflow_id: `conv:order:${i}`,
        channel_id: channelId,
        contact_id: contact.id,
        status: 'queued',
        escalation_level: r.level,
        team_id: teamId,
        waiting_since: r.waiting,
        last_message_at: r.last,
        version: 1,
      });
    }
    // Sub-millisecond timestamps too: Postgres keeps microseconds, the cursor must as well.
    await db('conversations')
      .whereIn(
        'id',
        rows.filter((_, i) => i % 11 === 0).map((r) => r.id),
      )
      .update({ last_message_at: db.raw(`last_message_at + interval '250 microseconds'`) });
    // A third of them are the owner's, for the Mine queue's pages.
    await db('conversations')
      .whereIn(
        'id',
        rows.filter((_, i) => i % 3 === 0).map((r) => r.id),
      )
      .update({ assignee_id: ownerId, status: 'assigned' });
    mine = new Set(rows.filter((_, i) => i % 3 === 0).map((r) => r.id));
    expected = await db('conversations')
      .whereNotNull('last_message_at')
      .orderByRaw('escalation_level desc, waiting_since asc nulls last, last_message_at desc, id desc')
      .pluck('id');
    const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
    inbox = createInboxService({ db, temporal, slaDefaultTiersMs: [300_000, 900_000, 1_800_000] });
  });

  afterAll(async () => {
    await database?.drop();
  });

  it.each([1, 7, 50])('walks pages of %i in exactly the urgency order', async (limit) => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await inbox.listConversations(owner, { queue: 'all', status: 'any', limit, cursor });
      seen.push(...page.data.map((c) => c.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(60);
    expect(seen).toEqual(expected);
  });

  // Open, each of these queues' deep pages is read through its own index (the cursor leads with
  // the owner or the team, bounded by a range); with any status, through the all-conversations
  // index. Either way the pages must come in exactly the list's order (every row here is open).
  it.each([
    ['mine', 'open', (): Queue => 'mine', (): string[] => expected.filter((id) => mine.has(id))],
    ['mine', 'any', (): Queue => 'mine', (): string[] => expected.filter((id) => mine.has(id))],
    ['a team queue', 'open', (): Queue => `team:${teamId}`, (): string[] => expected],
    ['a team queue', 'any', (): Queue => `team:${teamId}`, (): string[] => expected],
  ] as const)('walks the keyset pages of %s (status %s) in the same order', async (_name, status, queue, want) => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await inbox.listConversations(owner, { queue: queue(), status, limit: 4, cursor });
      seen.push(...page.data.map((c) => c.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(want());
    expect(seen.length).toBeGreaterThan(4);
  });

  it('sends a page as one statement, named for its shape, with the team’s and the owner’s names', async () => {
    const sent: Array<string | undefined> = [];
    const listen = (q: { options?: { name?: string } }) => sent.push(q.options?.name);
    database.db.on('query', listen);
    let pages: Awaited<ReturnType<typeof inbox.listConversations>>[];
    try {
      const first = await inbox.listConversations(owner, { queue: 'mine', status: 'any', limit: 4 });
      const second = await inbox.listConversations(owner, {
        queue: 'mine',
        status: 'any',
        limit: 4,
        cursor: first.nextCursor!,
      });
      const third = await inbox.listConversations(owner, {
        queue: 'mine',
        status: 'any',
        limit: 4,
        cursor: second.nextCursor!,
      });
      pages = [first, second, third];
    } finally {
      database.db.removeListener('query', listen);
    }
    expect(sent).toHaveLength(3);
    // Any two pages after a cursor are the same text with other values: one prepared statement.
    expect(sent[1]).toMatch(/^inbox_list_[0-9a-f]{16}$/);
    expect(sent[2]).toBe(sent[1]);
    expect(sent[0]).not.toBe(sent[1]);
    for (const item of pages.flatMap((p) => p.data)) {
      expect(item).toMatchObject({
        team: { id: teamId, name: 'Order desk' },
        assignee: { id: owner.id, name: 'Olive Owner' },
      });
    }
  });

  it('keeps one plan for an open queue’s pages, and it reads the open conversations’ index', async () => {
    const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
    const { genericRuns, plan } = await keptPlan(database.url, (db) =>
      createInboxService({ db, temporal }).listConversations(owner, { queue: 'unassigned', status: 'open', limit: 4 }),
    );
    // Postgres plans the first runs for their values, then keeps one plan: no planning per page.
    expect(genericRuns).toBeGreaterThan(0);
    expect(plan).toContain('conversations_open_unassigned_list_idx');
  });

  // Where the scan starts decides what a deep page costs: from the cursor, a page reads its own
  // rows; from the queue's end (what Postgres does beside an equality on the queue's column), it
  // steps over every row before the cursor, and a page costs more the deeper it is.
  it.each([
    ['Mine', () => 'mine' as const, 'conversations_open_assignee_list_idx', 'assignee_id'],
    ['a team queue', () => `team:${teamId}` as const, 'conversations_open_team_list_idx', 'team_id'],
  ])('starts a deep page of %s at the cursor, in the queue’s own index', async (_name, queue, index, column) => {
    const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
    const opts = { queue: queue(), status: 'open', limit: 4 } as const;
    const { nextCursor } = await createInboxService({ db: database.db, temporal }).listConversations(owner, opts);
    expect(nextCursor).not.toBeNull();
    const { plan } = await keptPlan(
      database.url,
      (db) =>
        createInboxService({ db, listDb: db, temporal }).listConversations(owner, { ...opts, cursor: nextCursor! }),
      { pool: 'list' },
    );
    const scan = plan.split('\n').findIndex((line) => line.includes(`Index Scan Backward using ${index}`));
    expect(scan).toBeGreaterThanOrEqual(0);
    const indexCond = plan.split('\n')[scan + 1]!;
    expect(indexCond).toContain('Index Cond:');
    // The comparison with the cursor is where the scan starts, the queue's range where it ends:
    // beside an equality on the queue's column, Postgres would start from that equality instead.
    expect(indexCond).toContain(`(${column} >= $`);
    expect(indexCond).toContain(`(ROW(${column}, escalation_level, waiting_rank, last_message_at, id) < ROW(`);
    expect(indexCond).not.toContain(`(${column} = $`);
  });

  it('serves every deep page of the All queue from one plan on the list’s pool, with the same rows', async () => {
    const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
    const all = { queue: 'all', status: 'open', limit: 4 } as const;
    const { nextCursor } = await createInboxService({ db: database.db, temporal }).listConversations(owner, all);
    expect(nextCursor).not.toBeNull();
    const deepPage = (db: Knex) =>
      createInboxService({ db, listDb: db, temporal }).listConversations(owner, { ...all, cursor: nextCursor! });
    const pages: Array<{ pool: string; ids: string[] }> = [];
    const sendAndKeep = (pool: string) => async (db: Knex) =>
      pages.push({ pool, ids: (await deepPage(db)).data.map((c) => c.id) });
    const ordinary = await keptPlan(database.url, sendAndKeep('default'));
    const list = await keptPlan(database.url, sendAndKeep('list'), { pool: 'list' });
    // Postgres plans at least the first five runs for their values; the list's pool never does.
    expect(ordinary.genericRuns).toBeLessThanOrEqual(3);
    expect(list.genericRuns).toBe(8);
    expect(list.plan).toContain('conversations_list_idx');
    const open = new Set(await database.db('conversations').whereNot('status', 'resolved').pluck('id'));
    const ids = pages[0]!.ids;
    expect(ids).toEqual(expected.filter((id) => open.has(id)).slice(4, 8));
    for (const page of pages) expect(page.ids).toEqual(ids);
  });

  // Last: it adds conversations on a second channel.
  it('filters by channel and by the contact’s name or number, keeping the order and the names', async () => {
    const db = database.db;
    const instagram = await upsertChannel(db, {
      kind: 'instagram',
      name: 'Order Instagram',
      externalId: '17841400000654',
      accessToken: 'ig-token',
    });
    const igIds: string[] = [];
    for (const i of [0, 1]) {
      const [contact] = await db('contacts')
        .insert({ channel_id: instagram, external_key: `ig-order-${i}`, display_name: `Insta 50% ${i}` })
        .returning('id');
      const [row] = await db('conversations')
        .insert({
          workflow_id: `conv:order-ig:${i}`,
          channel_id: instagram,
          contact_id: contact.id,
          status: 'queued',
          escalation_level: 0,
          team_id: teamId,
          last_message_at: new Date(Date.parse('2026-11-20T08:00:00.000Z') + i),
          version: 1,
        })
        .returning('id');
      igIds.push(row.id);
    }
    const list = async (opts: { channel?: 'whatsapp' | 'instagram'; q?: string }) =>
      (await inbox.listConversations(owner, { queue: 'all', status: 'any', limit: 100, ...opts })).data;

    const ig = await list({ channel: 'instagram' });
    expect(ig.map((c) => c.id)).toEqual([...igIds].reverse());
    expect(ig[0]).toMatchObject({
      channel: { id: instagram, kind: 'instagram', name: 'Order Instagram' },
      contact: { name: 'Insta 50% 1' },
      team: { id: teamId, name: 'Order desk' },
      assignee: null,
    });
    expect((await list({ channel: 'whatsapp' })).map((c) => c.id)).toEqual(expected);

    // By name: C1 and C10–C19, in the urgency order.
    const byName = await list({ q: 'c1' });
    expect(byName.map((c) => c.contact.name).sort()).toEqual(
      ['C1', ...Array.from({ length: 10 }, (_, i) => `C1${i}`)].sort(),
    );
    expect(byName.map((c) => c.id)).toEqual(expected.filter((id) => byName.some((c) => c.id === id)));
    // By number, and a wildcard is a literal character, not "anything".
    expect((await list({ q: '447700100059' })).map((c) => c.contact.name)).toEqual(['C59']);
    expect((await list({ q: '50%' })).map((c) => c.id).sort()).toEqual([...igIds].sort());
    expect(await list({ q: '50%', channel: 'whatsapp' })).toEqual([]);
  });

  it('answers a forged cursor with a 400, not a query', async () => {
    const forged = Buffer.from(JSON.stringify([0, 'not a number', '2026-11-20T09:00:00Z', randomUUID()])).toString(
      'base64url',
    );
    await expect(inbox.listConversations(owner, { cursor: forged })).rejects.toMatchObject({ code: 'bad_request' });
  });
});
