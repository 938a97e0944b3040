/**
 * Read models for the inbox sidebar and the manager dashboard (DESIGN §5): live queue counts for
 * the signed-in user, and for owners and admins queue health per team, owner load against
 * capacity, the escalation lane, the threads waiting longest and today's response figures.
 *
 * Counts only ever look at open conversations (`status <> 'resolved'`), the set that stays small
 * while resolved history grows: one pass with `count(*) filter (where …)`, grouped by team, never
 * one query per count. Today's figures are bounded by `created_at >= start of day`.
 */
import type { Knex } from 'knex';
import { isManager, requireManager, openLoadOf } from './access';
import type { Actor } from './auth.service';
import { prepared, whereOpen } from './prepared';

export interface QueueCounts {
  mine: number;
  unassigned: number;
  escalated: number;
  /** Every open conversation the actor can see. */
  all: number;
  /** The actor's teams (every team for owners and admins) with their open conversations. */
  teams: Array<{ id: string; name: string; open: number; unassigned: number }>;
}

export interface LaneItem {
  id: string;
  workflowId: string;
  contactName: string;
  channelKind: string;
  status: string;
  priority: string;
  escalationLevel: number;
  team: { id: string; name: string } | null;
  assignee: { id: string; name: string } | null;
  waitingSince: string | null;
  sla: { nextTier: string; dueAt: string } | null;
  preview: string | null;
}

export interface DashboardView {
  generatedAt: string;
  teams: Array<{
    id: string | null;
    name: string;
    open: number;
    unassigned: number;
    /** Open conversations past at least the standard SLA tier. */
    breaching: number;
    oldestWaitingSince: string | null;
  }>;
  owners: Array<{
    id: string;
    name: string;
    role: string;
    availability: string;
    capacity: number;
    openLoad: number;
    teams: string[];
  }>;
  /** Escalation level 2 and up, most urgent first. */
  escalations: LaneItem[];
  /** Open threads whose customer has waited longest for a human reply. */
  stale: LaneItem[];
  today: {
    conversationsStarted: number;
    answered: number;
    /** Median and mean seconds from the first customer message to the first agent reply. */
    medianFirstResponseSeconds: number | null;
    meanFirstResponseSeconds: number | null;
    slaBreaches: number;
    escalations: number;
    resolved: number;
  };
}

const LANE_LIMIT = 50;
const STALE_LIMIT = 10;

export function createDashboardService({ db, clock = Date.now }: { db: Knex; clock?: () => number }) {
  const laneRows = () =>
    db('conversations as cv')
      .join('contacts as ct', 'ct.id', 'cv.contact_id')
      .join('channels as ch', 'ch.id', 'cv.channel_id')
      .leftJoin('teams as tm', 'tm.id', 'cv.team_id')
      .leftJoin('users as au', 'au.id', 'cv.assignee_id')
      .whereNot('cv.status', 'resolved')
      .whereNotNull('cv.last_message_at')
      .select(
        'cv.id',
        'cv.workflow_id',
        'cv.status',
        'cv.priority',
        'cv.escalation_level',
        'cv.team_id',
        'cv.assignee_id',
        'cv.waiting_since',
        'cv.sla_next_tier',
        'cv.sla_next_at',
        'cv.last_message_preview',
        'ct.display_name',
        'ct.external_key',
        'ch.kind as channel_kind',
        'tm.name as team_name',
        'au.name as assignee_name',
      );

  /**
   * The open conversations an actor may see, with the columns the counts need. For an agent, as
   * two index ranges: their teams' conversations (the team queue's index, read for those teams
   * only), and their own outside those teams. The same rows as visibleTo, whose "mine or one of my
   * teams" is an OR with a subquery that no index condition takes: the counts read every open
   * conversation from the team index and filtered out the others (two thirds of 20,000 at
   * 100,000 conversations; p95 10.0 ms against the issue's 10, issue #6 figure 7).
   */
  const visibleOpenConversations = (actor: Actor) => {
    const open = () =>
      db('conversations as cv')
        .modify(whereOpen('cv'))
        .whereNotNull('cv.last_message_at')
        .select('cv.team_id', 'cv.assignee_id', 'cv.escalation_level');
    if (isManager(actor)) return open();
    const myTeams = () => db('team_members').select('team_id').where('user_id', actor.id);
    return open()
      .whereIn('cv.team_id', myTeams())
      .unionAll(
        open()
          .where('cv.assignee_id', actor.id)
          // Outside my teams (the first range has those); `not in` is null for no team, hence `is null`.
          .where((w) => w.whereNull('cv.team_id').orWhereNotIn('cv.team_id', myTeams())),
        true,
      );
  };

  return {
    /**
     * The sidebar's numbers: open conversations per queue the actor can see. One statement, the
     * teams the actor sees beside their counts (every page refresh asks): per-team counts, fully
     * joined to the teams so a team without open conversations still shows, and conversations of
     * no team (or of a team the actor is not in, where one is theirs) still count in the totals.
     */
    async queueCounts(actor: Actor): Promise<QueueCounts> {
      const perTeam = db
        .from(visibleOpenConversations(actor).as('cv'))
        .groupBy('cv.team_id')
        .select(
          'cv.team_id',
          db.raw('count(*) filter (where cv.assignee_id = ?) as mine', [actor.id]),
          db.raw('count(*) filter (where cv.assignee_id is null) as unassigned'),
          db.raw('count(*) filter (where cv.escalation_level >= 2) as escalated'),
          db.raw('count(*) as open'),
        );
      const teams = db('teams').select('id', 'name');
      if (!isManager(actor)) teams.whereIn('id', db('team_members').select('team_id').where('user_id', actor.id));
      const rows: Array<Record<string, unknown>> = await prepared(
        db
          .with('per_team', perTeam)
          .with('shown', teams)
          .from('per_team as c')
          .fullOuterJoin('shown as t', 't.id', 'c.team_id')
          .orderBy([{ column: 't.name' }, { column: 't.id' }])
          .select('t.id', 't.name', 'c.mine', 'c.unassigned', 'c.escalated', 'c.open'),
        'queue_counts',
      );
      const sum = (key: string) => rows.reduce((n, r) => n + Number(r[key] ?? 0), 0);
      return {
        mine: sum('mine'),
        unassigned: sum('unassigned'),
        escalated: sum('escalated'),
        all: sum('open'),
        teams: rows
          .filter((r) => r.id !== null)
          .map((r) => ({
            id: r.id as string,
            name: r.name as string,
            open: Number(r.open ?? 0),
            unassigned: Number(r.unassigned ?? 0),
          })),
      };
    },

    /** The manager dashboard (owners and admins). */
    async dashboard(actor: Actor): Promise<DashboardView> {
      requireManager(actor, 'see the dashboard');
      const now = new Date(clock());
      const [health, teams, owners, escalations, stale, started, events] = await Promise.all([
        db('conversations as cv')
          .whereNot('cv.status', 'resolved')
          .whereNotNull('cv.last_message_at')
          .groupBy('cv.team_id')
          .select(
            'cv.team_id',
            db.raw('count(*) as open'),
            db.raw('count(*) filter (where cv.assignee_id is null) as unassigned'),
            db.raw('count(*) filter (where cv.escalation_level >= 1 or cv.sla_next_at < ?) as breaching', [now]),
            db.raw('min(cv.waiting_since) as oldest_waiting'),
          ),
        db('teams')
          .orderBy([{ column: 'name' }, { column: 'id' }])
          .select('id', 'name'),
        db('users as u')
          .whereNull('u.disabled_at')
          .orderBy([{ column: 'u.name' }, { column: 'u.id' }])
          .select(
            'u.id',
            'u.name',
            'u.role',
            'u.availability',
            'u.capacity',
            openLoadOf(db),
            db.raw(
              `coalesce((select array_agg(t.name order by t.name) from team_members m join teams t on t.id = m.team_id
                where m.user_id = u.id), '{}'::text[]) as team_names`,
            ),
          ),
        laneRows()
          .where('cv.escalation_level', '>=', 2)
          .orderBy([
            { column: 'cv.escalation_level', order: 'desc' },
            { column: 'cv.waiting_since', order: 'asc', nulls: 'last' },
          ])
          .limit(LANE_LIMIT),
        laneRows()
          .whereNotNull('cv.waiting_since')
          .whereNotIn('cv.status', ['snoozed', 'pending'])
          .orderBy([{ column: 'cv.waiting_since', order: 'asc' }])
          .limit(STALE_LIMIT),
        // Conversations started today, with their first customer message and first agent reply.
        db
          .from(
            db('conversations as cv')
              .where('cv.created_at', '>=', db.raw("date_trunc('day', ?::timestamptz)", [now]))
              .select(
                'cv.id',
                db.raw(
                  `(select min(m.sent_at) from messages m where m.conversation_id = cv.id and m.direction = 'inbound') as first_in`,
                ),
                db.raw(
                  `(select min(m.sent_at) from messages m where m.conversation_id = cv.id and m.author_kind = 'agent') as first_reply`,
                ),
              )
              .as('f'),
          )
          .first(
            db.raw('count(*) as started'),
            db.raw('count(*) filter (where f.first_reply is not null and f.first_in is not null) as answered'),
            db.raw(
              `percentile_cont(0.5) within group (order by extract(epoch from (f.first_reply - f.first_in)))
                filter (where f.first_reply >= f.first_in) as median_seconds`,
            ),
            db.raw(
              'avg(extract(epoch from (f.first_reply - f.first_in))) filter (where f.first_reply >= f.first_in) as mean_seconds',
            ),
          ),
        db('events')
          .where('created_at', '>=', db.raw("date_trunc('day', ?::timestamptz)", [now]))
          .whereIn('type', ['sla_breached', 'escalated', 'resolved'])
          .first(
            db.raw(`count(*) filter (where type = 'sla_breached') as breaches`),
            db.raw(`count(*) filter (where type = 'escalated') as escalations`),
            db.raw(`count(*) filter (where type = 'resolved') as resolved`),
          ),
      ]);
      const healthByTeam = new Map(health.map((h: Record<string, unknown>) => [h.team_id as string | null, h]));
      const teamRows = [...teams, ...(healthByTeam.has(null) ? [{ id: null, name: 'No team' }] : [])];
      const num = (v: unknown) => (v === null || v === undefined ? null : Math.round(Number(v)));
      return {
        generatedAt: now.toISOString(),
        teams: teamRows.map((t: { id: string | null; name: string }) => {
          const h = healthByTeam.get(t.id);
          return {
            id: t.id,
            name: t.name,
            open: Number(h?.open ?? 0),
            unassigned: Number(h?.unassigned ?? 0),
            breaching: Number(h?.breaching ?? 0),
            oldestWaitingSince: h?.oldest_waiting ? (h.oldest_waiting as Date).toISOString() : null,
          };
        }),
        owners: owners.map((u: Record<string, any>) => ({
          id: u.id,
          name: u.name,
          role: u.role,
          availability: u.availability,
          capacity: u.capacity,
          openLoad: Number(u.open_load),
          teams: u.team_names,
        })),
        escalations: escalations.map(toLaneItem),
        stale: stale.map(toLaneItem),
        today: {
          conversationsStarted: Number(started?.started ?? 0),
          answered: Number(started?.answered ?? 0),
          medianFirstResponseSeconds: num(started?.median_seconds),
          meanFirstResponseSeconds: num(started?.mean_seconds),
          slaBreaches: Number(events?.breaches ?? 0),
          escalations: Number(events?.escalations ?? 0),
          resolved: Number(events?.resolved ?? 0),
        },
      };
    },
  };
}

export type DashboardService = ReturnType<typeof createDashboardService>;

function toLaneItem(row: Record<string, any>): LaneItem {
  return {
    id: row.id,
    workflowId: row.workflow_id,
    contactName: row.display_name ?? row.external_key,
    channelKind: row.channel_kind,
    status: row.status,
    priority: row.priority,
    escalationLevel: row.escalation_level,
    team: row.team_id ? { id: row.team_id, name: row.team_name ?? '' } : null,
    assignee: row.assignee_id ? { id: row.assignee_id, name: row.assignee_name ?? '' } : null,
    waitingSince: row.waiting_since?.toISOString() ?? null,
    sla:
      row.sla_next_tier && row.sla_next_at
        ? { nextTier: row.sla_next_tier, dueAt: row.sla_next_at.toISOString() }
        : null,
    preview: row.last_message_preview,
  };
}
