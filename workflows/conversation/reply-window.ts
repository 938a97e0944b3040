/**
 * The reply-window rule, pure and workflow-safe (no Node, no I/O), keyed on channel kind. It is a
 * copy of the adapters' `replyPolicy` (activities/channels/whatsapp.ts, meta-messaging.ts), which
 * workflow code may not import at runtime; test/unit/reply-window.test.ts checks the two agree.
 *
 * - WhatsApp (WIRE.md §3.1): free-form messages within 24 hours of the customer's last message;
 *   approved templates always, including before the customer ever wrote.
 * - Messenger / Instagram (WIRE.md §4.5): a standard (`RESPONSE`) reply within 24 hours; a human
 *   agent's reply tagged `HUMAN_AGENT` until 7 days; nothing after that until the customer writes.
 *
 * The window is measured from the customer's message timestamp, not our receive time, and a
 * boundary instant belongs to the later period (`elapsed < 24 h` is inside), as in the adapters.
 * The workflow's `reply` validator, the `state` query and the web composer all use this function.
 */
import type { ChannelKind } from '../../activities/channels/types';

export const HOUR_MS = 3_600_000;
/** WhatsApp's customer service window and Messenger/Instagram's standard messaging window. */
export const CUSTOMER_SERVICE_WINDOW_MS = 24 * HOUR_MS;
/** How long after the customer's last message a HUMAN_AGENT-tagged reply may go out. */
export const HUMAN_AGENT_WINDOW_MS = 7 * 24 * HOUR_MS;

export interface ReplyWindow {
  /** A free-form reply (text, media, …) may be sent now. */
  freeForm: boolean;
  /**
   * When free-form replies stop being allowed (epoch ms): WhatsApp 24 h, Messenger/Instagram 7 days
   * after the customer's last message. In the past once closed; null when the customer never wrote.
   */
  closesAt: number | null;
  /** Only an approved template may be sent now (WhatsApp outside the window). */
  templatesOnly: boolean;
  /** Free-form replies go out with this tag (Messenger/Instagram between 24 h and 7 days). */
  tag?: 'HUMAN_AGENT';
}

/** Whether the channel has approved templates at all (WhatsApp only; WIRE.md §2.2). */
export function templatesAllowed(kind: ChannelKind): boolean {
  return kind === 'whatsapp';
}

export function replyWindow(kind: ChannelKind, lastInboundAt: number | null, now: number): ReplyWindow {
  if (kind === 'whatsapp') {
    if (lastInboundAt === null) return { freeForm: false, closesAt: null, templatesOnly: true };
    const closesAt = lastInboundAt + CUSTOMER_SERVICE_WINDOW_MS;
    const open = now < closesAt;
    return { freeForm: open, closesAt, templatesOnly: !open };
  }
  if (lastInboundAt === null) return { freeForm: false, closesAt: null, templatesOnly: false };
  const closesAt = lastInboundAt + HUMAN_AGENT_WINDOW_MS;
  if (now < lastInboundAt + CUSTOMER_SERVICE_WINDOW_MS) return { freeForm: true, closesAt, templatesOnly: false };
  if (now < closesAt) return { freeForm: true, closesAt, templatesOnly: false, tag: 'HUMAN_AGENT' };
  return { freeForm: false, closesAt, templatesOnly: false };
}

const CHANNEL_NAMES: Record<ChannelKind, string> = {
  whatsapp: 'WhatsApp',
  messenger: 'Messenger',
  instagram: 'Instagram',
};

/**
 * Why a free-form reply is refused now, for the agent (null when it is allowed). Times are ISO
 * (UTC) so the text is the same in a workflow, the API and the browser.
 */
export function closedWindowMessage(kind: ChannelKind, window: ReplyWindow): string | null {
  if (window.freeForm) return null;
  const name = CHANNEL_NAMES[kind];
  const at = window.closesAt === null ? null : new Date(window.closesAt).toISOString();
  if (kind === 'whatsapp') {
    return at === null
      ? 'The customer has not written on WhatsApp yet; send an approved template instead'
      : `The 24-hour WhatsApp window closed at ${at}; send an approved template instead`;
  }
  return at === null
    ? `The customer has not written on ${name} yet; replies open once they do`
    : `The 7-day ${name} reply window closed at ${at}; the customer has to write again first`;
}
