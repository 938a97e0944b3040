/**
 * The one interface every messaging channel implements (STYLE §5). Provider JSON never leaves
 * the adapter module: the rest of the product sees these normalised shapes only. Every shape
 * here is plain JSON (strings, numbers, booleans, arrays, records; times as epoch ms), because
 * events and outbound messages travel through workflow signals, history and the projection.
 */
export type ChannelKind = 'whatsapp' | 'messenger' | 'instagram';

/**
 * Who wrote to us. `key` is the stable identity the conversation is keyed on: WhatsApp's
 * business-scoped user id, else its wa_id (WIRE.md §1.4); Messenger's PSID; Instagram's IGSID
 * (WIRE.md §4.2-4.3). Messenger and Instagram webhooks carry no name.
 */
export interface InboundContact {
  key: string;
  waId?: string;
  userId?: string;
  displayName?: string;
}

/** A plain JSON value (for provider data we keep verbatim, e.g. a WhatsApp Flow's response). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export type MediaKind = 'image' | 'audio' | 'video' | 'document' | 'sticker';

/**
 * A photo, voice note, video, file or sticker. Bytes are never inline (WIRE.md §1.3): WhatsApp
 * gives a `mediaId` to download with the two-step flow of WIRE.md §2.5 (valid 7 days);
 * Messenger and Instagram give a temporary CDN `url` (WIRE.md §4.2). Either way a media
 * activity copies the bytes to our storage soon after receipt.
 */
export interface InboundMedia {
  type: 'media';
  mediaKind: MediaKind;
  /** WhatsApp media id. */
  mediaId?: string;
  /** Messenger / Instagram CDN link (no token needed; expires). */
  url?: string;
  mimeType?: string;
  /** As WhatsApp's webhook gives it (base64 in Meta's examples; WIRE.md §1.6). */
  sha256?: string;
  caption?: string;
  filename?: string;
  /** A recorded voice note rather than an audio file (WhatsApp). */
  voice?: boolean;
  /** An animated sticker (WhatsApp). */
  animated?: boolean;
}

/** A pin the customer dropped; name/address/url only for a chosen place (WIRE.md §1.6). */
export interface InboundLocation {
  type: 'location';
  latitude: number;
  longitude: number;
  name?: string;
  address?: string;
  url?: string;
}

/** One shared contact card, compacted to what an agent needs (WIRE.md §1.6 `contacts`). */
export interface SharedContact {
  /** formatted_name, else first + last name; '' when the card has no name at all. */
  name: string;
  phones: { phone: string; waId?: string; type?: string }[];
  emails: { email: string; type?: string }[];
  organization?: string;
}

export interface InboundContacts {
  type: 'contacts';
  contacts: SharedContact[];
}

/**
 * The customer tapped something we sent. `id` is the id/payload we chose when sending, `title`
 * what the customer saw. WhatsApp: interactive `button` / `list` replies and `flow` completions
 * (nfm_reply: id = flow name, title = body, responseJson = the parsed response_json);
 * Messenger/Instagram: `postback` (button, Get Started, ice breaker: id = payload, '' when
 * Meta withheld it because another app sent the button; WIRE.md §4.2) and `quick_reply`.
 */
export interface InboundInteractiveReply {
  type: 'interactive_reply';
  replyKind: 'button' | 'list' | 'flow' | 'postback' | 'quick_reply';
  id: string;
  title: string;
  description?: string;
  responseJson?: JsonValue;
}

/** A WhatsApp template quick-reply button tap (not an interactive reply; WIRE.md §1.6). */
export interface InboundTemplateButton {
  type: 'button';
  text: string;
  payload: string;
}

/**
 * The customer reacted to a message in the thread (usually ours). No new bubble: it updates the
 * target message. `emoji: null` removes the reaction (WIRE.md §1.6; Messenger `unreact`).
 */
export interface InboundReaction {
  type: 'reaction';
  emoji: string | null;
  targetExternalId: string;
}

export type InboundContent =
  | { type: 'text'; text: string }
  | InboundMedia
  | InboundLocation
  | InboundContacts
  | InboundInteractiveReply
  | InboundTemplateButton
  | InboundReaction
  /** Anything this build does not understand yet: kept as a visible placeholder, never dropped. */
  | { type: 'unsupported'; providerType: string };

/** A provider error code as delivered in webhooks (WIRE.md §1.6-1.8). Key on `code`, not text. */
export interface ProviderError {
  code: number;
  title: string;
  details?: string;
}

/**
 * Where the customer came from: a Click-to-WhatsApp ad (WIRE.md §1.5 `referral`) or a Messenger
 * ad / m.me link (WIRE.md §4.2 postback `referral`). Only on the first message, in practice.
 */
export interface InboundReferral {
  /** WhatsApp `source_type` (`ad`, `post`); Messenger `source` (`ADS`, `SHORTLINK`, …). */
  sourceType?: string;
  /** WhatsApp `source_id`; Messenger `ad_id`. */
  sourceId?: string;
  sourceUrl?: string;
  headline?: string;
  body?: string;
  /** WhatsApp `media_type` of the ad (`image`, `video`). */
  mediaType?: string;
  /** The ad's image or video URL. */
  mediaUrl?: string;
  /** Click-to-WhatsApp click id, for conversion reporting. */
  ctwaClid?: string;
  /** Messenger m.me `ref` parameter. */
  ref?: string;
}

export interface InboundMessageEvent {
  kind: 'message';
  /** Our side of the chat: WhatsApp `metadata.phone_number_id`; Messenger page id; Instagram account id. */
  channelExternalId: string;
  /**
   * Provider message id (wamid, mid): the dedupe key, unique per channel. Where Meta gives an
   * event no id of its own (Messenger reactions, extra attachments of one message) the adapter
   * derives a stable one from the event, so a redelivery dedupes the same way.
   */
  externalId: string;
  /** Provider timestamp, epoch milliseconds. */
  sentAt: number;
  contact: InboundContact;
  content: InboundContent;
  /** The external id of the message this one quotes (WhatsApp `context.id`, Messenger `reply_to.mid`). */
  replyTo?: string;
  /** WhatsApp: forwarded at most 5 times (`context.forwarded`). */
  forwarded?: boolean;
  /** WhatsApp: forwarded more than 5 times (`context.frequently_forwarded`). */
  frequentlyForwarded?: boolean;
  referral?: InboundReferral;
  /** Errors Meta attached to this message, e.g. 131051 on an `unsupported` one (WIRE.md §1.6). */
  errors?: ProviderError[];
}

export type DeliveryStatus = 'sent' | 'delivered' | 'read' | 'failed';

export interface InboundStatusEvent {
  kind: 'status';
  channelExternalId: string;
  /** The provider id of the message we sent. */
  externalId: string;
  status: DeliveryStatus;
  at: number;
  error?: ProviderError;
}

/**
 * Messenger delivery/read receipts by watermark (WIRE.md §4.2): every message we sent to this
 * contact on this channel at or before `upTo` reached `status`. Apply it to all our outbound
 * messages of the conversation with sentAt <= upTo, monotonically (never downgrade).
 */
export interface InboundWatermarkEvent {
  kind: 'watermark';
  channelExternalId: string;
  /** The customer whose thread it is (PSID). */
  contactKey: string;
  status: 'delivered' | 'read';
  /** Epoch ms. */
  upTo: number;
  at: number;
}

/**
 * Something our own Page/Instagram account sent (`is_echo`, WIRE.md §4.2-4.3): our app's sends
 * (already stored, same externalId; `clientRef` is the metadata we passed) and replies typed by a
 * human in Meta Business Suite or another app (`appId` differs). Never a customer message.
 */
export interface InboundEchoEvent {
  kind: 'echo';
  channelExternalId: string;
  externalId: string;
  sentAt: number;
  /** The customer the message went to (sender and recipient already swapped). */
  contactKey: string;
  /** The Meta app that sent it. */
  appId?: string;
  /** Our outbound message id, when we sent it (echoed `message.metadata`). */
  clientRef?: string;
  content: InboundContent;
}

/** Out-of-band errors Meta reported for a channel (WhatsApp `value.errors[]`, WIRE.md §1.7): log and surface. */
export interface InboundErrorEvent {
  kind: 'error';
  channelExternalId: string;
  errors: ProviderError[];
}

export type InboundEvent =
  InboundMessageEvent | InboundStatusEvent | InboundWatermarkEvent | InboundEchoEvent | InboundErrorEvent;

/** Server-side channel secrets, loaded by activities from the channels table (never in workflow history). */
export interface ChannelCredentials {
  /** WhatsApp phone_number_id, Messenger page id, Instagram account id. */
  externalId: string;
  accessToken: string;
}

/** The only Messenger/Instagram message tag an inbox uses (WIRE.md §4.4-4.5). */
export type MessageTag = 'HUMAN_AGENT';

interface OutboundBase {
  /**
   * The recipient as the provider expects it: WhatsApp wa_id digits (the adapter adds the '+')
   * or a business-scoped user id; Messenger PSID; Instagram IGSID.
   */
  to: string;
  /** Our own id for the message; echoed back by the provider (status callbacks, echoes) where supported. */
  clientRef?: string;
  /** Provider id of the message this one quotes (WhatsApp only; Messenger/Instagram send unquoted). */
  replyToExternalId?: string;
  /**
   * Messenger/Instagram: send with `messaging_type: MESSAGE_TAG` and this tag, as `replyPolicy`
   * says between 24 h and 7 days. Absent: `RESPONSE`. WhatsApp ignores it.
   */
  tag?: MessageTag;
}

export interface OutboundText extends OutboundBase {
  type: 'text';
  text: string;
}

/** A file by provider media id (WhatsApp upload id, Messenger attachment_id) or by public link; never both. */
export interface OutboundMedia extends OutboundBase {
  type: 'media';
  mediaKind: MediaKind;
  mediaId?: string;
  link?: string;
  /** Not for audio or stickers (WIRE.md §2.2); WhatsApp only. */
  caption?: string;
  /** Documents only; WhatsApp only. */
  filename?: string;
}

export type TemplateHeader =
  | { type: 'text'; text: string }
  | { type: 'image' | 'video' | 'document'; mediaId?: string; link?: string; filename?: string };

/** A button of the template that takes a parameter; `index` is its 0-based position in the template. */
export type TemplateButton =
  { subType: 'quick_reply'; index: number; payload: string } | { subType: 'url'; index: number; text: string };

/**
 * An approved WhatsApp template, the only message allowed outside the 24-hour window
 * (WIRE.md §2.2, §3.1). `parameters`: positional body values `{{1}}, {{2}}, …` in order, or a
 * record for named templates (`{{first_name}}`).
 */
export interface OutboundTemplate extends OutboundBase {
  type: 'template';
  name: string;
  /** Exactly as approved, e.g. `en_GB` (`en` is not `en_US`). */
  language: string;
  parameters?: string[] | Record<string, string>;
  header?: TemplateHeader;
  buttons?: TemplateButton[];
}

/** Up to 3 reply buttons (titles at most 20 characters, unique). Messenger/Instagram: quick replies. */
export interface OutboundButtons extends OutboundBase {
  type: 'interactive_buttons';
  body: string;
  header?: string;
  footer?: string;
  buttons: { id: string; title: string }[];
}

/** A WhatsApp list message: one button opening up to 10 sections with at most 10 rows in total. */
export interface OutboundList extends OutboundBase {
  type: 'interactive_list';
  body: string;
  header?: string;
  footer?: string;
  /** The label of the button that opens the list. */
  buttonText: string;
  sections: { title?: string; rows: { id: string; title: string; description?: string }[] }[];
}

/** React to a message we received; an empty emoji removes our reaction (WhatsApp, WIRE.md §2.2). */
export interface OutboundReaction extends OutboundBase {
  type: 'reaction';
  targetExternalId: string;
  emoji: string;
}

export type OutboundMessage =
  OutboundText | OutboundMedia | OutboundTemplate | OutboundButtons | OutboundList | OutboundReaction;

export interface SendResult {
  /** The provider's message id (wamid, mid), the correlation key for status callbacks. */
  externalId: string;
}

export interface MarkReadRequest {
  /** The customer's message to mark read (WhatsApp marks it and every earlier one). */
  externalId: string;
  /** The customer (Messenger/Instagram mark the whole thread seen by PSID/IGSID). */
  to: string;
  /** Also show a typing indicator: only when a reply is really coming (WIRE.md §2.2). */
  typing?: boolean;
}

/**
 * What a reply may be right now, from the customer's last message time (pure; DESIGN §3 `reply`).
 * `freeForm`: any message type may be sent. `templates`: an approved template may be sent (WhatsApp
 * only). `tag`: send free-form messages with this tag (Messenger/Instagram 24 h - 7 days).
 * `reason`: for the agent, why replies are restricted or tagged.
 */
export interface ReplyPolicy {
  freeForm: boolean;
  templates: boolean;
  tag?: MessageTag;
  reason?: string;
}

/** What `fetchMedia` downloads: the bytes and what the provider says they are. */
export interface FetchedMedia {
  bytes: Buffer;
  mimeType: string;
  /** The provider's checksum of the bytes, when it gives one (WhatsApp: from the media GET). */
  sha256?: string;
}

export interface ChannelAdapter {
  readonly kind: ChannelKind;
  verifySignature(rawBody: Buffer, signature: string | undefined, appSecret: string): boolean;
  /** Throws WebhookPayloadError for a body that is not a valid webhook of this channel. */
  parseWebhook(body: unknown): InboundEvent[];
  /**
   * Throws OutboundValidationError (permanent, before any request) for a message this channel
   * cannot carry, and ChannelSendError (permanent or transient) when the provider refuses.
   */
  send(channel: ChannelCredentials, msg: OutboundMessage): Promise<SendResult>;
  /** Read receipt (and optional typing indicator) for a customer's message. Throws ChannelSendError. */
  markRead(channel: ChannelCredentials, read: MarkReadRequest): Promise<void>;
  /** The channel's reply-window rule (WhatsApp 24 h + templates; Messenger/Instagram 24 h + HUMAN_AGENT 7 days). */
  replyPolicy(lastInboundAt: number | null, now: number): ReplyPolicy;
  /** Downloads an inbound media item's bytes. Throws ChannelSendError (404/expired: permanent). */
  fetchMedia(channel: ChannelCredentials, media: Pick<InboundMedia, 'mediaId' | 'url'>): Promise<FetchedMedia>;
}

/** A webhook body that is not what the provider documents: answered with 400, nothing stored. */
export class WebhookPayloadError extends Error {
  override readonly name = 'WebhookPayloadError';
}

/** Why a send failed, for mapping to product behaviour without matching on codes or text. */
export type SendFailureCategory =
  | 'window_closed'
  | 'undeliverable'
  | 'template'
  | 'rate_limited'
  | 'auth'
  | 'account'
  | 'invalid_request'
  | 'unavailable'
  | 'unknown';

/**
 * A provider refusal. `permanent` failures (closed window, undeliverable, bad template, auth)
 * must not be retried; transient ones (throughput, pair rate, 5xx, network) are retried by Temporal.
 * `reason` is a short human explanation for the agent (no numbers, no tokens).
 */
export class ChannelSendError extends Error {
  override readonly name: string = 'ChannelSendError';
  readonly reason: string;
  readonly category: SendFailureCategory;
  readonly providerSubcode?: number;
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly providerCode?: number,
    readonly httpStatus?: number,
    extra: { reason?: string; category?: SendFailureCategory; subcode?: number } = {},
  ) {
    super(message);
    this.reason = extra.reason ?? message;
    this.category = extra.category ?? 'unknown';
    if (extra.subcode !== undefined) this.providerSubcode = extra.subcode;
  }
}

/**
 * A message this channel cannot carry (limits of WIRE.md §2.2, §4.4 or a type the channel lacks),
 * found before any request: permanent, and the message says which rule was broken.
 */
export class OutboundValidationError extends ChannelSendError {
  override readonly name: string = 'OutboundValidationError';
  constructor(message: string) {
    super(message, true, undefined, undefined, { reason: message, category: 'invalid_request' });
  }
}
