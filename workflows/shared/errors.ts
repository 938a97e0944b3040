/**
 * Error types that cross the workflow boundary (ApplicationFailure.type). A closed set:
 * callers match on these codes, never on message text (STYLE §9).
 */
export const ErrorType = {
  /** The provider refused for good (closed window, undeliverable, bad template, auth). */
  ChannelPermanentFailure: 'ChannelPermanentFailure',
  /** An update's input broke a rule of the conversation. */
  InvalidInput: 'InvalidInput',
  /** The conversation is not ready for this action yet (its first message is still being recorded). */
  NotReady: 'NotReady',
  /** Someone else already owns the conversation: a claim or a routing offer lost the race. */
  AlreadyOwned: 'AlreadyOwned',
  /** The conversation is resolved: reopen it first. */
  ConversationResolved: 'ConversationResolved',
  /** The AI provider refused for good (bad key, unknown model, rejected request): hand over instead of retrying. */
  AiUnavailable: 'AiUnavailable',
  /**
   * A free-form reply outside the channel's reply window (WhatsApp 24 h, Messenger/Instagram 7 days):
   * refused by the `reply` validator, or by the send activity when a queued message outlived the window.
   */
  ReplyWindowClosed: 'ReplyWindowClosed',
} as const;

export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];
