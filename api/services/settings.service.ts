/**
 * Workspace settings for owners and admins (DESIGN §4, §5 "settings"): teams and members, users and
 * roles, capacity and availability, channel names, routing rules, canned responses and the AI
 * settings; and for everyone their own profile (notification preferences), the canned responses
 * and the approved templates the composer offers. None of it is conversation state, so these rows
 * are written here directly, each write with an audit-log row. Agents get 403 on every manager
 * method (DESIGN §4); only an owner grants, removes or edits the owner role (transfer of ownership).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { parseAiSettings, AI_SETTINGS_KEY } from '../../activities/ai/settings';
import type { AiSettings } from '../../activities/ai/types';
import { listApprovedTemplates, type PickableTemplate } from '../../activities/channels/templates';
import type { Availability, Role } from '../../db/models';
import { capacityFreedSignal, teamQueueWorkflowId } from '../../workflows/routing/contract';
import { HttpError, notFound } from '../http/errors';
import { findVisibleConversation, isManager, isUuid, requireManager } from './access';
import type { Actor } from './auth.service';
import { hashPassword } from './auth.service';

/**
 * The routing workflows a rule may name: the keys of workflows/routing/registry.ts, which this
 * module may not import at runtime (STYLE §1). A rule naming anything else would fall back to
 * `to-team`, so the settings page offers only these.
 */
export const ROUTING_WORKFLOW_NAMES = ['to-team', 'least-loaded', 'round-robin', 'vip-agent', 'after-hours'] as const;
export type RoutingWorkflowName = (typeof ROUTING_WORKFLOW_NAMES)[number];
export const ROUTING_MATCH_KINDS = ['keyword', 'tag', 'channel', 'intent', 'always'] as const;
export type RoutingMatchKind = (typeof ROUTING_MATCH_KINDS)[number];

export interface ProfileView {
  id: string;
  name: string;
  email: string;
  role: Role;
  availability: Availability;
  capacity: number;
  notifyWhatsapp: boolean;
  whatsappNumber: string | null;
  teams: Array<{ id: string; name: string; isLead: boolean }>;
}

export interface StaffView {
  id: string;
  name: string;
  email: string;
  role: Role;
  availability: Availability;
  capacity: number;
  disabled: boolean;
  teamIds: string[];
}

export interface ChannelSettingsView {
  id: string;
  kind: string;
  name: string;
  externalId: string;
  defaultTeamId: string | null;
}

export interface RoutingRuleView {
  id: string;
  position: number;
  name: string;
  matchKind: RoutingMatchKind;
  matchValue: string | null;
  routingWorkflow: string;
  params: Record<string, unknown>;
  enabled: boolean;
}

export interface RoutingRuleInput {
  name: string;
  matchKind: RoutingMatchKind;
  matchValue: string | null;
  routingWorkflow: RoutingWorkflowName;
  params: Record<string, unknown>;
  enabled: boolean;
}

export interface CannedResponseView {
  id: string;
  title: string;
  body: string;
  teamId: string | null;
  teamName: string | null;
}

export interface CannedResponseInput {
  title: string;
  body: string;
  teamId: string | null;
}

type SettingsTarget = 'team' | 'user' | 'channel' | 'routing_rule' | 'canned_response' | 'workspace_setting';

/** Postgres unique_violation: a duplicate name or email becomes a 409 the form can show. */
const isUniqueViolation = (err: unknown) => (err as { code?: string } | null)?.code === '23505';

export function createSettingsService({ db, temporal }: { db: Knex; temporal: Client }) {
  /**
   * One audit row per settings write. Direct, not through recordAudit (audit.ts), because its
   * target kinds are a closed list of conversation-side targets; the columns are the same.
   */
  const audit = (
    actor: Actor,
    action: string,
    targetKind: SettingsTarget,
    targetId: string,
    data: Record<string, unknown> = {},
  ) =>
    db('audit_log').insert({
      actor_user_id: actor.id,
      action,
      target_kind: targetKind,
      target_id: targetId,
      data: JSON.stringify(data),
    });

  /** A team's queue workflow may hand out waiting conversations now; not running: nobody waits. */
  async function pokeTeamsOf(userId: string): Promise<void> {
    const teamIds: string[] = await db('team_members').where({ user_id: userId }).pluck('team_id');
    await Promise.all(
      teamIds.map(async (teamId) => {
        try {
          await temporal.workflow.getHandle(teamQueueWorkflowId(teamId)).signal(capacityFreedSignal);
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        }
      }),
    );
  }

  async function requireTeam(teamId: string | null | undefined): Promise<void> {
    if (!teamId) return;
    if (!isUuid(teamId) || !(await db('teams').where({ id: teamId }).first('id'))) throw notFound('team not found');
  }

  async function requireUserRow(userId: string) {
    const row = isUuid(userId) ? await db('users').where({ id: userId }).first() : undefined;
    if (!row) throw notFound('user not found');
    return row;
  }

  function toRuleView(r: Record<string, any>): RoutingRuleView {
    return {
      id: r.id,
      position: r.position,
      name: r.name,
      matchKind: r.match_kind,
      matchValue: r.match_value,
      routingWorkflow: r.routing_workflow,
      params: r.params ?? {},
      enabled: r.enabled,
    };
  }

  async function checkRuleReferences(input: RoutingRuleInput): Promise<void> {
    if (input.matchKind === 'channel') {
      if (
        !input.matchValue ||
        !isUuid(input.matchValue) ||
        !(await db('channels').where({ id: input.matchValue }).first('id'))
      ) {
        throw new HttpError('bad_request', 'matchValue: pick a channel');
      }
    } else if (input.matchKind !== 'always' && !input.matchValue?.trim()) {
      throw new HttpError('bad_request', 'matchValue: a rule of this kind needs a value to match');
    }
    for (const key of ['teamId', 'dayTeamId', 'afterHoursTeamId']) {
      const value = input.params[key];
      if (typeof value === 'string' && value)
        await requireTeam(value).catch(() => {
          throw new HttpError('bad_request', `params.${key}: there is no such team`);
        });
    }
    const userId = input.params.userId;
    if (typeof userId === 'string' && userId) {
      if (!isUuid(userId) || !(await db('users').where({ id: userId }).whereNull('disabled_at').first('id'))) {
        throw new HttpError('bad_request', 'params.userId: there is no such active user');
      }
    }
  }

  async function profile(actor: Actor): Promise<ProfileView> {
    const row = await requireUserRow(actor.id);
    const teams = await db('team_members as m')
      .join('teams as t', 't.id', 'm.team_id')
      .where('m.user_id', actor.id)
      .orderBy('t.name')
      .select('t.id', 't.name', 'm.is_lead');
    return {
      id: row.id,
      name: row.name,
      email: row.email,
      role: row.role,
      availability: row.availability,
      capacity: row.capacity,
      notifyWhatsapp: row.notify_whatsapp === true,
      whatsappNumber: row.whatsapp_number ?? null,
      teams: teams.map((t) => ({ id: t.id, name: t.name, isLead: t.is_lead })),
    };
  }

  return {
    // ---- everyone: their own profile -------------------------------------------------------

    profile,

    /** Handover and escalation alerts on the user's own WhatsApp number (DESIGN §3). */
    async updateNotificationPrefs(
      actor: Actor,
      input: { notifyWhatsapp: boolean; whatsappNumber: string | null },
    ): Promise<ProfileView> {
      if (input.notifyWhatsapp && !input.whatsappNumber) {
        throw new HttpError('bad_request', 'whatsappNumber: give a number to receive WhatsApp alerts');
      }
      await db('users').where({ id: actor.id }).update({
        notify_whatsapp: input.notifyWhatsapp,
        whatsapp_number: input.whatsappNumber,
        updated_at: db.fn.now(),
      });
      await audit(actor, 'user.notification_prefs', 'user', actor.id, { notifyWhatsapp: input.notifyWhatsapp });
      return profile(actor);
    },

    /** Every team's id and name, for handover targets and pickers (any signed-in user). */
    async teamDirectory(_actor: Actor): Promise<Array<{ id: string; name: string }>> {
      return db('teams')
        .orderBy([{ column: 'name' }, { column: 'id' }])
        .select('id', 'name');
    },

    // ---- the composer ------------------------------------------------------------------------

    /** Canned responses the actor may use: workspace-wide ones and their teams' (all for managers). */
    async listCannedResponses(actor: Actor): Promise<{ data: CannedResponseView[]; nextCursor: null }> {
      const q = db('canned_responses as c')
        .leftJoin('teams as t', 't.id', 'c.team_id')
        .orderBy([{ column: 'c.title' }, { column: 'c.id' }])
        .select('c.id', 'c.title', 'c.body', 'c.team_id', 't.name as team_name');
      if (!isManager(actor)) {
        q.where((w) =>
          w
            .whereNull('c.team_id')
            .orWhereIn('c.team_id', db('team_members').select('team_id').where('user_id', actor.id)),
        );
      }
      const rows = await q;
      return {
        data: rows.map((r) => ({
          id: r.id,
          title: r.title,
          body: r.body,
          teamId: r.team_id,
          teamName: r.team_name ?? null,
        })),
        nextCursor: null,
      };
    },

    /** The approved WhatsApp templates of the conversation's channel (none for Messenger/Instagram). */
    async composerTemplates(actor: Actor, conversationId: string): Promise<PickableTemplate[]> {
      const row = await findVisibleConversation(db, actor, conversationId);
      const channel = await db('channels').where({ id: row.channel_id }).first('kind');
      return channel?.kind === 'whatsapp' ? listApprovedTemplates(db, row.channel_id) : [];
    },

    // ---- canned responses (owners and admins) -----------------------------------------------

    async createCannedResponse(actor: Actor, input: CannedResponseInput): Promise<{ id: string }> {
      requireManager(actor, 'manage canned responses');
      await requireTeam(input.teamId);
      const [row] = await db('canned_responses')
        .insert({ title: input.title, body: input.body, team_id: input.teamId })
        .returning('id');
      await audit(actor, 'canned_response.create', 'canned_response', row.id, { title: input.title });
      return { id: row.id };
    },

    async updateCannedResponse(actor: Actor, id: string, input: CannedResponseInput): Promise<void> {
      requireManager(actor, 'manage canned responses');
      await requireTeam(input.teamId);
      const updated = isUuid(id)
        ? await db('canned_responses')
            .where({ id })
            .update({ title: input.title, body: input.body, team_id: input.teamId, updated_at: db.fn.now() })
        : 0;
      if (!updated) throw notFound('canned response not found');
      await audit(actor, 'canned_response.update', 'canned_response', id, { title: input.title });
    },

    async deleteCannedResponse(actor: Actor, id: string): Promise<void> {
      requireManager(actor, 'manage canned responses');
      const deleted = isUuid(id) ? await db('canned_responses').where({ id }).delete() : 0;
      if (!deleted) throw notFound('canned response not found');
      await audit(actor, 'canned_response.delete', 'canned_response', id);
    },

    // ---- teams and members ------------------------------------------------------------------

    async createTeam(actor: Actor, input: { name: string }): Promise<{ id: string }> {
      requireManager(actor, 'manage teams');
      try {
        const [row] = await db('teams').insert({ name: input.name }).returning('id');
        await audit(actor, 'team.create', 'team', row.id, { name: input.name });
        return { id: row.id };
      } catch (err) {
        if (isUniqueViolation(err)) throw new HttpError('conflict', 'name: a team with that name exists');
        throw err;
      }
    },

    async renameTeam(actor: Actor, teamId: string, input: { name: string }): Promise<void> {
      requireManager(actor, 'manage teams');
      await requireTeam(teamId);
      try {
        await db('teams').where({ id: teamId }).update({ name: input.name, updated_at: db.fn.now() });
      } catch (err) {
        if (isUniqueViolation(err)) throw new HttpError('conflict', 'name: a team with that name exists');
        throw err;
      }
      await audit(actor, 'team.rename', 'team', teamId, { name: input.name });
    },

    /** Adds a member, or changes their lead flag. */
    async setTeamMember(actor: Actor, teamId: string, input: { userId: string; isLead: boolean }): Promise<void> {
      requireManager(actor, 'manage teams');
      await requireTeam(teamId);
      const user = await requireUserRow(input.userId);
      if (user.disabled_at) throw new HttpError('bad_request', 'userId: that user is disabled');
      await db('team_members')
        .insert({ team_id: teamId, user_id: input.userId, is_lead: input.isLead })
        .onConflict(['team_id', 'user_id'])
        .merge(['is_lead']);
      await audit(actor, 'team.member_set', 'team', teamId, { userId: input.userId, isLead: input.isLead });
      if (user.availability === 'online') await pokeTeamsOf(input.userId);
    },

    async removeTeamMember(actor: Actor, teamId: string, userId: string): Promise<void> {
      requireManager(actor, 'manage teams');
      await requireTeam(teamId);
      const deleted = isUuid(userId)
        ? await db('team_members').where({ team_id: teamId, user_id: userId }).delete()
        : 0;
      if (!deleted) throw notFound('that user is not a member of that team');
      await audit(actor, 'team.member_remove', 'team', teamId, { userId });
    },

    // ---- users and roles ----------------------------------------------------------------------

    async listStaff(actor: Actor): Promise<{ data: StaffView[]; nextCursor: null }> {
      requireManager(actor, 'manage users');
      const rows = await db('users as u')
        .orderBy([{ column: 'u.disabled_at', order: 'desc', nulls: 'first' }, { column: 'u.name' }, { column: 'u.id' }])
        .select(
          'u.id',
          'u.name',
          'u.email',
          'u.role',
          'u.availability',
          'u.capacity',
          'u.disabled_at',
          db.raw(
            `coalesce((select array_agg(m.team_id::text order by m.team_id) from team_members m
              where m.user_id = u.id), '{}'::text[]) as team_ids`,
          ),
        );
      return {
        data: rows.map((r) => ({
          id: r.id,
          name: r.name,
          email: r.email,
          role: r.role,
          availability: r.availability,
          capacity: r.capacity,
          disabled: r.disabled_at !== null,
          teamIds: r.team_ids,
        })),
        nextCursor: null,
      };
    },

    async createUser(
      actor: Actor,
      input: { email: string; name: string; role: Role; password: string; capacity: number },
    ): Promise<{ id: string }> {
      requireManager(actor, 'manage users');
      if (input.role === 'owner' && actor.role !== 'owner') {
        throw new HttpError('forbidden', 'only an owner can make someone an owner');
      }
      try {
        const [row] = await db('users')
          .insert({
            email: input.email,
            name: input.name,
            role: input.role,
            capacity: input.capacity,
            password_hash: await hashPassword(input.password),
            availability: 'offline',
          })
          .returning('id');
        await audit(actor, 'user.create', 'user', row.id, { role: input.role });
        return { id: row.id };
      } catch (err) {
        if (isUniqueViolation(err)) throw new HttpError('conflict', 'email: a user with that email exists');
        throw err;
      }
    },

    /** Role, capacity, availability, or disabling; an owner's account only by an owner. */
    async updateUser(
      actor: Actor,
      userId: string,
      input: { role?: Role; capacity?: number; availability?: Availability; disabled?: boolean },
    ): Promise<void> {
      requireManager(actor, 'manage users');
      const before = await requireUserRow(userId);
      const touchesOwner = before.role === 'owner' || input.role === 'owner';
      if (touchesOwner && actor.role !== 'owner') throw new HttpError('forbidden', 'only an owner can change an owner');
      if (userId === actor.id && ((input.role && input.role !== before.role) || input.disabled)) {
        throw new HttpError('bad_request', 'you cannot change your own role or disable yourself');
      }
      const patch: Record<string, unknown> = {};
      if (input.role) patch.role = input.role;
      if (input.capacity !== undefined) patch.capacity = input.capacity;
      if (input.availability) patch.availability = input.availability;
      if (input.disabled !== undefined) {
        patch.disabled_at = input.disabled ? (before.disabled_at ?? db.fn.now()) : null;
        if (input.disabled) patch.availability = 'offline';
      }
      if (Object.keys(patch).length === 0) return;
      await db('users')
        .where({ id: userId })
        .update({ ...patch, updated_at: db.fn.now() });
      await audit(actor, 'user.update', 'user', userId, {
        ...input,
        from: { role: before.role, capacity: before.capacity, availability: before.availability },
      });
      const nowOnline = (input.availability ?? before.availability) === 'online' && !input.disabled;
      const freed =
        (input.availability === 'online' && before.availability !== 'online') ||
        (input.capacity !== undefined && input.capacity > before.capacity);
      if (nowOnline && freed) await pokeTeamsOf(userId);
    },

    // ---- channels (names only; credentials never leave the server) ---------------------------

    async listChannelSettings(actor: Actor): Promise<{ data: ChannelSettingsView[]; nextCursor: null }> {
      requireManager(actor, 'manage channels');
      const rows = await db('channels')
        .orderBy([{ column: 'name' }, { column: 'id' }])
        .select('id', 'kind', 'name', 'external_id', 'default_team_id');
      return {
        data: rows.map((r) => ({
          id: r.id,
          kind: r.kind,
          name: r.name,
          externalId: r.external_id,
          defaultTeamId: r.default_team_id,
        })),
        nextCursor: null,
      };
    },

    async updateChannel(actor: Actor, channelId: string, input: { name: string; defaultTeamId: string | null }) {
      requireManager(actor, 'manage channels');
      await requireTeam(input.defaultTeamId);
      const updated = isUuid(channelId)
        ? await db('channels')
            .where({ id: channelId })
            .update({ name: input.name, default_team_id: input.defaultTeamId, updated_at: db.fn.now() })
        : 0;
      if (!updated) throw notFound('channel not found');
      await audit(actor, 'channel.update', 'channel', channelId, input);
    },

    // ---- routing rules (first match wins, in position order) --------------------------------

    async listRoutingRules(actor: Actor): Promise<{ data: RoutingRuleView[]; nextCursor: null }> {
      requireManager(actor, 'manage routing rules');
      const rows = await db('routing_rules').orderBy([{ column: 'position' }, { column: 'id' }]);
      return { data: rows.map(toRuleView), nextCursor: null };
    },

    async createRoutingRule(actor: Actor, input: RoutingRuleInput): Promise<RoutingRuleView> {
      requireManager(actor, 'manage routing rules');
      await checkRuleReferences(input);
      const max = await db('routing_rules').max('position as p').first();
      const [row] = await db('routing_rules')
        .insert({
          position: Number(max?.p ?? 0) + 10,
          name: input.name,
          match_kind: input.matchKind,
          match_value: input.matchKind === 'always' ? null : input.matchValue,
          routing_workflow: input.routingWorkflow,
          params: JSON.stringify(input.params),
          enabled: input.enabled,
        })
        .returning('*');
      await audit(actor, 'routing_rule.create', 'routing_rule', row.id, { name: input.name });
      return toRuleView(row);
    },

    async updateRoutingRule(actor: Actor, ruleId: string, input: RoutingRuleInput): Promise<void> {
      requireManager(actor, 'manage routing rules');
      await checkRuleReferences(input);
      const updated = isUuid(ruleId)
        ? await db('routing_rules')
            .where({ id: ruleId })
            .update({
              name: input.name,
              match_kind: input.matchKind,
              match_value: input.matchKind === 'always' ? null : input.matchValue,
              routing_workflow: input.routingWorkflow,
              params: JSON.stringify(input.params),
              enabled: input.enabled,
              updated_at: db.fn.now(),
            })
        : 0;
      if (!updated) throw notFound('routing rule not found');
      await audit(actor, 'routing_rule.update', 'routing_rule', ruleId, { name: input.name });
    },

    async deleteRoutingRule(actor: Actor, ruleId: string): Promise<void> {
      requireManager(actor, 'manage routing rules');
      const deleted = isUuid(ruleId) ? await db('routing_rules').where({ id: ruleId }).delete() : 0;
      if (!deleted) throw notFound('routing rule not found');
      await audit(actor, 'routing_rule.delete', 'routing_rule', ruleId);
    },

    /** Swaps a rule with its neighbour: the order is what decides which rule wins. */
    async moveRoutingRule(actor: Actor, ruleId: string, direction: 'up' | 'down'): Promise<void> {
      requireManager(actor, 'manage routing rules');
      if (!isUuid(ruleId)) throw notFound('routing rule not found');
      await db.transaction(async (trx) => {
        const rule = await trx('routing_rules').where({ id: ruleId }).forUpdate().first('id', 'position');
        if (!rule) throw notFound('routing rule not found');
        const neighbour = await trx('routing_rules')
          .where('position', direction === 'up' ? '<' : '>', rule.position)
          .orderBy('position', direction === 'up' ? 'desc' : 'asc')
          .forUpdate()
          .first('id', 'position');
        if (!neighbour) return;
        // position is unique (not deferrable): park one row on a free value while swapping.
        const parked = -1 - Number(rule.position);
        await trx('routing_rules').where({ id: rule.id }).update({ position: parked });
        await trx('routing_rules').where({ id: neighbour.id }).update({ position: rule.position });
        await trx('routing_rules')
          .where({ id: rule.id })
          .update({ position: neighbour.position, updated_at: trx.fn.now() });
      });
      await audit(actor, 'routing_rule.move', 'routing_rule', ruleId, { direction });
    },

    // ---- AI settings ---------------------------------------------------------------------------

    async getAiSettings(actor: Actor): Promise<AiSettings & { storedValid: boolean }> {
      requireManager(actor, 'see the AI settings');
      const row = await db('workspace_settings').where({ key: AI_SETTINGS_KEY }).first('value');
      const parsed = parseAiSettings(row?.value);
      return { ...parsed.settings, storedValid: parsed.valid };
    },

    async putAiSettings(actor: Actor, settings: AiSettings): Promise<void> {
      requireManager(actor, 'change the AI settings');
      const value = JSON.stringify(settings);
      await db('workspace_settings')
        .insert({ key: AI_SETTINGS_KEY, value })
        .onConflict('key')
        .merge({ value, updated_at: db.fn.now() });
      await audit(actor, 'workspace_setting.ai', 'workspace_setting', AI_SETTINGS_KEY, {
        enabled: settings.enabled,
        faqEntries: settings.faq.length,
      });
    },
  };
}

export type SettingsService = ReturnType<typeof createSettingsService>;
