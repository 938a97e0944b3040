/**
 * Workspace reference data and settings (DESIGN §5): teams and users for the assign and handover
 * dialogs, the signed-in user's availability, and per-team SLA policies (owners and admins).
 * None of it is conversation state, so the API reads and writes these rows itself; a user coming
 * online is announced to their teams' queue workflows so waiting conversations reach them at once.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Knex } from 'knex';
import type { Availability } from '../../db/models';
import { capacityFreedSignal, teamQueueWorkflowId } from '../../workflows/routing/contract';
import { notFound } from '../http/errors';
import { isManager, isUuid, requireManager, openLoadOf } from './access';
import { recordAudit } from './audit';
import type { Actor } from './auth.service';

export interface WorkspaceServiceDeps {
  db: Knex;
  temporal: Client;
  /** SLA_DEFAULT_TIERS: what a team without a policy row uses; shown as null when not given. */
  slaDefaultTiersMs?: readonly [number, number, number];
}

export interface TeamView {
  id: string;
  name: string;
  members: Array<{ id: string; name: string; role: string; availability: Availability; isLead: boolean }>;
}

export interface UserView {
  id: string;
  name: string;
  role: string;
  availability: Availability;
  capacity: number;
  /** Open (not resolved) conversations the user owns, in any team: capacity is per person. */
  openLoad: number;
  teamIds: string[];
}

export interface SlaPolicyView {
  teamId: string;
  teamName: string;
  /** Seconds after the customer started waiting: standard, priority, manager. */
  tiers: [number, number, number] | null;
  requeueAtPriority: boolean;
  /** The team has no policy of its own and uses SLA_DEFAULT_TIERS. */
  isDefault: boolean;
}

export interface SlaPolicyInput {
  tiers: [number, number, number];
  requeueAtPriority: boolean;
}

/** A team left-joined with its policy row (null columns: no policy of its own). */
interface PolicyRow {
  id: string;
  name: string;
  standard_seconds: number | null;
  priority_seconds: number | null;
  manager_seconds: number | null;
  requeue_at_priority: boolean | null;
}

export function createWorkspaceService({ db, temporal, slaDefaultTiersMs }: WorkspaceServiceDeps) {
  const defaultTiers = slaDefaultTiersMs
    ? (slaDefaultTiersMs.map((ms) => Math.round(ms / 1000)) as [number, number, number])
    : null;

  function toPolicyView(row: PolicyRow): SlaPolicyView {
    if (row.standard_seconds === null || row.priority_seconds === null || row.manager_seconds === null) {
      return { teamId: row.id, teamName: row.name, tiers: defaultTiers, requeueAtPriority: false, isDefault: true };
    }
    return {
      teamId: row.id,
      teamName: row.name,
      tiers: [row.standard_seconds, row.priority_seconds, row.manager_seconds],
      requeueAtPriority: row.requeue_at_priority === true,
      isDefault: false,
    };
  }

  const policyRows = () =>
    db('teams as t')
      .leftJoin('sla_policies as p', 'p.team_id', 't.id')
      .select(
        't.id',
        't.name',
        'p.standard_seconds',
        'p.priority_seconds',
        'p.manager_seconds',
        'p.requeue_at_priority',
      );

  /** Signals a team's queue that capacity may have freed; a queue that is not running has nobody waiting. */
  async function pokeQueue(teamId: string): Promise<void> {
    try {
      await temporal.workflow.getHandle(teamQueueWorkflowId(teamId)).signal(capacityFreedSignal);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }

  return {
    /** Owners and admins: every team; an agent: their own teams. Members are active users. */
    async listTeams(actor: Actor): Promise<{ data: TeamView[]; nextCursor: null }> {
      const q = db('teams')
        .orderBy([{ column: 'name' }, { column: 'id' }])
        .select('id', 'name');
      if (!isManager(actor)) q.whereIn('id', db('team_members').select('team_id').where('user_id', actor.id));
      const teams: Array<{ id: string; name: string }> = await q;
      const members = await db('team_members as m')
        .join('users as u', 'u.id', 'm.user_id')
        .whereIn(
          'm.team_id',
          teams.map((t) => t.id),
        )
        .whereNull('u.disabled_at')
        .orderBy([{ column: 'u.name' }, { column: 'u.id' }])
        .select('m.team_id', 'm.is_lead', 'u.id', 'u.name', 'u.role', 'u.availability');
      return {
        data: teams.map((t) => ({
          id: t.id,
          name: t.name,
          members: members
            .filter((m) => m.team_id === t.id)
            .map((m) => ({ id: m.id, name: m.name, role: m.role, availability: m.availability, isLead: m.is_lead })),
        })),
        nextCursor: null,
      };
    },

    /** Active users with their load: who can take a conversation (every signed-in user may see this). */
    async listUsers(_actor: Actor): Promise<{ data: UserView[]; nextCursor: null }> {
      const rows = await db('users as u')
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
            `coalesce((select array_agg(m.team_id::text order by m.team_id) from team_members m
              where m.user_id = u.id), '{}'::text[]) as team_ids`,
          ),
        );
      return {
        data: rows.map((r) => ({
          id: r.id,
          name: r.name,
          role: r.role,
          availability: r.availability,
          capacity: r.capacity,
          openLoad: Number(r.open_load),
          teamIds: r.team_ids,
        })),
        nextCursor: null,
      };
    },

    async getAvailability(actor: Actor): Promise<{ availability: Availability }> {
      const row = await db('users').where({ id: actor.id }).first('availability');
      if (!row) throw notFound('user not found');
      return { availability: row.availability };
    },

    /**
     * Sets the signed-in user's availability. Coming online frees capacity: each of their teams'
     * queue workflows hears it and may assign them the oldest waiting conversation.
     */
    async setAvailability(actor: Actor, availability: Availability): Promise<{ availability: Availability }> {
      const before = await db('users').where({ id: actor.id }).first('availability');
      if (!before) throw notFound('user not found');
      await db('users').where({ id: actor.id }).update({ availability, updated_at: db.fn.now() });
      if (before.availability !== availability) {
        await recordAudit(db, actor, {
          action: 'user.availability',
          targetKind: 'user',
          targetId: actor.id,
          data: { from: before.availability, to: availability },
        });
      }
      if (availability === 'online' && before.availability !== 'online') {
        const teamIds: string[] = await db('team_members').where({ user_id: actor.id }).pluck('team_id');
        await Promise.all(teamIds.map(pokeQueue));
      }
      return { availability };
    },

    /** Every team's policy, its own or the default (owners and admins). */
    async listSlaPolicies(actor: Actor): Promise<{ data: SlaPolicyView[]; nextCursor: null }> {
      requireManager(actor, 'see SLA policies');
      const rows = await policyRows().orderBy([{ column: 't.name' }, { column: 't.id' }]);
      return { data: rows.map(toPolicyView), nextCursor: null };
    },

    /**
     * Sets a team's tiers (seconds, increasing). Conversations pick the policy up at the start of
     * their next waiting period.
     */
    async putSlaPolicy(actor: Actor, teamId: string, input: SlaPolicyInput): Promise<SlaPolicyView> {
      requireManager(actor, 'change SLA policies');
      if (!isUuid(teamId) || !(await db('teams').where({ id: teamId }).first('id'))) throw notFound('team not found');
      const [standard, priority, manager] = input.tiers;
      await db('sla_policies')
        .insert({
          team_id: teamId,
          standard_seconds: standard,
          priority_seconds: priority,
          manager_seconds: manager,
          requeue_at_priority: input.requeueAtPriority,
        })
        .onConflict('team_id')
        .merge({
          standard_seconds: standard,
          priority_seconds: priority,
          manager_seconds: manager,
          requeue_at_priority: input.requeueAtPriority,
          updated_at: db.fn.now(),
        });
      await recordAudit(db, actor, {
        action: 'sla_policy.update',
        targetKind: 'sla_policy',
        targetId: teamId,
        data: { tiers: input.tiers, requeueAtPriority: input.requeueAtPriority },
      });
      return toPolicyView(await policyRows().where('t.id', teamId).first());
    },
  };
}

export type WorkspaceService = ReturnType<typeof createWorkspaceService>;
