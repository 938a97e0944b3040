/**
 * The sidebar's queue counts (DESIGN §5, issue #6 figure 7): one statement gives the totals and
 * the teams the actor sees. A team with nothing open still shows with zeros; a conversation of no
 * team, or of another team but assigned to the agent, counts in the totals without showing that
 * team; resolved and not-yet-started conversations count nowhere; owners see every team.
 */
import { randomUUID } from 'node:crypto';
import { createDashboardService } from '../../api/services/dashboard.service';
import type { Actor } from '../../api/services/auth.service';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { keptPlan } from '../support/plans';
import { addMember, upsertChannel, upsertTeam, upsertUser } from '../support/factories';

describe('the sidebar’s queue counts', () => {
  let database: TestDatabase;
  let dashboard: ReturnType<typeof createDashboardService>;
  let agent: Actor;
  let owner: Actor;
  let teams: Record<'billing' | 'delivery' | 'returns', string>;

  beforeAll(async () => {
    database = await createTestDatabase();
    const db = database.db;
    // Created out of alphabetical order: the sidebar lists teams by name.
    teams = {
      returns: await upsertTeam(db, 'Returns'),
      billing: await upsertTeam(db, 'Billing'),
      delivery: await upsertTeam(db, 'Delivery'),
    };
    const channelId = await upsertChannel(db, {
      kind: 'whatsapp',
      name: 'Counts number',
      externalId: '100000000000655',
      accessToken: 'counts-token',
      defaultTeamId: teams.billing,
    });
    const user = async (email: string, name: string, role: 'agent' | 'owner'): Promise<Actor> => ({
      id: await upsertUser(db, { email, name, role, password: 'correct horse battery' }),
      email,
      name,
      role,
    });
    agent = await user('ann@counts.test', 'Ann Agent', 'agent');
    owner = await user('olive@counts.test', 'Olive Owner', 'owner');
    const other = await user('bob@counts.test', 'Bob Agent', 'agent');
    await addMember(db, teams.billing, agent.id);
    await addMember(db, teams.returns, agent.id);

    let n = 0;
    const open = async (c: {
      team: string | null;
      assignee?: string;
      status?: string;
      level?: number;
      started?: boolean;
    }) => {
      n += 1;
      const [contact] = await db('contacts')
        .insert({ channel_id: channelId, external_key: `4478001${String(n).padStart(5, '0')}` })
        .returning('id');
      await db('conversations').insert({
        id: randomUUID(),
        workflow_id: `conv:counts:${n}`,
        channel_id: channelId,
        contact_id: contact.id,
        status: c.status ?? (c.assignee ? 'assigned' : 'queued'),
        escalation_level: c.level ?? 0,
        team_id: c.team,
        assignee_id: c.assignee ?? null,
        last_message_at: c.started === false ? null : new Date(),
        version: 1,
      });
    };
    // Billing: 2 unassigned (one escalated), 1 the agent's, 1 a teammate's, 1 resolved.
    await open({ team: teams.billing });
    await open({ team: teams.billing, level: 2 });
    await open({ team: teams.billing, assignee: agent.id });
    await open({ team: teams.billing, assignee: other.id, level: 3 });
    await open({ team: teams.billing, status: 'resolved' });
    // Returns: nothing open, and one whose first message has not been recorded yet.
    await open({ team: teams.returns, status: 'resolved' });
    await open({ team: teams.returns, started: false });
    // Delivery, not the agent's team: one assigned to the agent, one not.
    await open({ team: teams.delivery, assignee: agent.id, level: 2 });
    await open({ team: teams.delivery });
    // No team: one the agent owns, one nobody does.
    await open({ team: null, assignee: agent.id });
    await open({ team: null });
  });

  afterAll(() => database.drop());

  beforeEach(() => {
    dashboard = createDashboardService({ db: database.db });
  });

  it('gives an agent their teams, with every conversation they can see in the totals', async () => {
    expect(await dashboard.queueCounts(agent)).toEqual({
      mine: 3,
      unassigned: 2,
      escalated: 3,
      all: 6,
      teams: [
        { id: teams.billing, name: 'Billing', open: 4, unassigned: 2 },
        { id: teams.returns, name: 'Returns', open: 0, unassigned: 0 },
      ],
    });
  });

  it('gives an owner every team, and every open conversation', async () => {
    expect(await dashboard.queueCounts(owner)).toEqual({
      mine: 0,
      unassigned: 4,
      escalated: 3,
      all: 8,
      teams: [
        { id: teams.billing, name: 'Billing', open: 4, unassigned: 2 },
        { id: teams.delivery, name: 'Delivery', open: 2, unassigned: 1 },
        { id: teams.returns, name: 'Returns', open: 0, unassigned: 0 },
      ],
    });
  });

  it('sends one statement, named for its text so each connection prepares it once', async () => {
    const sent: Array<{ sql: string; name?: string }> = [];
    const listen = (q: { sql: string; options?: { name?: string } }) =>
      sent.push({ sql: q.sql, name: q.options?.name });
    database.db.on('query', listen);
    try {
      await dashboard.queueCounts(agent);
      await dashboard.queueCounts(agent);
      await dashboard.queueCounts(owner);
    } finally {
      database.db.removeListener('query', listen);
    }
    expect(sent).toHaveLength(3);
    const [first, again, owners] = sent.map((s) => s.name);
    expect(first).toMatch(/^queue_counts_[0-9a-f]{16}$/);
    expect(again).toBe(first);
    // An owner's statement has no team filter: another text, so another name.
    expect(owners).toMatch(/^queue_counts_/);
    expect(owners).not.toBe(first);
  });

  it('keeps one plan for the counts, and it reads an index of open conversations', async () => {
    const { genericRuns, plan } = await keptPlan(database.url, (db) =>
      createDashboardService({ db }).queueCounts(agent),
    );
    expect(genericRuns).toBeGreaterThan(0);
    expect(plan).toMatch(/conversations_open_\w+_idx/);
  });
});
