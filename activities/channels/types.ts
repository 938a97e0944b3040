/**
 * The one interface every messaging channel implements (STYLE §5). Provider JSON never leaves
 * the adapter module: the rest of the product sees these normalised shapes only.
 */
export type ChannelKind = 'whatsapp' | 'messenger' | 'instagram';

/** Who wrote to us. `key` is the stable identity the conversation is keyed on (WIRE.md §1.4). */
export interface InboundContact {
  key: string;
  waId?: string;
  userId?: string;
  displayName?: string;
}

export type InboundContent =
  | { type: 'text'; text: string }
  /** Anything this build does not understand yet: kept as a visible placeholder, never dropped. */
  | { type: 'unsupported'; providerType: string };

export interface InboundMessageEvent {
  kind: 'message';
  /** The provider's id of our side of the chat: WhatsApp `metadata.phone_number_id`. */
  channelExternalId: string;
  /** Provider message id (wamid): the dedupe key, unique per channel. */
  externalId: string;
  /** Provider timestamp, epoch milliseconds. */
  sentAt: number;
  contact: InboundContact;
  content: InboundContent;
}

export type DeliveryStatus = 'sent' | 'delivered' | 'read' | 'failed';

export interface InboundStatusEvent {
  kind: 'status';
  channelExternalId: string;
  /** The provider id of the message we sent. */
  externalId: string;
  status: DeliveryStatus;
  at: number;
  error?: { code: number; title: string; details?: string };
}

export type InboundEvent = InboundMessageEvent | InboundStatusEvent;

/** Server-side channel secrets, loaded by activities from the channels table (never in workflow history). */
export interface ChannelCredentials {
  /** WhatsApp phone_number_id, Messenger page id, Instagram account id. */
  externalId: string;
  accessToken: string;
}

export interface OutboundText {
  type: 'text';
  /** The recipient as the provider expects it (WhatsApp: wa_id digits; the adapter adds the '+'). */
  to: string;
  text: string;
  /** Our own id for the message; echoed back by the provider in status callbacks where supported. */
  clientRef?: string;
  /** Provider id of the message this one quotes. */
  replyToExternalId?: string;
}

export type OutboundMessage = OutboundText;

export interface SendResult {
  /** The provider's message id (wamid), the correlation key for status callbacks. */
  externalId: string;
}

export interface ChannelAdapter {
  readonly kind: ChannelKind;
  verifySignature(rawBody: Buffer, signature: string | undefined, appSecret: string): boolean;
  /** Throws WebhookPayloadError for a body that is not a valid webhook of this channel. */
  parseWebhook(body: unknown): InboundEvent[];
  /** Throws ChannelSendError (permanent or transient) when the provider refuses. */
  send(channel: ChannelCredentials, msg: OutboundMessage): Promise<SendResult>;
}

/** A webhook body that is not what the provider documents: answered with 400, nothing stored. */
export class WebhookPayloadError extends Error {
  override readonly name = 'WebhookPayloadError';
}

/**
 * A provider refusal. `permanent` failures (closed window, undeliverable, bad template, auth)
 * must not be retried; transient ones (throughput, pair rate, 5xx, network) are retried by Temporal.
 */
export class ChannelSendError extends Error {
  override readonly name = 'ChannelSendError';
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly providerCode?: number,
    readonly httpStatus?: number,
  ) {
    super(message);
  }
}
