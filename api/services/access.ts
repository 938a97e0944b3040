/**
 * The role table of DESIGN §4, in one place for every service: who sees which conversation, and
 * which actions only owners and admins may take. Not found and not allowed look the same for
 * conversations, so an id never reveals that someone else's conversation exists.
 */
import type { Knex } from 'knex';
import { HttpError, notFound } from '../http/errors';
import type { Actor } from './auth.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string) => UUID.test(value);

/** Owners and admins: everything in the workspace (DESIGN §4). */
export const isManager = (actor: Actor) => actor.role === 'owner' || actor.role === 'admin';

export function requireManager(actor: Actor, what: string): void {
  if (!isManager(actor)) throw new HttpError('forbidden', `only owners and admins can ${what}`);
}

/** Owners and admins see everything; an agent sees their teams' queues and what is assigned to them. */
export function visibleTo(db: Knex, actor: Actor) {
  return (q: Knex.QueryBuilder) => {
    if (isManager(actor)) return;
    q.where((w) =>
      w
        .where('cv.assignee_id', actor.id)
        .orWhereIn('cv.team_id', db('team_members').select('team_id').where('user_id', actor.id)),
    );
  };
}

/** The conversation row when the actor may see it; a 404 otherwise, whether it exists or not. */
export async function findVisibleConversation(db: Knex, actor: Actor, conversationId: string) {
  if (!isUuid(conversationId)) throw notFound('conversation not found');
  const row = await db('conversations as cv').where('cv.id', conversationId).modify(visibleTo(db, actor)).first('cv.*');
  if (!row) throw notFound('conversation not found');
  return row;
}

/**
 * A user's open load (conversations they own that are not resolved), as a subquery on a `users as u`
 * select; served by conversations_open_assignee_list_idx (it starts with the owner). Capacity is
 * compared against it.
 */
export function openLoadOf(db: Knex) {
  return db('conversations as c')
    .count('*')
    .whereRaw('c.assignee_id = u.id')
    .whereNot('c.status', 'resolved')
    .as('open_load');
}
