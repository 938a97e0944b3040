/**
 * The REST API's agent actions and reference data (DESIGN §4, §5) on real parts: signed WhatsApp
 * webhooks open conversations in the running web and worker processes, and staff act on them
 * through /api/v1 with bearer tokens. Each action goes to the conversation workflow; the tests
 * assert what the projection, the timeline, notifications and the fake Graph server show.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startApp, type RunningApp } from '../support/app-processes';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { addMember, upsertChannel, upsertTeam, upsertUser } from '../support/factories';
import { startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { startTestTemporal, uniqueTaskQueue } from '../support/temporal';
import { waitFor } from '../support/wait-for';
import { postWebhook, whatsappTextWebhook } from '../support/webhooks';
import { apiToken as issueToken } from '../support/api-token';

const APP_SECRET = 'actions-app-secret';
const VERIFY_TOKEN = 'actions-verify-token';
const PHONE_NUMBER_ID = '100000000000077';
const ACCESS_TOKEN = 'actions-wa-token';
const PASSWORD = 'correct horse battery';
const HOUR = 3_600_000;
const CLAIMERS = 20;

// Response bodies are JSON of many shapes; each test reads the fields it asserts.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
type Row = Record<string, Json>;

interface Person {
  id: string;
  token: string;
}

describe('agent actions and reference data through the REST API', () => {
  let temporal: TestWorkflowEnvironment;
  let database: TestDatabase;
  let graph: FakeGraph;
  let app: RunningApp;
  let supportTeamId: string;
  let salesTeamId: string;
  let opsTeamId: string;
  /** admin; ada and ben in Support; sal in Sales; otto in Ops (starts offline); tess in no team. */
  const people: Record<string, Person> = {};
  const claimers: Person[] = [];

  const db = () => database.db;

  beforeAll(async () => {
    [temporal, database, graph] = await Promise.all([
      startTestTemporal(),
      createTestDatabase(),
      startFakeGraph({ accessTokens: [ACCESS_TOKEN] }),
    ]);
    const knex = database.db;
    // AI off: each conversation goes straight to routing, so the tests start from a queued conversation.
    await knex('workspace_settings').insert({
      key: 'ai',
      value: JSON.stringify({ enabled: false, instructions: '', faq: [] }),
    });
    supportTeamId = await upsertTeam(knex, 'Support');
    salesTeamId = await upsertTeam(knex, 'Sales');
    opsTeamId = await upsertTeam(knex, 'Operations');
    // A customer who mentions a forklift waits in the Operations queue for the next free agent.
    await knex('routing_rules').insert({
      position: 1,
      name: 'forklifts',
      match_kind: 'keyword',
      match_value: 'forklift',
      routing_workflow: 'least-loaded',
      params: JSON.stringify({ teamId: opsTeamId }),
    });
    await upsertChannel(knex, {
      kind: 'whatsapp',
      name: 'Actions store',
      externalId: PHONE_NUMBER_ID,
      accessToken: ACCESS_TOKEN,
      defaultTeamId: supportTeamId,
    });

    const user = (
      key: string,
      role: 'admin' | 'agent',
      team: string | null,
      availability: 'online' | 'offline' = 'online',
    ) =>
      upsertUser(knex, { email: `${key}@actions.test`, name: key, role, password: PASSWORD, availability }).then(
        async (id) => {
          if (team) await addMember(knex, team, id);
          return id;
        },
      );
    const ids = {
      admin: await user('admin', 'admin', null),
      ada: await user('ada', 'agent', supportTeamId),
      ben: await user('ben', 'agent', supportTeamId),
      sal: await user('sal', 'agent', salesTeamId),
      otto: await user('otto', 'agent', opsTeamId, 'offline'),
      tess: await user('tess', 'agent', null),
    };
    const claimerIds = await Promise.all(
      Array.from({ length: CLAIMERS }, (_, i) =>
        user(`claimer${String(i + 1).padStart(2, '0')}`, 'agent', supportTeamId),
      ),
    );

    app = await startApp({
      databaseUrl: database.url,
      temporalAddress: temporal.connection.options.address,
      taskQueue: uniqueTaskQueue('actions'),
      graphBaseUrl: graph.url,
      appSecret: APP_SECRET,
      verifyToken: VERIFY_TOKEN,
      // Long tiers: no tier fires during the run, and the state's deadlines are easy to check.
      extraEnv: { SLA_DEFAULT_TIERS: '1h,2h,3h' },
    });
    for (const [key, id] of Object.entries(ids)) people[key] = { id, token: await tokenFor(`${key}@actions.test`) };
    for (const [i, id] of claimerIds.entries()) {
      claimers.push({ id, token: await tokenFor(`claimer${String(i + 1).padStart(2, '0')}@actions.test`) });
    }
  });

  afterAll(async () => {
    await app?.stop();
    await graph?.close();
    await database?.drop();
    await temporal?.teardown();
  });

  async function tokenFor(email: string): Promise<string> {
    return issueToken(app.baseUrl, email, PASSWORD);
  }

  async function api(
    who: Person,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Json }> {
    const res = await fetch(`${app.baseUrl}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${who.token}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  let customers = 0;
  /** A new customer writes; resolves once routing has placed the conversation (its `assigned` event). */
  async function newConversation(text = 'Hello, where is my parcel?'): Promise<Row> {
    customers += 1;
    const externalId = `wamid.actions-${customers}`;
    const webhook = whatsappTextWebhook({
      phoneNumberId: PHONE_NUMBER_ID,
      from: `4477009${String(customers).padStart(5, '0')}`,
      name: `Customer ${customers}`,
      text,
      id: externalId,
    });
    expect((await postWebhook(app.baseUrl, webhook, APP_SECRET)).status).toBe(200);
    const message = await waitFor(() => db()('messages').where({ external_id: externalId }).first(), {
      what: `message ${externalId}`,
    });
    await waitFor(() => db()('events').where({ conversation_id: message.conversation_id, type: 'assigned' }).first(), {
      what: 'routing to place the conversation',
    });
    return db()('conversations').where({ id: message.conversation_id }).first();
  }

  /** The projection row once `matches` holds (actions reach it through the worker). */
  function rowWhen(conversationId: string, matches: (row: Row) => boolean, what: string): Promise<Row> {
    return waitFor(
      async () => {
        const row = await db()('conversations').where({ id: conversationId }).first();
        return row && matches(row) ? row : undefined;
      },
      { what },
    );
  }

  const auditRows = (conversationId: string, action: string) =>
    db()('audit_log').where({ target_kind: 'conversation', target_id: conversationId, action });

  describe('claim', () => {
    it('gives the conversation to the first agent who claims it and answers a second claim with 409 and a clear message', async () => {
      const conversation = await newConversation();
      const { ada, ben } = people as Record<string, Person>;

      const first = await api(ada!, 'POST', `/conversations/${conversation.id}/claim`);
      expect(first.status).toBe(200);
      expect(first.body.data).toMatchObject({ status: 'assigned', assigneeId: ada!.id, teamId: supportTeamId });

      const second = await api(ben!, 'POST', `/conversations/${conversation.id}/claim`);
      expect(second.status).toBe(409);
      expect(second.body).toEqual({
        error: { code: 'conflict', message: 'Someone else already claimed this conversation' },
      });

      // Claiming again is harmless for the owner.
      expect((await api(ada!, 'POST', `/conversations/${conversation.id}/claim`)).status).toBe(200);
      const row = await rowWhen(conversation.id, (r) => r.assignee_id === ada!.id, 'the owner in the projection');
      expect(row.status).toBe('assigned');
      expect(await auditRows(conversation.id, 'conversation.claim')).toEqual([
        expect.objectContaining({ actor_user_id: ada!.id }),
        expect.objectContaining({ actor_user_id: ada!.id }),
      ]);
    });

    it('answers twenty concurrent claims by twenty agents with exactly one 200 and nineteen 409s', async () => {
      const conversation = await newConversation();

      const results = await Promise.all(
        claimers.map(async (agent) => ({
          agent,
          ...(await api(agent, 'POST', `/conversations/${conversation.id}/claim`)),
        })),
      );

      const won = results.filter((r) => r.status === 200);
      const lost = results.filter((r) => r.status === 409);
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(CLAIMERS - 1);
      lost.forEach((r) => expect(r.body.error).toEqual({ code: 'conflict', message: expect.any(String) }));
      const winner = won[0]!.agent;
      expect(won[0]!.body.data.assigneeId).toBe(winner.id);

      const row = await rowWhen(conversation.id, (r) => r.assignee_id !== null, 'an owner in the projection');
      expect(row.assignee_id).toBe(winner.id);
      const ownerEvents = (await db()('events').where({ conversation_id: conversation.id, type: 'assigned' })).filter(
        (e) => e.data.to?.kind === 'agent',
      );
      expect(ownerEvents.map((e) => e.data.to.userId)).toEqual([winner.id]);
    });

    it('lets a teammate take over a conversation whose owner has gone offline', async () => {
      const conversation = await newConversation();
      const owner = claimers[0]!;
      const teammate = claimers[1]!;
      expect((await api(owner, 'POST', `/conversations/${conversation.id}/claim`)).status).toBe(200);
      expect((await api(teammate, 'POST', `/conversations/${conversation.id}/claim`)).status).toBe(409);

      expect((await api(owner, 'PUT', '/me/availability', { availability: 'offline' })).status).toBe(200);
      const takeover = await api(teammate, 'POST', `/conversations/${conversation.id}/claim`);
      expect(takeover.status).toBe(200);
      expect(takeover.body.data.assigneeId).toBe(teammate.id);
      await rowWhen(conversation.id, (r) => r.assignee_id === teammate.id, 'the teammate as owner');
      expect((await api(owner, 'PUT', '/me/availability', { availability: 'online' })).status).toBe(200);
    });
  });

  describe('assign', () => {
    it('lets an admin assign a conversation to an agent', async () => {
      const conversation = await newConversation();
      const res = await api(people.admin!, 'POST', `/conversations/${conversation.id}/assign`, {
        userId: people.ben!.id,
      });
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ assigneeId: people.ben!.id, status: 'assigned' });
      await rowWhen(conversation.id, (r) => r.assignee_id === people.ben!.id, 'ben as owner');
      const told = await waitFor(
        () =>
          db()('notifications')
            .where({ conversation_id: conversation.id, user_id: people.ben!.id, kind: 'assigned' })
            .first(),
        { what: 'the assignment notification' },
      );
      expect(told.title).toBe('A conversation was assigned to you');
      expect(await auditRows(conversation.id, 'conversation.assign')).toEqual([
        expect.objectContaining({ actor_user_id: people.admin!.id, data: { userId: people.ben!.id, teamId: null } }),
      ]);

      // An unknown user or team, or an agent outside the team, is a 400 and changes nothing.
      for (const body of [
        { userId: randomUUID() },
        { teamId: randomUUID() },
        { userId: people.sal!.id, teamId: supportTeamId },
      ]) {
        const refused = await api(people.admin!, 'POST', `/conversations/${conversation.id}/assign`, body);
        expect(refused.status).toBe(400);
        expect(refused.body.error.code).toBe('bad_request');
      }
      expect((await api(people.admin!, 'POST', `/conversations/${conversation.id}/assign`, {})).status).toBe(400);
    });

    it('refuses an agent assigning a conversation to someone else with 403, but lets them assign themselves', async () => {
      const conversation = await newConversation();
      const toOther = await api(people.ada!, 'POST', `/conversations/${conversation.id}/assign`, {
        userId: people.ben!.id,
      });
      expect(toOther.status).toBe(403);
      expect(toOther.body.error.code).toBe('forbidden');
      const toTeam = await api(people.ada!, 'POST', `/conversations/${conversation.id}/assign`, {
        teamId: salesTeamId,
      });
      expect(toTeam.status).toBe(403);

      const self = await api(people.ada!, 'POST', `/conversations/${conversation.id}/assign`, {
        userId: people.ada!.id,
      });
      expect(self.status).toBe(200);
      expect(self.body.data.assigneeId).toBe(people.ada!.id);
      await rowWhen(conversation.id, (r) => r.assignee_id === people.ada!.id, 'ada as owner');
    });
  });

  describe('handover', () => {
    it('hands a conversation over to a team with a reason: timeline event, private note and the team notified', async () => {
      const conversation = await newConversation('I would like a quote for 40 units');
      const { ada, sal } = people as Record<string, Person>;
      expect((await api(ada!, 'POST', `/conversations/${conversation.id}/claim`)).status).toBe(200);

      const res = await api(ada!, 'POST', `/conversations/${conversation.id}/handover`, {
        to: { kind: 'team', teamId: salesTeamId },
        reason: 'Bulk pricing question',
        note: 'They already have our catalogue; quote in EUR.',
      });
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ data: { accepted: true } });

      const event = await waitFor(
        () => db()('events').where({ conversation_id: conversation.id, type: 'handover_requested' }).first(),
        { what: 'the handover event' },
      );
      expect(event.data).toMatchObject({ reason: 'Bulk pricing question', to: { kind: 'team', teamId: salesTeamId } });
      expect(event.actor_user_id).toBe(ada!.id);
      const notes = await db()('notes').where({ conversation_id: conversation.id });
      expect(notes).toEqual([
        expect.objectContaining({ author_user_id: ada!.id, body: 'They already have our catalogue; quote in EUR.' }),
      ]);
      const notified = await db()('notifications').where({
        conversation_id: conversation.id,
        title: 'A conversation was handed over',
      });
      expect(notified.map((n) => n.user_id)).toEqual([sal!.id]);
      expect(notified[0].body).toBe('Bulk pricing question');
      const row = await rowWhen(conversation.id, (r) => r.team_id === salesTeamId, 'the conversation in Sales');
      expect(row).toMatchObject({ status: 'queued', assignee_id: null });
      expect(await auditRows(conversation.id, 'conversation.handover')).toHaveLength(1);

      // Now in the Sales queue: Sal sees it and Ada (Support) no longer does.
      expect((await api(sal!, 'GET', `/conversations/${conversation.id}`)).status).toBe(200);
      expect((await api(ada!, 'GET', `/conversations/${conversation.id}`)).status).toBe(404);
    });

    it('refuses a handover without a reason, or to a target that does not exist, with 400', async () => {
      const conversation = await newConversation();
      const handover = (body: unknown) => api(people.ada!, 'POST', `/conversations/${conversation.id}/handover`, body);
      const to = { kind: 'team', teamId: salesTeamId };

      const missing = await handover({ to });
      expect(missing.status).toBe(400);
      expect(missing.body.error).toEqual({ code: 'bad_request', message: 'reason: a handover needs a reason' });
      expect((await handover({ to, reason: '   ' })).status).toBe(400);
      expect((await handover({ to, reason: 'x'.repeat(501) })).status).toBe(400);
      expect((await handover({ to: { kind: 'team', teamId: randomUUID() }, reason: 'why not' })).status).toBe(400);
      expect((await handover({ to: { kind: 'agent', userId: randomUUID() }, reason: 'why not' })).status).toBe(400);
      const teamless = await handover({ to: { kind: 'agent', userId: people.tess!.id }, reason: 'why not' });
      expect(teamless.status).toBe(400);
      expect(teamless.body.error.message).toBe('that agent is not a member of any team');
      expect((await handover({ to: { kind: 'nowhere' }, reason: 'why not' })).status).toBe(400);

      expect(await db()('events').where({ conversation_id: conversation.id, type: 'handover_requested' })).toEqual([]);
    });

    it('hands over to an agent of another team, who is notified and becomes the owner', async () => {
      const conversation = await newConversation();
      const res = await api(people.ben!, 'POST', `/conversations/${conversation.id}/handover`, {
        to: { kind: 'agent', userId: people.sal!.id },
        reason: 'Sal knows this customer',
      });
      expect(res.status).toBe(202);
      await rowWhen(conversation.id, (r) => r.assignee_id === people.sal!.id, 'sal as owner');
      const told = await waitFor(
        () => db()('notifications').where({ conversation_id: conversation.id, user_id: people.sal!.id }).first(),
        { what: 'sal to be told' },
      );
      expect(told).toMatchObject({ kind: 'handover', body: 'Sal knows this customer' });
    });
  });

  describe('notes', () => {
    it('keeps private notes in the conversation and never sends them to WhatsApp', async () => {
      const conversation = await newConversation();
      const text = `Customer is a reseller, check account ${randomUUID()}`;
      const created = await api(people.ada!, 'POST', `/conversations/${conversation.id}/notes`, { text });
      expect(created.status).toBe(201);
      expect(created.body.data.noteId).toEqual(expect.any(String));
      await api(people.ben!, 'POST', `/conversations/${conversation.id}/notes`, { text: 'Second note' });

      const listed = await api(people.ben!, 'GET', `/conversations/${conversation.id}/notes`);
      expect(listed.status).toBe(200);
      expect(listed.body.data.map((n: Row) => [n.id === created.body.data.noteId, n.body, n.authorName])).toEqual([
        [true, text, 'ada'],
        [false, 'Second note', 'ben'],
      ]);
      const firstPage = await api(people.ben!, 'GET', `/conversations/${conversation.id}/notes?limit=1`);
      expect(firstPage.body.data.map((n: Row) => n.body)).toEqual([text]);
      const secondPage = await api(
        people.ben!,
        'GET',
        `/conversations/${conversation.id}/notes?limit=1&cursor=${firstPage.body.nextCursor}`,
      );
      expect(secondPage.body).toEqual({ data: [expect.objectContaining({ body: 'Second note' })], nextCursor: null });

      expect((await api(people.ada!, 'POST', `/conversations/${conversation.id}/notes`, { text: '  ' })).status).toBe(
        400,
      );
      expect(graph.requests.filter((r) => r.rawBody.includes('reseller'))).toEqual([]);
      const messages = await db()('messages').where({ conversation_id: conversation.id });
      expect(messages.map((m) => m.direction)).toEqual(['inbound']);
    });
  });

  describe('tags, snooze, resolve and reopen', () => {
    it('adds and removes tags', async () => {
      const conversation = await newConversation();
      const path = `/conversations/${conversation.id}/tags`;
      const added = await api(people.ada!, 'POST', path, { add: ['vip', 'refund'] });
      expect(added).toEqual({ status: 202, body: { data: { accepted: true } } });
      await rowWhen(conversation.id, (r) => r.tags.length === 2, 'two tags');

      expect((await api(people.ada!, 'POST', path, { add: ['late'], remove: ['refund'] })).status).toBe(202);
      const row = await rowWhen(
        conversation.id,
        (r) => r.tags.includes('late') && !r.tags.includes('refund'),
        'late added and refund removed',
      );
      expect(row.tags).toEqual(['vip', 'late']);

      expect((await api(people.ada!, 'POST', path, {})).status).toBe(400);
      expect((await api(people.ada!, 'POST', path, { add: ['x'.repeat(41)] })).status).toBe(400);
      expect((await api(people.ada!, 'POST', path, { add: ['a'], remove: ['a'] })).status).toBe(400);
    });

    it('snoozes a conversation until a future time and refuses times in the past or beyond 90 days', async () => {
      const conversation = await newConversation();
      const path = `/conversations/${conversation.id}/snooze`;
      const until = new Date(Date.now() + 2 * HOUR).toISOString();
      expect((await api(people.ada!, 'POST', path, { until })).status).toBe(202);
      const row = await rowWhen(conversation.id, (r) => r.status === 'snoozed', 'the snooze');
      expect(row.snoozed_until.toISOString()).toBe(until);

      expect((await api(people.ada!, 'POST', path, { until: new Date(Date.now() - HOUR).toISOString() })).status).toBe(
        400,
      );
      const tooFar = new Date(Date.now() + 91 * 24 * HOUR).toISOString();
      expect((await api(people.ada!, 'POST', path, { until: tooFar })).status).toBe(400);
      expect((await api(people.ada!, 'POST', path, { until: 'tomorrow' })).status).toBe(400);
    });

    it('resolves and reopens a conversation, refusing a claim or snooze while it is resolved', async () => {
      const conversation = await newConversation();
      expect((await api(people.ada!, 'POST', `/conversations/${conversation.id}/claim`)).status).toBe(200);

      const resolved = await api(people.ada!, 'POST', `/conversations/${conversation.id}/resolve`);
      expect(resolved).toEqual({ status: 202, body: { data: { accepted: true } } });
      await rowWhen(conversation.id, (r) => r.status === 'resolved', 'the conversation resolved');

      const claim = await api(people.ben!, 'POST', `/conversations/${conversation.id}/claim`);
      expect(claim.status).toBe(409);
      expect(claim.body.error).toEqual({ code: 'conflict', message: 'This conversation is resolved; reopen it first' });
      const snooze = await api(people.ada!, 'POST', `/conversations/${conversation.id}/snooze`, {
        until: new Date(Date.now() + HOUR).toISOString(),
      });
      expect(snooze.status).toBe(409);

      expect((await api(people.ben!, 'POST', `/conversations/${conversation.id}/reopen`)).status).toBe(202);
      const row = await rowWhen(conversation.id, (r) => r.status !== 'resolved', 'the conversation reopened');
      expect(row).toMatchObject({ status: 'assigned', assignee_id: people.ada!.id });
      const timeline = await api(people.ada!, 'GET', `/conversations/${conversation.id}/events`);
      expect(timeline.body.data.map((e: Row) => e.type)).toEqual(expect.arrayContaining(['resolved', 'reopened']));
      expect((await auditRows(conversation.id, 'conversation.resolve'))[0].actor_user_id).toBe(people.ada!.id);
      expect((await auditRows(conversation.id, 'conversation.reopen'))[0].actor_user_id).toBe(people.ben!.id);
    });
  });

  describe('the live state', () => {
    it('answers the workflow state with the SLA deadline of the next tier', async () => {
      const conversation = await newConversation();
      // The deadline is known once the workflow has loaded the team's policy for this waiting period.
      const state = await waitFor(
        async () => {
          const res = await api(people.ada!, 'GET', `/conversations/${conversation.id}/state`);
          expect(res.status).toBe(200);
          return res.body.data.sla ? res.body.data : undefined;
        },
        { what: 'the SLA deadline in the state' },
      );
      expect(state).toMatchObject({
        source: 'workflow',
        status: 'queued',
        teamId: supportTeamId,
        assigneeId: null,
        escalationLevel: 0,
        sla: { nextTier: 'sla-standard', dueAt: expect.any(String) },
      });
      // SLA_DEFAULT_TIERS=1h,2h,3h: the standard tier is due an hour into the waiting period.
      expect(Date.parse(state.sla.dueAt) - Date.parse(state.slaSince)).toBe(HOUR);
      const row = await rowWhen(conversation.id, (r) => r.sla_next_at !== null, 'the SLA deadline projected');
      expect(row.sla_next_at.toISOString()).toBe(state.sla.dueAt);
    });
  });

  describe('visibility', () => {
    it('answers an agent of another team with 404 for the conversation and every action on it', async () => {
      const conversation = await newConversation();
      const base = `/conversations/${conversation.id}`;
      const sal = people.sal!;
      const requests: Array<[string, string, unknown?]> = [
        ['GET', base],
        ['GET', `${base}/messages`],
        ['GET', `${base}/events`],
        ['GET', `${base}/notes`],
        ['GET', `${base}/state`],
        ['POST', `${base}/messages`, { text: 'not mine' }],
        ['POST', `${base}/notes`, { text: 'not mine' }],
        ['POST', `${base}/claim`],
        ['POST', `${base}/assign`, { userId: sal.id }],
        ['POST', `${base}/handover`, { to: { kind: 'manager' }, reason: 'not mine' }],
        ['POST', `${base}/tags`, { add: ['not-mine'] }],
        ['POST', `${base}/snooze`, { until: new Date(Date.now() + HOUR).toISOString() }],
        ['POST', `${base}/resolve`],
        ['POST', `${base}/reopen`],
      ];
      for (const [method, path, body] of requests) {
        const res = await api(sal, method, path, body);
        expect({ method, path, status: res.status, body: res.body }).toEqual({
          method,
          path,
          status: 404,
          body: { error: { code: 'not_found', message: 'conversation not found' } },
        });
      }
      // An unknown id answers exactly the same.
      expect((await api(people.admin!, 'POST', `/conversations/${randomUUID()}/claim`)).body).toEqual({
        error: { code: 'not_found', message: 'conversation not found' },
      });

      const row = await db()('conversations').where({ id: conversation.id }).first();
      expect(row).toMatchObject({ assignee_id: null, status: 'queued', tags: [], team_id: supportTeamId });
      expect(await db()('audit_log').where({ target_id: conversation.id })).toEqual([]);
      expect(graph.requests.filter((r) => r.rawBody.includes('not mine'))).toEqual([]);
    });

    it('answers 400 for an id that is not a UUID', async () => {
      for (const [method, path] of [
        ['GET', '/conversations/not-a-uuid'],
        ['POST', '/conversations/123/claim'],
        ['GET', `/conversations/${'f'.repeat(36)}/state`],
        ['POST', '/notifications/nope/read'],
        ['PUT', '/sla-policies/nope'],
      ] as const) {
        const res = await api(people.admin!, method, path, method === 'PUT' ? { tiers: [1, 2, 3] } : undefined);
        expect([path, res.status, res.body.error.code]).toEqual([path, 400, 'bad_request']);
      }
    });
  });

  describe('reference data', () => {
    it('lists every team with its members for an admin and only their own teams for an agent', async () => {
      const all = await api(people.admin!, 'GET', '/teams');
      expect(all.status).toBe(200);
      expect(all.body.data.map((t: Row) => t.name)).toEqual(['Operations', 'Sales', 'Support']);
      const sales = all.body.data.find((t: Row) => t.id === salesTeamId);
      expect(sales.members).toEqual([
        { id: people.sal!.id, name: 'sal', role: 'agent', availability: 'online', isLead: false },
      ]);
      const own = await api(people.sal!, 'GET', '/teams');
      expect(own.body).toEqual({ data: [expect.objectContaining({ id: salesTeamId })], nextCursor: null });
    });

    it('lists users with their role, availability, capacity and open load', async () => {
      const conversation = await newConversation();
      const before = await api(people.tess!, 'GET', '/users');
      const tessBefore = before.body.data.find((u: Row) => u.id === people.tess!.id);
      expect(tessBefore).toEqual({
        id: people.tess!.id,
        name: 'tess',
        role: 'agent',
        availability: 'online',
        capacity: 10,
        openLoad: 0,
        teamIds: [],
      });
      expect(
        (await api(people.admin!, 'POST', `/conversations/${conversation.id}/assign`, { userId: people.admin!.id }))
          .status,
      ).toBe(200);
      const after = await api(people.ada!, 'GET', '/users');
      const admin = after.body.data.find((u: Row) => u.id === people.admin!.id);
      expect(admin).toMatchObject({ role: 'admin', openLoad: 1 });
      expect(after.body.data.find((u: Row) => u.id === people.ada!.id).teamIds).toEqual([supportTeamId]);
    });

    it('lists the signed-in user’s notifications newest first, pages them, and marks one read', async () => {
      const ben = people.ben!;
      const conversation = await newConversation();
      await api(people.admin!, 'POST', `/conversations/${conversation.id}/assign`, { userId: ben.id });
      await waitFor(
        () =>
          db()('notifications').where({ conversation_id: conversation.id, user_id: ben.id, kind: 'assigned' }).first(),
        { what: 'ben to be notified' },
      );
      const stored = await db()('notifications')
        .where({ user_id: ben.id })
        .orderBy([
          { column: 'created_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ]);
      expect(stored.length).toBeGreaterThanOrEqual(2);

      const all = await api(ben, 'GET', '/notifications');
      expect(all.status).toBe(200);
      expect(all.body.data.map((n: Row) => n.id)).toEqual(stored.map((n) => n.id));
      expect(all.body.data[0]).toMatchObject({ conversationId: conversation.id, kind: 'assigned', readAt: null });

      // Keyset pages of one walk the same list.
      const paged: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: Json } = await api(
          ben,
          'GET',
          `/notifications?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
        );
        paged.push(...page.body.data.map((n: Row) => n.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(paged).toEqual(stored.map((n) => n.id));

      const newest = all.body.data[0].id;
      const read = await api(ben, 'POST', `/notifications/${newest}/read`);
      expect(read.status).toBe(200);
      expect(read.body.data.readAt).toEqual(expect.any(String));
      const unread = await api(ben, 'GET', '/notifications?unread=true');
      expect(unread.body.data.map((n: Row) => n.id)).not.toContain(newest);
      // Someone else's notification is not found.
      expect((await api(people.ada!, 'POST', `/notifications/${newest}/read`)).status).toBe(404);
      expect((await api(ben, 'GET', '/notifications?cursor=forged')).status).toBe(400);
    });
  });

  describe('SLA policies', () => {
    it('lets an admin set a team’s tiers and read them back; agents may neither', async () => {
      const put = await api(people.admin!, 'PUT', `/sla-policies/${salesTeamId}`, {
        tiers: [120, 600, 1800],
        requeueAtPriority: true,
      });
      expect(put.status).toBe(200);
      expect(put.body.data).toEqual({
        teamId: salesTeamId,
        teamName: 'Sales',
        tiers: [120, 600, 1800],
        requeueAtPriority: true,
        isDefault: false,
      });
      const listed = await api(people.admin!, 'GET', '/sla-policies');
      expect(listed.status).toBe(200);
      expect(listed.body.data.find((p: Row) => p.teamId === salesTeamId)).toEqual(put.body.data);
      expect(listed.body.data.find((p: Row) => p.teamId === supportTeamId)).toMatchObject({ isDefault: true });
      const stored = await db()('sla_policies').where({ team_id: salesTeamId }).first();
      expect(stored).toMatchObject({ standard_seconds: 120, priority_seconds: 600, manager_seconds: 1800 });
      expect(await db()('audit_log').where({ action: 'sla_policy.update', target_id: salesTeamId })).toHaveLength(1);

      const bad = (tiers: unknown) => api(people.admin!, 'PUT', `/sla-policies/${salesTeamId}`, { tiers });
      for (const tiers of [[600, 300, 900], [0, 1, 2], [1.5, 2, 3], [1, 2], 'fast']) {
        expect([tiers, (await bad(tiers)).status]).toEqual([tiers, 400]);
      }
      expect((await api(people.admin!, 'PUT', `/sla-policies/${randomUUID()}`, { tiers: [1, 2, 3] })).status).toBe(404);
      expect((await api(people.sal!, 'PUT', `/sla-policies/${salesTeamId}`, { tiers: [1, 2, 3] })).status).toBe(403);
      expect((await api(people.sal!, 'GET', '/sla-policies')).status).toBe(403);
    });
  });

  describe('availability', () => {
    it('toggles the signed-in user’s availability', async () => {
      const ben = people.ben!;
      expect(await api(ben, 'GET', '/me/availability')).toEqual({
        status: 200,
        body: { data: { availability: 'online' } },
      });
      expect((await api(ben, 'PUT', '/me/availability', { availability: 'away' })).body).toEqual({
        data: { availability: 'away' },
      });
      expect((await api(ben, 'GET', '/me/availability')).body.data.availability).toBe('away');
      expect((await db()('users').where({ id: ben.id }).first()).availability).toBe('away');
      expect((await api(ben, 'PUT', '/me/availability', { availability: 'busy' })).status).toBe(400);
      expect((await api(ben, 'PUT', '/me/availability', { availability: 'online' })).status).toBe(200);
      expect(
        (await db()('audit_log').where({ action: 'user.availability', target_id: ben.id }).orderBy('id')).map(
          (a) => a.data,
        ),
      ).toEqual([
        { from: 'online', to: 'away' },
        { from: 'away', to: 'online' },
      ]);
    });

    it('hands the oldest waiting conversation to an agent the moment they come online', async () => {
      const otto = people.otto!;
      const conversation = await newConversation('The forklift battery is flat');
      expect(conversation.team_id).toBe(opsTeamId);
      expect((await api(otto, 'GET', '/me/availability')).body.data.availability).toBe('offline');
      // Nobody in Operations is online: it waits in the team queue.
      expect((await db()('conversations').where({ id: conversation.id }).first()).assignee_id).toBeNull();

      expect((await api(otto, 'PUT', '/me/availability', { availability: 'online' })).status).toBe(200);
      const row = await rowWhen(conversation.id, (r) => r.assignee_id === otto.id, 'the queue to assign otto');
      expect(row.status).toBe('assigned');
    });
  });
});
