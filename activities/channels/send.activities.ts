/**
 * Sends a stored outbound message through its channel's adapter. Idempotent: a retry that finds
 * the message already carrying a provider id returns it instead of sending twice (STYLE §4).
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from '../deps';
import { ErrorType } from '../../workflows/shared/errors';
import { ChannelSendError } from './types';

export interface SendChannelMessageInput {
  messageId: string;
}

export interface SendChannelMessageResult {
  externalId: string;
}

export const createSendActivities = ({ db, channels }: ActivityDeps) => ({
  async sendChannelMessage({ messageId }: SendChannelMessageInput): Promise<SendChannelMessageResult> {
    const row = await db('messages as m')
      .join('conversations as cv', 'cv.id', 'm.conversation_id')
      .join('contacts as ct', 'ct.id', 'cv.contact_id')
      .join('channels as ch', 'ch.id', 'm.channel_id')
      .where('m.id', messageId)
      .first(
        'm.external_id',
        'm.body',
        'ch.kind',
        'ch.external_id as channel_external_id',
        'ch.credentials',
        'ct.wa_id',
        'ct.external_key',
      );
    if (!row) throw ApplicationFailure.nonRetryable(`message ${messageId} is not stored`, ErrorType.InvalidInput);
    if (row.external_id) return { externalId: row.external_id };

    const adapter = channels[row.kind as keyof typeof channels];
    if (!adapter)
      throw ApplicationFailure.nonRetryable(`no adapter for ${row.kind}`, ErrorType.ChannelPermanentFailure);

    try {
      const result = await adapter.send(
        { externalId: row.channel_external_id, accessToken: row.credentials?.accessToken ?? '' },
        { type: 'text', to: row.wa_id ?? row.external_key, text: row.body ?? '', clientRef: messageId },
      );
      await db('messages')
        .where({ id: messageId })
        .whereNull('external_id')
        .update({ external_id: result.externalId, status: 'sent', updated_at: db.fn.now() });
      return result;
    } catch (err) {
      if (err instanceof ChannelSendError && err.permanent) {
        throw ApplicationFailure.create({
          message: err.message,
          type: ErrorType.ChannelPermanentFailure,
          nonRetryable: true,
          details: [{ code: err.providerCode ?? null }],
        });
      }
      throw err;
    }
  },
});
