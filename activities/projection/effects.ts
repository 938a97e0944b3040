/**
 * Writes a transition's timeline events, private notes and notifications. Notification audiences
 * (a team, its leads, the managers) are resolved to users here, at write time, so a member who
 * joins later is not told about the past; (batch, user) keeps a retried write from notifying twice.
 */
import type { Knex } from 'knex';
import type { Audience } from '../../workflows/conversation/state';
import { isWhatsAppAlertKind } from '../notify/alert-kinds';
import type { NotificationLiveEvent } from './live';
import type { ProjectedEffects } from './types';

/** What a write added, for the live events sent after it commits (activities/projection/live.ts). */
export interface RecordedEffects {
  /** Timeline events or notes were inserted (a retry that inserts nothing reports false). */
  changed: boolean;
  notifications: NotificationLiveEvent[];
  /**
   * Receivers of this change's handover and escalation notifications who get them on WhatsApp
   * too (opted in, with a number). Counted from the audience, not the rows inserted, so a retry
   * that inserts nothing still reports them.
   */
  whatsappAlertRecipients: number;
}

export async function recordEffects(
  trx: Knex.Transaction,
  conversationId: string,
  version: number | null,
  effects: ProjectedEffects,
): Promise<RecordedEffects> {
  const recorded: RecordedEffects = { changed: false, notifications: [], whatsappAlertRecipients: 0 };
  const eventVersion = version ?? (await currentVersion(trx, conversationId));
  if (effects.events.length > 0) {
    const inserted = await trx('events')
      .insert(
        effects.events.map((e) => ({
          id: e.id,
          conversation_id: conversationId,
          type: e.type,
          actor_kind: e.actor.kind === 'user' ? 'agent' : e.actor.kind,
          actor_user_id: e.actor.kind === 'user' ? e.actor.userId : null,
          data: JSON.stringify(e.data),
          version: eventVersion,
        })),
      )
      .onConflict('id')
      .ignore()
      .returning('id');
    if (inserted.length > 0) recorded.changed = true;
  }
  if (effects.notes.length > 0) {
    const inserted = await trx('notes')
      .insert(
        effects.notes.map((n) => ({
          id: n.id,
          conversation_id: conversationId,
          author_kind: n.authorKind,
          author_user_id: n.authorUserId,
          body: n.body,
        })),
      )
      .onConflict('id')
      .ignore()
      .returning('id');
    if (inserted.length > 0) recorded.changed = true;
  }
  for (const n of effects.notifications) {
    let userIds = await audienceUserIds(trx, n.audience);
    // A team without leads still has someone to tell at the priority tier.
    if (userIds.length === 0 && n.audience.kind === 'teamLeads')
      userIds = await audienceUserIds(trx, { kind: 'managers' });
    userIds = userIds.filter((id) => id !== n.exceptUserId);
    if (userIds.length === 0) continue;
    if (isWhatsAppAlertKind(n.kind)) {
      const [alertable] = await trx('users')
        .whereIn('id', userIds)
        .where('notify_whatsapp', true)
        .whereNotNull('whatsapp_number')
        .whereNull('disabled_at')
        .count({ n: '*' });
      recorded.whatsappAlertRecipients += Number(alertable?.n ?? 0);
    }
    const rows: Array<{ id: string; user_id: string; kind: string; title: string; body: string }> = await trx(
      'notifications',
    )
      .insert(
        userIds.map((userId) => ({
          batch_id: n.batchId,
          user_id: userId,
          conversation_id: conversationId,
          kind: n.kind,
          title: n.title,
          body: n.body,
          data: JSON.stringify({ audience: n.audience.kind }),
        })),
      )
      .onConflict(['batch_id', 'user_id'])
      .ignore()
      .returning(['id', 'user_id', 'kind', 'title', 'body']);
    for (const row of rows) {
      recorded.notifications.push({
        type: 'notification',
        notificationId: row.id,
        userId: row.user_id,
        kind: row.kind,
        title: row.title,
        body: row.body,
        conversationId,
      });
    }
  }
  return recorded;
}

async function currentVersion(trx: Knex.Transaction, conversationId: string): Promise<number> {
  const row = await trx('conversations').where({ id: conversationId }).first('version');
  return Number(row?.version ?? 0);
}

/** Active users only: a disabled account is never notified. */
export async function audienceUserIds(db: Knex, audience: Audience): Promise<string[]> {
  const active = (q: Knex.QueryBuilder) => q.whereNull('u.disabled_at');
  switch (audience.kind) {
    case 'users':
      return (await active(db('users as u').whereIn('u.id', audience.userIds)).pluck('u.id')) as string[];
    case 'team':
    case 'teamLeads': {
      const q = db('team_members as m').join('users as u', 'u.id', 'm.user_id').where('m.team_id', audience.teamId);
      if (audience.kind === 'teamLeads') q.where('m.is_lead', true);
      return (await active(q).pluck('u.id')) as string[];
    }
    case 'managers':
      return (await active(db('users as u').whereIn('u.role', ['owner', 'admin'])).pluck('u.id')) as string[];
  }
}
