/** Server helpers of the thread page: the reply window, a bounded live-state query, settling. */
import type { Actor } from '../../../api/services/auth.service';
import type { ConversationStateView } from '../../../api/services/conversation-actions.service';
import type { InboxService } from '../../../api/services/inbox.service';
import {
  closedWindowMessage,
  replyWindow,
  templatesAllowed,
  type ReplyWindow,
} from '../../../workflows/conversation/contract';

type ChannelKind = 'whatsapp' | 'messenger' | 'instagram';

export interface WindowView extends ReplyWindow {
  /** Why free text is refused now, for the composer (null while it is allowed). */
  closedReason: string | null;
  templatesAllowed: boolean;
}

/**
 * The 24-hour window for the composer: the workflow's own answer when its `state` query carries
 * one, else the same rule computed from the projection's `last_inbound_at`.
 */
export function windowFor(
  kind: string,
  lastInboundAt: string | null,
  state: (ConversationStateView & { replyWindow?: ReplyWindow }) | null,
  now = Date.now(),
): WindowView {
  const channel = kind as ChannelKind;
  const window = state?.replyWindow ?? replyWindow(channel, lastInboundAt ? Date.parse(lastInboundAt) : null, now);
  return { ...window, closedReason: closedWindowMessage(channel, window), templatesAllowed: templatesAllowed(channel) };
}

/** The workflow's live state, or null when it does not answer quickly (the page still renders). */
export async function liveState(work: Promise<ConversationStateView>, timeoutMs = 1500) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), timeoutMs);
  });
  try {
    return await Promise.race([work.catch(() => null), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Signals are accepted before the workflow has projected their effect. Waits (briefly, bounded)
 * until the projection moved past `version`, so the page the action returns to already shows it;
 * live updates cover anything slower.
 */
export async function settled(inbox: InboxService, actor: Actor, conversationId: string, version: number) {
  const deadline = Date.now() + 2500;
  while (Date.now() < deadline) {
    const row = await inbox.getConversation(actor, conversationId).catch(() => null);
    if (!row || row.version > version) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
