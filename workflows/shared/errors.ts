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
} as const;

export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];
