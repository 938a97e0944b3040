/**
 * draftAiResponse: the AI first response for a conversation in `bot` (DESIGN §3, "AI first
 * response"). Reads the recent thread and the workspace AI settings from Postgres, then decides:
 * 1. AI turned off in the settings, or nothing from the customer to answer → hand over;
 * 2. the customer asked for a person → hand over at once, without a model call;
 * 3. an API key is configured → the model decides (openai-responder.ts);
 * 4. no key → the keyword FAQ fallback (fallback.ts), marked source 'fallback'.
 * It only decides: the workflow sends the reply or signals the handover, so a retry has no side
 * effect to repeat. `source` says which mode ran ('model' whenever a key is configured, including
 * the human-request shortcut), so events can say when the keyless fallback answered.
 */
import { Context } from '@temporalio/activity';
import type { ActivityDeps } from '../deps';
import { asksForHuman, fallbackDecision, humanRequestDecision } from './fallback';
import { createOpenAiResponder, type DecideOptions } from './openai-responder';
import { loadAiSettings } from './settings';
import { latestCustomerTurn, summaryExcerpt, THREAD_LIMIT, type ThreadMessage } from './thread';
import type { AiDecision, DraftAiResponseInput } from './types';

export const AI_DISABLED_REASON = 'AI first response is turned off in the workspace settings';
export const NO_CUSTOMER_MESSAGE_REASON = 'no customer message to answer';

export const createAiActivities = ({ db, ai }: Pick<ActivityDeps, 'db' | 'ai'>) => {
  const apiKey = ai.apiKey;
  const responder = apiKey ? createOpenAiResponder({ ...ai, apiKey }) : undefined;
  const source: AiDecision['source'] = responder ? 'model' : 'fallback';

  return {
    async draftAiResponse({ conversationId }: DraftAiResponseInput): Promise<AiDecision> {
      const context = activityContext();
      const [thread, { settings, valid }] = await Promise.all([loadThread(conversationId), loadAiSettings(db)]);
      if (!valid) context?.log.warn('stored AI settings are invalid; using the defaults', { key: 'ai' });

      const handover = (reason: string, intent: string): AiDecision => ({
        action: 'handover',
        reason,
        summary: summaryExcerpt(thread),
        intent,
        urgency: 'normal',
        source,
      });
      if (!settings.enabled) return handover(AI_DISABLED_REASON, 'unknown');
      if (latestCustomerTurn(thread).length === 0) return handover(NO_CUSTOMER_MESSAGE_REASON, 'unknown');
      if (asksForHuman(thread)) return humanRequestDecision(thread, source);
      if (!responder) return fallbackDecision(thread, settings);

      const options: DecideOptions = context ? { signal: context.cancellationSignal, log: context.log } : {};
      return responder.decide(thread, settings, options);
    },
  };

  /** The last THREAD_LIMIT messages, oldest first (the thread order is sent_at, then id). */
  async function loadThread(conversationId: string): Promise<ThreadMessage[]> {
    const rows: { author_kind: ThreadMessage['authorKind']; type: string; body: string | null }[] = await db('messages')
      .where({ conversation_id: conversationId })
      .orderBy([
        { column: 'sent_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(THREAD_LIMIT)
      .select('author_kind', 'type', 'body');
    return rows.reverse().map((row) => ({ authorKind: row.author_kind, type: row.type, body: row.body }));
  }
};

/** The running activity's context, or undefined when called directly (tests, scripts). */
function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}
