/**
 * Agents' WhatsApp alerts (DESIGN §3 "Assignment and handover": "a WhatsApp message to the agent's
 * own number when configured"). After the projection wrote a handover or escalation notification
 * batch, this activity sends each opted-in recipient (`users.notify_whatsapp` with a
 * `whatsapp_number`) the utility template AGENT_NOTIFY_TEMPLATE (default `agent_alert`, `en`) with
 * the parameters [title, body], from the conversation's own channel when it is a WhatsApp number.
 *
 * Idempotent per notification row: the outcome is recorded in `notifications.data.whatsapp`
 * (`sent` with the wamid, `failed` with the reason, or `skipped`), and rows with an outcome are never
 * sent again. A transient refusal leaves its row without an outcome and fails the activity after
 * the others were tried, so Temporal's retry sends only what is still missing. No phone numbers in
 * logs: rows are named by notification and user id.
 */
import { log } from '@temporalio/activity';
import type { Knex } from 'knex';
import { createPacer, PacingDelayError } from '../channels/pacer';
import type { SendDeps } from '../channels/send.activities';
import { checkTemplate } from '../channels/templates';
import { ChannelSendError } from '../channels/types';
import { WHATSAPP_ALERT_KINDS } from './alert-kinds';

export interface NotifyAgentsOnWhatsAppInput {
  /** Notification batches of one workflow change (ProjectedNotification.batchId). */
  batchIds: string[];
}

export interface NotifyAgentsOnWhatsAppResult {
  sent: number;
  failed: number;
  skipped: number;
}

export const DEFAULT_AGENT_NOTIFY_TEMPLATE = { name: 'agent_alert', language: 'en' } as const;

export { WHATSAPP_ALERT_KINDS } from './alert-kinds';

/** A template parameter is one line (Meta refuses line breaks, tabs and 5+ spaces: 132000); kept short. */
const MAX_PARAMETER_LENGTH = 300;

type Outcome =
  | { status: 'sent'; externalId: string; at: string }
  | { status: 'failed'; reason: string; code: number | null; at: string }
  | { status: 'skipped'; reason: string; at: string };

export const createWhatsAppNotifyActivities = (deps: SendDeps) => {
  const { db, channels } = deps;
  const pacer = deps.pacer ?? createPacer(deps.outbound?.pacing);
  const template = deps.outbound?.agentNotifyTemplate ?? DEFAULT_AGENT_NOTIFY_TEMPLATE;

  return {
    async notifyAgentsOnWhatsApp({ batchIds }: NotifyAgentsOnWhatsAppInput): Promise<NotifyAgentsOnWhatsAppResult> {
      const result: NotifyAgentsOnWhatsAppResult = { sent: 0, failed: 0, skipped: 0 };
      if (!Array.isArray(batchIds) || batchIds.length === 0) return result;
      const rows = await db('notifications as n')
        .join('users as u', 'u.id', 'n.user_id')
        .join('conversations as cv', 'cv.id', 'n.conversation_id')
        .join('channels as ch', 'ch.id', 'cv.channel_id')
        .whereIn('n.batch_id', batchIds)
        .whereIn('n.kind', [...WHATSAPP_ALERT_KINDS])
        .where('u.notify_whatsapp', true)
        .whereNotNull('u.whatsapp_number')
        .whereNull('u.disabled_at')
        .orderBy('n.created_at')
        .select(
          'n.id',
          'n.user_id',
          'n.title',
          'n.body',
          'n.data',
          'u.whatsapp_number',
          'ch.id as channel_id',
          'ch.kind as channel_kind',
          'ch.external_id as channel_external_id',
          'ch.credentials',
        );

      let transient: Error | undefined;
      for (const row of rows) {
        if (row.data?.whatsapp?.status) {
          result.skipped += 1;
          continue;
        }
        const adapter = channels.whatsapp;
        if (row.channel_kind !== 'whatsapp' || !adapter) {
          await record(db, row.id, {
            status: 'skipped',
            reason: 'the conversation is not on a WhatsApp number',
            at: now(),
          });
          result.skipped += 1;
          continue;
        }
        const parameters = [oneLine(row.title), oneLine(row.body)];
        const check = await checkTemplate(db, row.channel_id, { ...template, parameters });
        if (!check.ok) {
          await record(db, row.id, { status: 'failed', reason: check.reason, code: null, at: now() });
          log.warn('agent WhatsApp alert refused before sending', { notificationId: row.id, userId: row.user_id });
          result.failed += 1;
          continue;
        }
        try {
          await pacer.acquire(row.channel_id, row.whatsapp_number);
          const sent = await adapter.send(
            { externalId: row.channel_external_id, accessToken: row.credentials?.accessToken ?? '' },
            { type: 'template', to: row.whatsapp_number, ...template, parameters: check.parameters },
          );
          await record(db, row.id, { status: 'sent', externalId: sent.externalId, at: now() });
          log.info('agent WhatsApp alert sent', { notificationId: row.id, userId: row.user_id });
          result.sent += 1;
        } catch (err) {
          if (err instanceof ChannelSendError && err.permanent) {
            await record(db, row.id, {
              status: 'failed',
              reason: err.reason,
              code: err.providerCode ?? null,
              at: now(),
            });
            log.warn('agent WhatsApp alert refused', {
              notificationId: row.id,
              userId: row.user_id,
              code: err.providerCode ?? null,
            });
            result.failed += 1;
          } else if (err instanceof ChannelSendError || err instanceof PacingDelayError) {
            // Left without an outcome: the activity's retry sends it (and only it) again.
            transient = err;
          } else {
            throw err;
          }
        }
      }
      if (transient) throw new Error(`an agent WhatsApp alert will be retried: ${transient.message}`);
      return result;
    },
  };
};

async function record(db: Knex, notificationId: string, outcome: Outcome): Promise<void> {
  await db('notifications')
    .where({ id: notificationId })
    .update({ data: db.raw(`coalesce(data, '{}'::jsonb) || ?::jsonb`, [JSON.stringify({ whatsapp: outcome })]) });
}

function oneLine(text: unknown): string {
  const flat = String(text ?? '')
    .replace(/\s+/g, ' ')
    .trim();
  if (!flat) return '-';
  const chars = [...flat];
  return chars.length > MAX_PARAMETER_LENGTH ? `${chars.slice(0, MAX_PARAMETER_LENGTH - 1).join('')}…` : flat;
}

const now = () => new Date().toISOString();
