/**
 * Routing's reads and signals (DESIGN §3 "Routing workflows"): which rule matches a conversation,
 * which agent has capacity, and the team queue workflows (joined, poked, and offering agents to
 * conversations through the conversation's `assign` update).
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Knex } from 'knex';
import type { ActivityDeps } from '../deps';
import { WORKFLOW_TASK_TIMEOUT } from '../../workflows/shared/workflow-task-timeout';
import { assignUpdate } from '../../workflows/conversation/contract';
import {
  TEAM_QUEUE_WORKFLOW_TYPE,
  capacityFreedSignal,
  queueJoinSignal,
  teamQueueWorkflowId,
  type AutoAssignStrategy,
  type QueueEntry,
} from '../../workflows/routing/contract';
import { chooseRule, type ChosenRule } from './rules';

export type { ChosenRule } from './rules';

export const createRoutingActivities = ({ db, temporal }: Pick<ActivityDeps, 'db' | 'temporal'>) => ({
  /**
   * The first enabled rule, in position order, that matches the conversation: a keyword in the
   * customer's recent messages, a contact or conversation tag, the channel, or the AI's intent.
   * No match: the channel's default team.
   */
  async chooseRoutingRule(input: { conversationId: string; intent: string | null }): Promise<ChosenRule> {
    const conversation = await db('conversations as cv')
      .join('contacts as ct', 'ct.id', 'cv.contact_id')
      .join('channels as ch', 'ch.id', 'cv.channel_id')
      .where('cv.id', input.conversationId)
      .first('cv.channel_id', 'cv.tags', 'ct.tags as contact_tags', 'ch.default_team_id');
    if (!conversation) throw new Error(`conversation ${input.conversationId} is not projected yet`);
    return chooseRule(db, {
      conversationId: input.conversationId,
      channelId: conversation.channel_id,
      defaultTeamId: conversation.default_team_id,
      conversationTags: conversation.tags ?? [],
      contactTags: conversation.contact_tags ?? [],
      intent: input.intent,
    });
  },

  /**
   * An online, enabled team member under capacity, by strategy. Load counts every open (not
   * resolved) conversation the agent owns, in any team: capacity is per person.
   */
  async pickAgent(input: {
    teamId: string;
    strategy: AutoAssignStrategy;
    excludeUserIds: string[];
  }): Promise<string | null> {
    const candidates = await db('team_members as m')
      .join('users as u', 'u.id', 'm.user_id')
      .where('m.team_id', input.teamId)
      .where('u.availability', 'online')
      .whereNull('u.disabled_at')
      .whereNotIn('u.id', input.excludeUserIds)
      .select('u.id', 'u.capacity', openLoad(db).as('load'))
      .orderBy([
        { column: 'load', order: 'asc' },
        { column: 'u.id', order: 'asc' },
      ]);
    const free = candidates.filter((c: { load: string | number; capacity: number }) => Number(c.load) < c.capacity);
    if (free.length === 0) return null;
    if (input.strategy === 'least-loaded') return free[0].id;
    return nextInTurn(
      db,
      input.teamId,
      free.map((c: { id: string }) => c.id),
    );
  },

  async agentAvailability(input: { userId: string }): Promise<{ online: boolean; underCapacity: boolean }> {
    const row = await db('users as u')
      .where('u.id', input.userId)
      .first('u.availability', 'u.capacity', 'u.disabled_at', openLoad(db).as('load'));
    if (!row || row.disabled_at) return { online: false, underCapacity: false };
    return { online: row.availability === 'online', underCapacity: Number(row.load) < row.capacity };
  },

  /** Puts a conversation in its team's queue, starting the queue workflow when it is not running. */
  async joinTeamQueue(input: { teamId: string; entry: QueueEntry }): Promise<void> {
    await temporal.client.workflow.signalWithStart(TEAM_QUEUE_WORKFLOW_TYPE, {
      workflowId: teamQueueWorkflowId(input.teamId),
      taskQueue: temporal.taskQueue,
      workflowTaskTimeout: WORKFLOW_TASK_TIMEOUT,
      args: [{ teamId: input.teamId }],
      signal: queueJoinSignal,
      signalArgs: [input.entry],
      staticSummary: 'Team queue: assigns waiting conversations as agents free up',
    });
  },

  /** Tells the queues of every team the agent belongs to that they may have room now. */
  async announceFreeCapacity(input: { userId: string }): Promise<void> {
    const teamIds: string[] = await db('team_members').where({ user_id: input.userId }).pluck('team_id');
    await Promise.all(teamIds.map((teamId) => pokeQueue(temporal.client, teamId)));
  },

  /** Offers an agent to a waiting conversation; false when someone claimed it first. */
  async offerConversation(input: {
    workflowId: string;
    userId: string;
    teamId: string;
  }): Promise<{ accepted: boolean }> {
    try {
      await temporal.client.workflow.getHandle(input.workflowId).executeUpdate(assignUpdate, {
        args: [{ userId: input.userId, teamId: input.teamId, by: { kind: 'system' }, onlyIfUnowned: true }],
      });
      return { accepted: true };
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError || err instanceof WorkflowNotFoundError) return { accepted: false };
      throw err;
    }
  },
});

/** Pokes a team queue if it is running; a queue that is not running has nobody waiting. */
export async function pokeQueue(client: ActivityDeps['temporal']['client'], teamId: string): Promise<void> {
  try {
    await client.workflow.getHandle(teamQueueWorkflowId(teamId)).signal(capacityFreedSignal);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
}

function openLoad(db: Knex) {
  return db('conversations as c').count('*').whereRaw('c.assignee_id = u.id').whereNot('c.status', 'resolved');
}

/** The candidate after the team's last pick, wrapping around; the cursor moves atomically. */
async function nextInTurn(db: Knex, teamId: string, candidates: string[]): Promise<string> {
  return db.transaction(async (trx) => {
    await trx('routing_cursors').insert({ team_id: teamId }).onConflict('team_id').ignore();
    const cursor = await trx('routing_cursors').where({ team_id: teamId }).forUpdate().first('last_user_id');
    const sorted = [...candidates].sort();
    const next = sorted.find((id) => cursor?.last_user_id && id > cursor.last_user_id) ?? sorted[0]!;
    await trx('routing_cursors').where({ team_id: teamId }).update({ last_user_id: next, updated_at: trx.fn.now() });
    return next;
  });
}
