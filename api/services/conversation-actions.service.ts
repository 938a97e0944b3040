/**
 * Agent actions on one conversation (DESIGN §3 inputs, §4 roles): claim, assign, hand over, note,
 * tag, snooze, resolve, reopen, and the workflow's live `state`. Each checks the actor may see the
 * conversation (404 otherwise) and may take the action (403), then sends a signal (fire and
 * forget: the workflow decides and projects) or an update (answered with its result). Nothing here
 * writes a conversation row; accepted actions are recorded in the audit log.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Knex } from 'knex';
import {
  addNoteUpdate,
  assignUpdate,
  claimUpdate,
  handoverSignal,
  reopenSignal,
  resolveSignal,
  snoozeSignal,
  stateQuery,
  tagSignal,
  untagSignal,
  type Actor as WorkflowActor,
  type AddNoteResult,
  type HandoverTarget,
  type OwnershipResult,
} from '../../workflows/conversation/contract';
import { HttpError } from '../http/errors';
import { findVisibleConversation, isManager } from './access';
import { recordAudit } from './audit';
import type { Actor } from './auth.service';

/** How far ahead a snooze may reach. */
export const MAX_SNOOZE_MS = 90 * 24 * 60 * 60 * 1000;

export interface ConversationActionsDeps {
  db: Knex;
  temporal: Client;
  clock?: () => number;
}

/** Accepted: the workflow has the signal durably; its effects reach the projection shortly. */
export interface Accepted {
  accepted: true;
}

/** The `state` query as the API shows it: timestamps as ISO strings, bookkeeping left out. */
export interface ConversationStateView {
  /** `workflow`: the live state query; `projection`: the row, when the workflow is not running. */
  source: 'workflow' | 'projection';
  status: string;
  priority: string;
  escalationLevel: number;
  teamId: string | null;
  assigneeId: string | null;
  tags: string[];
  intent: string | null;
  waitingSince: string | null;
  /** Start of the current SLA waiting period (known only to the live workflow). */
  slaSince: string | null;
  snoozedUntil: string | null;
  sla: { nextTier: string; dueAt: string } | null;
  version: number;
}

const ACCEPTED: Accepted = { accepted: true };

export function createConversationActions({ db, temporal, clock = Date.now }: ConversationActionsDeps) {
  const asUser = (actor: Actor): WorkflowActor => ({ kind: 'user', userId: actor.id });
  const workflowOf = (row: { workflow_id: string }) => temporal.workflow.getHandle(row.workflow_id);
  const audit = (actor: Actor, verb: string, conversationId: string, data: Record<string, unknown> = {}) =>
    recordAudit(db, actor, {
      action: `conversation.${verb}`,
      targetKind: 'conversation',
      targetId: conversationId,
      data,
    });

  /**
   * Whether the current owner can no longer answer (offline, or their account disabled), so a
   * teammate's claim may take the conversation over (DESIGN §3, "keeps nothing hostage").
   */
  async function ownerIsAway(ownerId: string | null, claimantId: string): Promise<boolean> {
    if (!ownerId || ownerId === claimantId) return false;
    const owner = await db('users').where({ id: ownerId }).first('availability', 'disabled_at');
    return !owner || owner.disabled_at !== null || owner.availability === 'offline';
  }

  /** An assignee or handover receiver: an active user; an agent must belong to a team (that team, when given). */
  async function requireReceiver(userId: string, teamId?: string | null): Promise<void> {
    const user = await db('users').where({ id: userId }).whereNull('disabled_at').first('id', 'role');
    if (!user) throw new HttpError('bad_request', 'there is no active user with that id');
    if (user.role !== 'agent') return;
    const membership = db('team_members').where({ user_id: userId });
    if (teamId) membership.where({ team_id: teamId });
    if (!(await membership.first('team_id'))) {
      throw new HttpError(
        'bad_request',
        teamId ? 'that agent is not a member of that team' : 'that agent is not a member of any team',
      );
    }
  }

  async function requireTeam(teamId: string): Promise<void> {
    if (!(await db('teams').where({ id: teamId }).first('id'))) {
      throw new HttpError('bad_request', 'there is no team with that id');
    }
  }

  function refuseWhenResolved(row: { status: string }, what: string): void {
    if (row.status === 'resolved') {
      throw new HttpError('conflict', `This conversation is resolved; reopen it before you ${what}`);
    }
  }

  async function claim(actor: Actor, conversationId: string): Promise<OwnershipResult> {
    const row = await findVisibleConversation(db, actor, conversationId);
    const ownerOffline = await ownerIsAway(row.assignee_id, actor.id);
    // The workflow only lets this claim take over from that very owner, so of several teammates
    // taking over at once exactly one wins and the others get AlreadyOwned (409).
    const result = await workflowOf(row).executeUpdate(claimUpdate, {
      args: [{ userId: actor.id, ...(ownerOffline && row.assignee_id && { offlineOwnerId: row.assignee_id }) }],
    });
    await audit(actor, 'claim', row.id, { previousOwnerId: row.assignee_id, ownerOffline });
    return result;
  }

  return {
    /** Take the conversation: the first claim wins (later ones are 409), unless the owner is offline. */
    claim,

    /**
     * Owners and admins assign to anyone or any team. An agent may only assign themselves, which
     * is a claim (DESIGN §4: assigning to others is for owners and admins).
     */
    async assign(
      actor: Actor,
      conversationId: string,
      input: { userId?: string; teamId?: string },
    ): Promise<OwnershipResult> {
      const row = await findVisibleConversation(db, actor, conversationId);
      if (!input.userId && !input.teamId) throw new HttpError('bad_request', 'assign to a user, a team, or both');
      if (!isManager(actor)) {
        if (input.teamId || input.userId !== actor.id) {
          throw new HttpError('forbidden', 'only owners and admins can assign conversations to others');
        }
        return claim(actor, conversationId);
      }
      if (input.teamId) await requireTeam(input.teamId);
      if (input.userId) await requireReceiver(input.userId, input.teamId);
      const result = await workflowOf(row).executeUpdate(assignUpdate, {
        args: [{ userId: input.userId ?? null, teamId: input.teamId ?? null, by: asUser(actor) }],
      });
      await audit(actor, 'assign', row.id, { userId: input.userId ?? null, teamId: input.teamId ?? null });
      return result;
    },

    /** Hand over to an agent, a team, the managers or the routing rules, with a reason (DESIGN §3). */
    async handover(
      actor: Actor,
      conversationId: string,
      input: { to: HandoverTarget; reason: string; note?: string },
    ): Promise<Accepted> {
      const row = await findVisibleConversation(db, actor, conversationId);
      refuseWhenResolved(row, 'hand it over');
      const reason = input.reason.trim();
      if (!reason) throw new HttpError('bad_request', 'reason: a handover needs a reason');
      const { to } = input;
      if (to.kind === 'agent') {
        if (to.userId === actor.id) throw new HttpError('bad_request', 'to take a conversation yourself, claim it');
        await requireReceiver(to.userId);
      }
      if (to.kind === 'team') await requireTeam(to.teamId);
      const note = input.note?.trim();
      await workflowOf(row).signal(handoverSignal, { to, reason, ...(note && { note }), by: asUser(actor) });
      await audit(actor, 'handover', row.id, { to, reason });
      return ACCEPTED;
    },

    /** A private note: stored by the workflow, never sent to the customer. */
    async addNote(actor: Actor, conversationId: string, input: { text: string }): Promise<AddNoteResult> {
      const row = await findVisibleConversation(db, actor, conversationId);
      const text = input.text.trim();
      if (!text) throw new HttpError('bad_request', 'text: a note needs some text');
      const result = await workflowOf(row).executeUpdate(addNoteUpdate, { args: [{ authorUserId: actor.id, text }] });
      await audit(actor, 'note', row.id, { noteId: result.noteId });
      return result;
    },

    async tag(actor: Actor, conversationId: string, input: { add?: string[]; remove?: string[] }): Promise<Accepted> {
      const row = await findVisibleConversation(db, actor, conversationId);
      const add = uniqueTrimmed(input.add);
      const remove = uniqueTrimmed(input.remove);
      if (add.length === 0 && remove.length === 0) throw new HttpError('bad_request', 'give tags to add or remove');
      const both = add.filter((t) => remove.includes(t));
      if (both.length > 0) throw new HttpError('bad_request', `a tag cannot be added and removed at once: ${both[0]}`);
      const handle = workflowOf(row);
      // Two signals on one handle arrive in this order.
      if (add.length > 0) await handle.signal(tagSignal, { tags: add, by: asUser(actor) });
      if (remove.length > 0) await handle.signal(untagSignal, { tags: remove, by: asUser(actor) });
      await audit(actor, 'tag', row.id, { add, remove });
      return ACCEPTED;
    },

    /** Snoozed until a future time, at most 90 days ahead; the SLA clock pauses meanwhile. */
    async snooze(actor: Actor, conversationId: string, input: { until: string }): Promise<Accepted> {
      const row = await findVisibleConversation(db, actor, conversationId);
      const until = Date.parse(input.until);
      const now = clock();
      if (!Number.isFinite(until)) throw new HttpError('bad_request', 'until: not a date and time');
      if (until <= now) throw new HttpError('bad_request', 'until: snooze until a time in the future');
      if (until - now > MAX_SNOOZE_MS) throw new HttpError('bad_request', 'until: snooze for at most 90 days');
      refuseWhenResolved(row, 'snooze it');
      await workflowOf(row).signal(snoozeSignal, { until, by: asUser(actor) });
      await audit(actor, 'snooze', row.id, { until: new Date(until).toISOString() });
      return ACCEPTED;
    },

    async resolve(actor: Actor, conversationId: string): Promise<Accepted> {
      const row = await findVisibleConversation(db, actor, conversationId);
      await workflowOf(row).signal(resolveSignal, { by: asUser(actor) });
      await audit(actor, 'resolve', row.id);
      return ACCEPTED;
    },

    async reopen(actor: Actor, conversationId: string): Promise<Accepted> {
      const row = await findVisibleConversation(db, actor, conversationId);
      await workflowOf(row).signal(reopenSignal, { by: asUser(actor) });
      await audit(actor, 'reopen', row.id);
      return ACCEPTED;
    },

    /**
     * The workflow's own view (live SLA deadlines included); the projection row when the workflow
     * is no longer running (a resolved conversation that idled out).
     */
    async state(actor: Actor, conversationId: string): Promise<ConversationStateView> {
      const row = await findVisibleConversation(db, actor, conversationId);
      try {
        const s = await workflowOf(row).query(stateQuery);
        return {
          source: 'workflow',
          status: s.status,
          priority: s.priority,
          escalationLevel: s.escalationLevel,
          teamId: s.teamId,
          assigneeId: s.assigneeId,
          tags: s.tags,
          intent: s.intent,
          waitingSince: iso(s.waitingSince),
          slaSince: iso(s.slaSince),
          snoozedUntil: iso(s.snoozedUntil),
          sla: s.sla ? { nextTier: s.sla.nextTier, dueAt: iso(s.sla.dueAt)! } : null,
          version: s.version,
        };
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        return {
          source: 'projection',
          status: row.status,
          priority: row.priority,
          escalationLevel: row.escalation_level,
          teamId: row.team_id,
          assigneeId: row.assignee_id,
          tags: row.tags,
          intent: row.intent,
          waitingSince: row.waiting_since?.toISOString() ?? null,
          slaSince: null,
          snoozedUntil: row.snoozed_until?.toISOString() ?? null,
          sla:
            row.sla_next_tier && row.sla_next_at
              ? { nextTier: row.sla_next_tier, dueAt: row.sla_next_at.toISOString() }
              : null,
          version: Number(row.version),
        };
      }
    },
  };
}

export type ConversationActions = ReturnType<typeof createConversationActions>;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function uniqueTrimmed(tags: string[] | undefined): string[] {
  return [...new Set((tags ?? []).map((t) => t.trim()).filter(Boolean))];
}
