/**
 * The recent thread as the AI first response sees it, and the few pure helpers both deciders
 * (the model and the keyless fallback) share: which messages are the customer's latest turn, and
 * a short single-line summary of it for the agent who may pick the conversation up.
 */

/** One row of `messages`, reduced to what the AI needs (no ids, no provider payloads). */
export interface ThreadMessage {
  authorKind: 'contact' | 'agent' | 'ai' | 'system';
  /** WhatsApp message type: text, image, audio, … */
  type: string;
  /** Null for non-text messages. */
  body: string | null;
}

/** How many of the most recent messages the AI reads (enough context, bounded prompt size). */
export const THREAD_LIMIT = 20;

const SUMMARY_MAX_CHARS = 200;

/**
 * The customer's messages since the business last spoke (agent, AI or system), oldest first.
 * A customer often splits one request over several messages ("hi", "can I talk to a person?"),
 * so the rules look at the whole turn, not only the very last bubble.
 */
export function latestCustomerTurn(thread: readonly ThreadMessage[]): ThreadMessage[] {
  const turn: ThreadMessage[] = [];
  for (let i = thread.length - 1; i >= 0; i--) {
    const message = thread[i];
    if (!message || message.authorKind !== 'contact') break;
    turn.unshift(message);
  }
  return turn;
}

/** What a message says, with a placeholder for media so the model knows something was sent. */
export function messageText(message: ThreadMessage): string {
  const body = message.body?.trim();
  return body ? body : `[${message.type} message]`;
}

/** The text bodies of the customer's latest turn, joined; empty when they sent only media. */
export function latestCustomerText(thread: readonly ThreadMessage[]): string {
  return latestCustomerTurn(thread)
    .map((message) => message.body?.trim() ?? '')
    .filter(Boolean)
    .join('\n');
}

/** A single line of at most 200 characters quoting the customer's latest turn. */
export function summaryExcerpt(thread: readonly ThreadMessage[]): string {
  const turn = latestCustomerTurn(thread);
  if (turn.length === 0) return 'No customer message yet.';
  const text = `Customer wrote: ${turn.map(messageText).join(' ').replace(/\s+/g, ' ').trim()}`;
  // Code points, not UTF-16 units: never cut an emoji in half.
  const chars = Array.from(text);
  return chars.length <= SUMMARY_MAX_CHARS
    ? text
    : `${chars
        .slice(0, SUMMARY_MAX_CHARS - 1)
        .join('')
        .trimEnd()}…`;
}
