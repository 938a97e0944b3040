/**
 * WhatsApp Cloud API adapter (STYLE §5). Inbound: Meta POSTs `object: whatsapp_business_account`
 * envelopes signed with the app secret (WIRE.md §1.2, §1.4); we verify the signature over the raw
 * bytes and turn every message (every type of WIRE.md §1.6), status and value-level error into
 * normalised InboundEvents. Outbound: text, media, templates, reply buttons, lists and reactions
 * are POSTed to `/<version>/<phone_number_id>/messages` (WIRE.md §2.1-2.2), read receipts to the
 * same edge; the answer is the wamid or a ChannelSendError classified permanent/transient from
 * Meta's error code (WIRE.md §2.4). Media is downloaded with the two-step flow of WIRE.md §2.5.
 * Provider JSON never leaves this module.
 */
import { z } from 'zod';
import {
  checkButtons,
  checkLength,
  classifyByHttpStatus,
  compact,
  downloadMedia,
  graphFetch,
  graphPost,
  graphRefusal,
  graphVersionUrl,
  parseOrThrow,
  payloadError,
  type ErrorClass,
  type GraphOptions,
  type PathSegment,
} from './meta-messaging';
import { jsonWithoutNegativeZero, withoutNegativeZero } from './negative-zero';
import { verifyMetaSignature } from './signature';
import {
  ChannelSendError,
  OutboundValidationError,
  type ChannelAdapter,
  type ChannelCredentials,
  type DeliveryStatus,
  type FetchedMedia,
  type InboundContact,
  type InboundContent,
  type InboundEvent,
  type InboundMedia,
  type InboundReferral,
  type JsonValue,
  type MarkReadRequest,
  type MediaKind,
  type OutboundMessage,
  type OutboundTemplate,
  type ProviderError,
  type ReplyPolicy,
  type SendResult,
  type SharedContact,
} from './types';

export type WhatsAppAdapterOptions = GraphOptions;

const PROVIDER = 'WhatsApp';

export function createWhatsAppAdapter(opts: WhatsAppAdapterOptions): ChannelAdapter {
  const fetchImpl = opts.fetch ?? fetch;
  const baseUrl = graphVersionUrl(opts);
  return {
    kind: 'whatsapp',
    verifySignature: verifyMetaSignature,
    parseWebhook,
    send: (channel, msg) => sendMessage(fetchImpl, baseUrl, channel, msg),
    markRead: (channel, read) => markRead(fetchImpl, baseUrl, channel, read),
    replyPolicy: whatsAppReplyPolicy,
    fetchMedia: (channel, media) => fetchMedia(fetchImpl, baseUrl, channel, media),
  };
}

// ---------------------------------------------------------------------------------------------
// Customer service window (WIRE.md §3.1)

export const CUSTOMER_SERVICE_WINDOW_MS = 24 * 3_600_000;

/**
 * Free-form messages within 24 hours of the customer's last message; templates always. The
 * window is computed from the message's own timestamp, not our receive time (WIRE.md §3.1).
 */
export function whatsAppReplyPolicy(lastInboundAt: number | null, now: number): ReplyPolicy {
  if (lastInboundAt === null) {
    return {
      freeForm: false,
      templates: true,
      reason: 'The customer has not written yet: only an approved template can start the conversation.',
    };
  }
  if (now - lastInboundAt < CUSTOMER_SERVICE_WINDOW_MS) return { freeForm: true, templates: true };
  return {
    freeForm: false,
    templates: true,
    reason: 'More than 24 hours since the customer last wrote: only an approved template can be sent.',
  };
}

// ---------------------------------------------------------------------------------------------
// Webhook schemas (WIRE.md §1.4-1.8). Loose objects: Meta adds fields without notice.

/** All WhatsApp timestamps are strings of Unix seconds (WIRE.md §1.4). */
const unixSeconds = z.string().regex(/^\d+$/, 'expected a string of Unix seconds');

const envelopeSchema = z.looseObject({
  object: z.literal('whatsapp_business_account'),
  entry: z.array(
    z.looseObject({
      changes: z.array(z.looseObject({ field: z.string(), value: z.unknown() })),
    }),
  ),
});

const contactSchema = z.looseObject({
  wa_id: z.string().optional(),
  user_id: z.string().optional(),
  profile: z.looseObject({ name: z.string().optional() }).optional(),
});

const graphErrorSchema = z.looseObject({
  code: z.number().int().transform(withoutNegativeZero),
  title: z.string().optional(),
  message: z.string().optional(),
  error_data: z.looseObject({ details: z.string().optional() }).optional(),
});

/** Side information is read leniently: a malformed one is dropped, never the message (WIRE.md §1.7). */
const contextSchema = z
  .looseObject({
    id: z.string().optional(),
    forwarded: z.boolean().optional(),
    frequently_forwarded: z.boolean().optional(),
  })
  .optional()
  .catch(undefined);

const referralSchema = z
  .looseObject({
    source_url: z.string().optional(),
    source_id: z.string().optional(),
    source_type: z.string().optional(),
    headline: z.string().optional(),
    body: z.string().optional(),
    media_type: z.string().optional(),
    image_url: z.string().optional(),
    video_url: z.string().optional(),
    ctwa_clid: z.string().optional(),
  })
  .optional()
  .catch(undefined);

const messageSchema = z
  .looseObject({
    id: z.string().min(1),
    timestamp: unixSeconds,
    type: z.string().min(1),
    from: z.string().optional(),
    from_user_id: z.string().optional(),
    text: z.looseObject({ body: z.string() }).optional(),
    context: contextSchema,
    referral: referralSchema,
    errors: z.array(graphErrorSchema).optional().catch(undefined),
  })
  .superRefine((message, ctx) => {
    if (message.type === 'text' && message.text === undefined) {
      ctx.addIssue({ code: 'custom', path: ['text', 'body'], message: 'a text message needs text.body' });
    }
  });

const statusSchema = z.looseObject({
  id: z.string().min(1),
  // A plain string: 'played' and future values must not fail the whole batch (WIRE.md §1.8).
  status: z.string(),
  timestamp: unixSeconds,
  errors: z.array(graphErrorSchema).optional(),
});

const messagesValueSchema = z.looseObject({
  metadata: z.looseObject({ phone_number_id: z.string().min(1) }),
  contacts: z.array(contactSchema).optional(),
  messages: z.array(messageSchema).optional(),
  statuses: z.array(statusSchema).optional(),
  errors: z.array(graphErrorSchema).optional(),
});

// Per-type sub-objects (WIRE.md §1.6), parsed only for their own type; a missing or malformed
// one turns the message into an `unsupported` placeholder instead of failing the batch (§1.7).

const mediaSchema = z.looseObject({
  id: z.string().min(1),
  mime_type: z.string().optional(),
  sha256: z.string().optional(),
  caption: z.string().optional(),
  filename: z.string().optional(),
  voice: z.boolean().optional(),
  animated: z.boolean().optional(),
});

const coordinate = z
  .union([
    z.number(),
    z
      .string()
      .regex(/^-?\d+(\.\d+)?$/)
      .transform(Number),
  ])
  .transform(withoutNegativeZero);

const locationSchema = z.looseObject({
  latitude: coordinate,
  longitude: coordinate,
  name: z.string().optional(),
  address: z.string().optional(),
  url: z.string().optional(),
});

const sharedContactSchema = z.looseObject({
  name: z
    .looseObject({
      formatted_name: z.string().optional(),
      first_name: z.string().optional(),
      last_name: z.string().optional(),
    })
    .optional(),
  phones: z
    .array(z.looseObject({ phone: z.string().optional(), wa_id: z.string().optional(), type: z.string().optional() }))
    .optional(),
  emails: z.array(z.looseObject({ email: z.string().optional(), type: z.string().optional() })).optional(),
  org: z.looseObject({ company: z.string().optional() }).optional(),
});

const interactiveSchema = z.looseObject({
  type: z.string(),
  button_reply: z.looseObject({ id: z.string(), title: z.string() }).optional(),
  list_reply: z.looseObject({ id: z.string(), title: z.string(), description: z.string().optional() }).optional(),
  nfm_reply: z
    .looseObject({ name: z.string().optional(), body: z.string().optional(), response_json: z.string().optional() })
    .optional(),
});

const templateButtonSchema = z.looseObject({ payload: z.string().optional(), text: z.string() });
const reactionSchema = z.looseObject({ message_id: z.string().min(1), emoji: z.string().optional() });
const unsupportedSchema = z.looseObject({ type: z.string().min(1) });

type WaContact = z.infer<typeof contactSchema>;
type WaMessage = z.infer<typeof messageSchema>;
type WaStatus = z.infer<typeof statusSchema>;
type WaMessagesValue = z.infer<typeof messagesValueSchema>;
type WaGraphError = z.infer<typeof graphErrorSchema>;

// ---------------------------------------------------------------------------------------------
// Webhook parsing

/**
 * Every entry, change, message and status, in payload order: one POST can batch up to 1000
 * updates (WIRE.md §1.3). Only `field: messages` carries messages and statuses; other subscribed
 * fields (template updates, account alerts, …) share the URL and are ignored (WIRE.md §1.4).
 */
function parseWebhook(body: unknown): InboundEvent[] {
  const envelope = parseOrThrow(envelopeSchema, body, [], PROVIDER);
  const events: InboundEvent[] = [];
  envelope.entry.forEach((entry, i) => {
    entry.changes.forEach((change, j) => {
      if (change.field !== 'messages') return;
      const path = ['entry', i, 'changes', j, 'value'];
      const value = parseOrThrow(messagesValueSchema, change.value, path, PROVIDER);
      events.push(...valueEvents(value, path));
    });
  });
  return events;
}

function valueEvents(value: WaMessagesValue, path: PathSegment[]): InboundEvent[] {
  const channelExternalId = value.metadata.phone_number_id;
  const contacts = value.contacts ?? [];
  const messages = (value.messages ?? []).map((message, k): InboundEvent =>
    compact({
      kind: 'message' as const,
      channelExternalId,
      externalId: message.id,
      sentAt: secondsToMs(message.timestamp),
      contact: inboundContact(message, contacts, [...path, 'messages', k]),
      content: inboundContent(message),
      replyTo: message.context?.id,
      forwarded: message.context?.forwarded,
      frequentlyForwarded: message.context?.frequently_forwarded,
      referral: inboundReferral(message),
      errors: message.errors?.length ? message.errors.map(providerError) : undefined,
    }),
  );
  const statuses = (value.statuses ?? []).flatMap((status) => statusEvents(status, channelExternalId));
  // Out-of-band errors alongside messages/statuses: surfaced, never fatal (WIRE.md §1.7).
  const errors: InboundEvent[] = value.errors?.length
    ? [{ kind: 'error', channelExternalId, errors: value.errors.map(providerError) }]
    : [];
  return [...messages, ...statuses, ...errors];
}

/**
 * Keyed on the business-scoped user id when present, else the phone-based wa_id: since 2026 a
 * user with a username may arrive without `from`/`wa_id` at all (WIRE.md §1.4, BSUIDs).
 */
function inboundContact(message: WaMessage, contacts: WaContact[], path: PathSegment[]): InboundContact {
  const contact = senderContact(message, contacts);
  const userId = message.from_user_id ?? contact?.user_id;
  const waId = message.from ?? contact?.wa_id;
  const key = userId ?? waId;
  if (key === undefined) throw payloadError(PROVIDER, [...path, 'from'], 'message has no sender id');
  const displayName = contact?.profile?.name;
  return {
    key,
    ...(waId !== undefined && { waId }),
    ...(userId !== undefined && { userId }),
    ...(displayName !== undefined && { displayName }),
  };
}

/**
 * The `value.contacts[]` entry for this sender. Falls back to the first contact only when it does
 * not contradict the message's own ids, so a batch with several senders never borrows a stranger's
 * user id (and with it, their conversation).
 */
function senderContact(message: WaMessage, contacts: WaContact[]): WaContact | undefined {
  const matches = (c: WaContact) =>
    (message.from_user_id !== undefined && c.user_id === message.from_user_id) ||
    (message.from !== undefined && c.wa_id === message.from);
  const compatible = (c: WaContact) =>
    (message.from_user_id === undefined || c.user_id === undefined || c.user_id === message.from_user_id) &&
    (message.from === undefined || c.wa_id === undefined || c.wa_id === message.from);
  const first = contacts[0];
  return contacts.find(matches) ?? (first && compatible(first) ? first : undefined);
}

const MEDIA_TYPES: readonly MediaKind[] = ['image', 'audio', 'video', 'document', 'sticker'];

/**
 * Every type of WIRE.md §1.6. `order`, `system` (number changes), `request_welcome`, `edit`,
 * `revoke` and unknown types stay visible placeholders named after their type; an `unsupported`
 * message is named after the kind WhatsApp could not deliver (e.g. `poll_creation`).
 */
function inboundContent(message: WaMessage): InboundContent {
  const raw = message as Record<string, unknown>;
  const type = message.type;
  if (type === 'text' && message.text) return { type: 'text', text: message.text.body };
  if ((MEDIA_TYPES as readonly string[]).includes(type)) {
    const media = mediaSchema.safeParse(raw[type]);
    return media.success ? mediaContent(type as MediaKind, media.data) : unsupported(type);
  }
  switch (type) {
    case 'location': {
      const location = locationSchema.safeParse(raw.location);
      if (!location.success) return unsupported(type);
      const { latitude, longitude, name, address, url } = location.data;
      // Pick the fields: loose schemas keep unknown provider keys, which must not leave this module.
      return compact({ type: 'location' as const, latitude, longitude, name, address, url });
    }
    case 'contacts': {
      const cards = z.array(sharedContactSchema).min(1).safeParse(raw.contacts);
      return cards.success ? { type: 'contacts', contacts: cards.data.map(sharedContact) } : unsupported(type);
    }
    case 'interactive':
      return interactiveContent(raw.interactive);
    case 'button': {
      const button = templateButtonSchema.safeParse(raw.button);
      return button.success
        ? { type: 'button', text: button.data.text, payload: button.data.payload ?? '' }
        : unsupported(type);
    }
    case 'reaction': {
      const reaction = reactionSchema.safeParse(raw.reaction);
      // An empty or missing emoji removes the reaction (WIRE.md §1.6).
      return reaction.success
        ? { type: 'reaction', emoji: reaction.data.emoji || null, targetExternalId: reaction.data.message_id }
        : unsupported(type);
    }
    case 'unsupported': {
      const inner = unsupportedSchema.safeParse(raw.unsupported);
      return unsupported(inner.success ? inner.data.type : type);
    }
    default:
      return unsupported(type);
  }
}

function unsupported(providerType: string): InboundContent {
  return { type: 'unsupported', providerType };
}

/**
 * Only the id and metadata: bytes are fetched later by `fetchMedia` (WIRE.md §2.5). The webhook's
 * `url` is left out on purpose: it needs the token anyway and expires within minutes.
 */
function mediaContent(mediaKind: MediaKind, media: z.infer<typeof mediaSchema>): InboundMedia {
  return compact({
    type: 'media' as const,
    mediaKind,
    mediaId: media.id,
    mimeType: media.mime_type,
    sha256: media.sha256,
    caption: media.caption,
    filename: media.filename,
    voice: media.voice,
    animated: media.animated,
  });
}

function sharedContact(card: z.infer<typeof sharedContactSchema>): SharedContact {
  const fullName = [card.name?.first_name, card.name?.last_name].filter((p) => p).join(' ');
  return compact({
    name: card.name?.formatted_name || fullName,
    phones: (card.phones ?? []).flatMap((p) =>
      p.phone || p.wa_id ? [compact({ phone: p.phone ?? p.wa_id ?? '', waId: p.wa_id, type: p.type })] : [],
    ),
    emails: (card.emails ?? []).flatMap((e) => (e.email ? [compact({ email: e.email, type: e.type })] : [])),
    organization: card.org?.company,
  });
}

/** Button and list replies, and Flow completions whose `response_json` is a JSON string (WIRE.md §1.6). */
function interactiveContent(raw: unknown): InboundContent {
  const parsed = interactiveSchema.safeParse(raw);
  if (!parsed.success) return unsupported('interactive');
  const { type, button_reply: button, list_reply: list, nfm_reply: flow } = parsed.data;
  if (type === 'button_reply' && button) {
    return { type: 'interactive_reply', replyKind: 'button', id: button.id, title: button.title };
  }
  if (type === 'list_reply' && list) {
    return compact({
      type: 'interactive_reply' as const,
      replyKind: 'list' as const,
      id: list.id,
      title: list.title,
      description: list.description,
    });
  }
  if (type === 'nfm_reply' && flow) {
    return compact({
      type: 'interactive_reply' as const,
      replyKind: 'flow' as const,
      id: flow.name ?? 'flow',
      title: flow.body ?? '',
      responseJson: flow.response_json === undefined ? undefined : parseFlowResponse(flow.response_json),
    });
  }
  return unsupported('interactive');
}

/**
 * The parsed JSON, or the raw string when it is not JSON or nests deeper than any Flow form does:
 * the event travels as a workflow signal payload, and JSON.stringify throws a RangeError on a few
 * thousand levels that JSON.parse accepts (the webhook would fail with a 500 on every redelivery).
 */
function parseFlowResponse(text: string): JsonValue {
  let parsed: JsonValue;
  try {
    parsed = JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
  return depthAtMost(parsed, MAX_FLOW_RESPONSE_DEPTH) ? jsonWithoutNegativeZero(parsed) : text;
}

const MAX_FLOW_RESPONSE_DEPTH = 32;

/** Whether `value` nests at most `max` arrays/objects deep (iterative: no recursion to overflow). */
function depthAtMost(value: JsonValue, max: number): boolean {
  const stack: Array<[JsonValue, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= max) return false;
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push([child, depth + 1]);
  }
  return true;
}

/** Click-to-WhatsApp ad details (WIRE.md §1.5); any message type may carry them. */
function inboundReferral(message: WaMessage): InboundReferral | undefined {
  const r = message.referral;
  if (!r) return undefined;
  const referral = compact({
    sourceType: r.source_type,
    sourceId: r.source_id,
    sourceUrl: r.source_url,
    headline: r.headline,
    body: r.body,
    mediaType: r.media_type,
    mediaUrl: r.image_url ?? r.video_url,
    ctwaClid: r.ctwa_clid,
  });
  return Object.keys(referral).length > 0 ? referral : undefined;
}

/** `title` is slated for deprecation; `message` carries the same text (WIRE.md §1.8). */
function providerError(error: WaGraphError): ProviderError {
  const details = error.error_data?.details;
  return {
    code: error.code,
    title: error.title ?? error.message ?? `WhatsApp error ${error.code}`,
    ...(details !== undefined && { details }),
  };
}

const DELIVERY_STATUSES: readonly string[] = ['sent', 'delivered', 'read', 'failed'] satisfies DeliveryStatus[];

/** `played` (a voice note was played) and unknown statuses carry no delivery state. */
function statusEvents(status: WaStatus, channelExternalId: string): InboundEvent[] {
  if (!DELIVERY_STATUSES.includes(status.status)) return [];
  const error = status.errors?.[0];
  return [
    {
      kind: 'status',
      channelExternalId,
      externalId: status.id,
      status: status.status as DeliveryStatus,
      at: secondsToMs(status.timestamp),
      ...(error && { error: providerError(error) }),
    },
  ];
}

function secondsToMs(seconds: string): number {
  return Number(seconds) * 1000;
}

// ---------------------------------------------------------------------------------------------
// Sending (WIRE.md §2.2-2.4)

const sendResponseSchema = z.looseObject({
  messages: z.array(z.looseObject({ id: z.string().min(1) })).min(1),
});

async function sendMessage(
  fetchImpl: typeof fetch,
  baseUrl: string,
  channel: ChannelCredentials,
  msg: OutboundMessage,
): Promise<SendResult> {
  const body = whatsAppSendBody(msg);
  const url = `${baseUrl}/${encodeURIComponent(channel.externalId)}/messages`;
  const { status, json } = await graphPost(fetchImpl, PROVIDER, url, channel.accessToken, body);
  if (status >= 200 && status < 300) {
    const parsed = sendResponseSchema.safeParse(json);
    const wamid = parsed.success ? parsed.data.messages[0]?.id : undefined;
    if (wamid === undefined) {
      throw new ChannelSendError(`WhatsApp answered HTTP ${status} without a message id`, false, undefined, status);
    }
    return { externalId: wamid };
  }
  throw refusal('message', status, json, channel.accessToken);
}

/**
 * The documented body, key for key (WIRE.md §2.2): `messaging_product`, `recipient_type`, the
 * recipient, `type` and its object, then the optional quote (`context`) and our id
 * (`biz_opaque_callback_data`, echoed in status webhooks). Validates Meta's documented limits
 * first so a message Meta would refuse never leaves.
 */
export function whatsAppSendBody(msg: OutboundMessage): Record<string, unknown> {
  const [type, payload] = typedPayload(msg);
  const quotes = msg.type !== 'reaction' && msg.replyToExternalId !== undefined;
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    ...recipientField(msg.to),
    type,
    [type]: payload,
    ...(quotes && { context: { message_id: msg.replyToExternalId } }),
    ...(msg.clientRef !== undefined && { biz_opaque_callback_data: msg.clientRef }),
  };
}

/**
 * Limits of WIRE.md §2.2. Assumptions (not stated there): the reply-buttons text header shares the
 * list header's 60 characters, and the list footer shares the buttons footer's 60.
 */
const LIMITS = {
  buttonBody: 1024,
  footer: 60,
  header: 60,
  listBody: 4096,
  listButton: 20,
  maxSections: 10,
  maxRows: 10,
  sectionTitle: 24,
  rowTitle: 24,
  rowDescription: 72,
  rowId: 200,
} as const;

function typedPayload(msg: OutboundMessage): [string, Record<string, unknown>] {
  switch (msg.type) {
    case 'text':
      // Length (4096) is left to Meta, whose refusal is permanent too.
      return ['text', { preview_url: false, body: msg.text }];
    case 'media':
      return [msg.mediaKind, mediaObject(msg.mediaKind, msg)];
    case 'template':
      return ['template', templateObject(msg)];
    case 'interactive_buttons': {
      checkButtons(PROVIDER, msg);
      checkLength(PROVIDER, 'body', msg.body, LIMITS.buttonBody, true);
      checkLength(PROVIDER, 'header', msg.header, LIMITS.header);
      checkLength(PROVIDER, 'footer', msg.footer, LIMITS.footer);
      return [
        'interactive',
        compact({
          type: 'button',
          header: msg.header ? { type: 'text', text: msg.header } : undefined,
          body: { text: msg.body },
          footer: msg.footer ? { text: msg.footer } : undefined,
          action: { buttons: msg.buttons.map((b) => ({ type: 'reply', reply: { id: b.id, title: b.title } })) },
        }),
      ];
    }
    case 'interactive_list':
      return ['interactive', listObject(msg)];
    case 'reaction':
      if (!msg.targetExternalId) throw new OutboundValidationError('WhatsApp reaction: targetExternalId is required');
      // An empty emoji removes our reaction (WIRE.md §2.2).
      return ['reaction', { message_id: msg.targetExternalId, emoji: msg.emoji }];
  }
}

/**
 * By uploaded id or hosted link, never both; audio and stickers take no caption, only documents
 * a filename (WIRE.md §2.2).
 */
function mediaObject(
  kind: MediaKind | 'header',
  media: { mediaKind?: MediaKind; mediaId?: string; link?: string; caption?: string; filename?: string },
): Record<string, unknown> {
  const label = `WhatsApp ${kind}`;
  if ((media.mediaId === undefined) === (media.link === undefined) || media.mediaId === '' || media.link === '') {
    throw new OutboundValidationError(`${label}: exactly one of mediaId or link is required`);
  }
  if (media.link !== undefined && !/^https?:\/\//i.test(media.link)) {
    throw new OutboundValidationError(`${label}: link must be an http(s) URL`);
  }
  if (media.caption !== undefined && (media.mediaKind === 'audio' || media.mediaKind === 'sticker')) {
    throw new OutboundValidationError(`${label}: ${media.mediaKind} takes no caption`);
  }
  if (media.filename !== undefined && media.mediaKind !== 'document') {
    throw new OutboundValidationError(`${label}: only documents take a filename`);
  }
  return compact({ id: media.mediaId, link: media.link, caption: media.caption, filename: media.filename });
}

const TEMPLATE_NAME = /^[a-z0-9_]+$/;

/**
 * `{ name, language: { code }, components }` (WIRE.md §2.2): header, body parameters (positional in
 * order, or named with `parameter_name`), then the buttons that take a parameter, by index.
 */
function templateObject(msg: OutboundTemplate): Record<string, unknown> {
  if (!TEMPLATE_NAME.test(msg.name)) {
    throw new OutboundValidationError('WhatsApp template: the name is lowercase letters, digits and _');
  }
  if (!msg.language.trim()) throw new OutboundValidationError('WhatsApp template: the language code is required');
  const components: Record<string, unknown>[] = [];
  if (msg.header) {
    const header = msg.header;
    const parameter =
      header.type === 'text'
        ? { type: 'text', text: nonEmpty(header.text, 'header text') }
        : { type: header.type, [header.type]: mediaObject('header', { ...header, mediaKind: header.type }) };
    components.push({ type: 'header', parameters: [parameter] });
  }
  const body = bodyParameters(msg.parameters);
  if (body.length > 0) components.push({ type: 'body', parameters: body });
  for (const button of msg.buttons ?? []) {
    if (!Number.isInteger(button.index) || button.index < 0) {
      throw new OutboundValidationError('WhatsApp template: a button index is a 0-based position');
    }
    components.push({
      type: 'button',
      sub_type: button.subType,
      index: String(button.index),
      parameters: [
        button.subType === 'quick_reply'
          ? { type: 'payload', payload: nonEmpty(button.payload, 'button payload') }
          : { type: 'text', text: nonEmpty(button.text, 'button URL suffix') },
      ],
    });
  }
  return {
    name: msg.name,
    language: { code: msg.language },
    ...(components.length > 0 && { components }),
  };
}

function bodyParameters(parameters: OutboundTemplate['parameters']): Record<string, unknown>[] {
  if (parameters === undefined) return [];
  if (Array.isArray(parameters)) {
    return parameters.map((text, i) => ({ type: 'text', text: nonEmpty(text, `parameter {{${i + 1}}}`) }));
  }
  return Object.entries(parameters).map(([name, text]) => ({
    type: 'text',
    parameter_name: name,
    text: nonEmpty(text, `parameter {{${name}}}`),
  }));
}

function nonEmpty(text: string, what: string): string {
  if (!text.trim()) throw new OutboundValidationError(`WhatsApp template: ${what} is empty`);
  return text;
}

/** One button opening ≤10 sections with ≤10 rows in total (WIRE.md §2.2 list limits). */
function listObject(msg: Extract<OutboundMessage, { type: 'interactive_list' }>): Record<string, unknown> {
  const label = 'WhatsApp list';
  checkLength(label, 'body', msg.body, LIMITS.listBody, true);
  checkLength(label, 'header', msg.header, LIMITS.header);
  checkLength(label, 'footer', msg.footer, LIMITS.footer);
  checkLength(label, 'button text', msg.buttonText, LIMITS.listButton, true);
  if (msg.sections.length < 1 || msg.sections.length > LIMITS.maxSections) {
    throw new OutboundValidationError(`${label}: 1 to ${LIMITS.maxSections} sections, got ${msg.sections.length}`);
  }
  const rows = msg.sections.reduce((n, s) => n + s.rows.length, 0);
  if (rows < 1 || rows > LIMITS.maxRows) {
    throw new OutboundValidationError(`${label}: 1 to ${LIMITS.maxRows} rows in total, got ${rows}`);
  }
  for (const section of msg.sections) {
    checkLength(label, 'section title', section.title, LIMITS.sectionTitle);
    if (section.rows.length === 0) throw new OutboundValidationError(`${label}: a section needs at least one row`);
    for (const row of section.rows) {
      checkLength(label, 'row id', row.id, LIMITS.rowId, true);
      checkLength(label, 'row title', row.title, LIMITS.rowTitle, true);
      checkLength(label, 'row description', row.description, LIMITS.rowDescription);
    }
  }
  return compact({
    type: 'list',
    header: msg.header ? { type: 'text', text: msg.header } : undefined,
    body: { text: msg.body },
    footer: msg.footer ? { text: msg.footer } : undefined,
    action: {
      button: msg.buttonText,
      sections: msg.sections.map((s) =>
        compact({
          title: s.title,
          rows: s.rows.map((r) => compact({ id: r.id, title: r.title, description: r.description })),
        }),
      ),
    },
  });
}

/** A business-scoped user id: country code, '.', alphanumerics (WIRE.md §1.4), e.g. `GB.8472…`, `US.ENT.…`. */
const BSUID = /^[A-Z]{2}\.[A-Za-z0-9.]{1,140}$/;

/**
 * Always '+' and country code: without '+' Meta prepends the business number's country code
 * (WIRE.md §2.2). A contact known only by BSUID is addressed with `recipient` instead of `to`
 * (WIRE.md §1.4, §2.2; May 2026+, [UNCERTAIN] shape beyond "recipient replaces to"): stripping
 * a BSUID to digits would message a stranger's phone number.
 */
function recipientField(to: string): { to: string } | { recipient: string } {
  if (BSUID.test(to)) return { recipient: to };
  const digits = to.replace(/\D/g, '');
  if (!digits) throw new OutboundValidationError('WhatsApp recipient has no phone digits');
  return { to: `+${digits}` };
}

// ---------------------------------------------------------------------------------------------
// Read receipts (WIRE.md §2.2 "Mark as read", "Typing indicator")

const successSchema = z.looseObject({ success: z.literal(true) });

async function markRead(
  fetchImpl: typeof fetch,
  baseUrl: string,
  channel: ChannelCredentials,
  read: MarkReadRequest,
): Promise<void> {
  if (!read.externalId) throw new OutboundValidationError('WhatsApp read receipt: the message id is required');
  const url = `${baseUrl}/${encodeURIComponent(channel.externalId)}/messages`;
  const { status, json } = await graphPost(fetchImpl, PROVIDER, url, channel.accessToken, {
    messaging_product: 'whatsapp',
    status: 'read',
    message_id: read.externalId,
    ...(read.typing && { typing_indicator: { type: 'text' } }),
  });
  if (status >= 200 && status < 300) {
    if (!successSchema.safeParse(json).success) {
      throw new ChannelSendError(`WhatsApp answered HTTP ${status} without success`, false, undefined, status);
    }
    return;
  }
  throw refusal('read receipt', status, json, channel.accessToken);
}

// ---------------------------------------------------------------------------------------------
// Media download (WIRE.md §2.5)

const mediaInfoSchema = z.looseObject({
  url: z.string().min(1),
  mime_type: z.string().optional(),
  sha256: z.string().optional(),
  // A number or a string depending on the source (WIRE.md §2.5).
  file_size: z.union([z.number(), z.string()]).optional(),
});

/**
 * `GET /<media-id>` for a short-lived URL, then `GET <url>` with the same bearer token. The URL
 * lives 5 minutes: a 404 on the download means it expired, so one fresh URL is fetched before
 * giving up. Webhook media ids stay downloadable for 7 days.
 */
async function fetchMedia(
  fetchImpl: typeof fetch,
  baseUrl: string,
  channel: ChannelCredentials,
  media: Pick<InboundMedia, 'mediaId' | 'url'>,
): Promise<FetchedMedia> {
  if (!media.mediaId) throw new OutboundValidationError('WhatsApp media has no media id to download');
  const infoUrl = `${baseUrl}/${encodeURIComponent(media.mediaId)}?phone_number_id=${encodeURIComponent(channel.externalId)}`;
  for (let attempt = 1; ; attempt++) {
    const res = await graphFetch(fetchImpl, PROVIDER, infoUrl, {
      method: 'GET',
      headers: { Authorization: `Bearer ${channel.accessToken}` },
    });
    const json = await res.json().catch(() => undefined);
    if (!res.ok) throw refusal('media', res.status, json, channel.accessToken);
    const info = mediaInfoSchema.safeParse(json);
    if (!info.success) {
      throw new ChannelSendError(
        `WhatsApp answered HTTP ${res.status} without a media URL`,
        false,
        undefined,
        res.status,
      );
    }
    try {
      const fetched = await downloadMedia(fetchImpl, PROVIDER, info.data.url, channel.accessToken);
      return compact({
        bytes: fetched.bytes,
        mimeType: info.data.mime_type ?? fetched.mimeType,
        sha256: info.data.sha256,
      });
    } catch (err) {
      const expired = err instanceof ChannelSendError && err.httpStatus === 404;
      if (!expired || attempt >= 2) throw err;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Error classification (WIRE.md §2.4; STYLE §4 retry classes)

function refusal(what: string, status: number, json: unknown, accessToken: string): ChannelSendError {
  return graphRefusal({
    provider: PROVIDER,
    what,
    status,
    json,
    accessToken,
    classify: (code, _subcode, httpStatus) => describeWhatsAppError(code, httpStatus),
  });
}

/** Throughput, pair rate, unknown/service errors and maintenance: Meta asks to back off and retry. */
const TRANSIENT_CODES = new Set([130429, 131056, 131000, 131016, 131057, 1, 2, 133004, 4, 80007]);
const RATE_LIMIT_CODES = new Set([130429, 131056, 4, 80007]);

const REASONS: Record<number, ErrorClass> = {
  131047: {
    permanent: true,
    category: 'window_closed',
    reason: 'More than 24 hours since the customer last wrote: only an approved template can be sent.',
  },
  131026: {
    permanent: true,
    category: 'undeliverable',
    reason: 'WhatsApp could not deliver to this customer (not on WhatsApp, old app or blocked).',
  },
  131050: { permanent: true, category: 'undeliverable', reason: 'The customer stopped marketing messages.' },
  131049: {
    permanent: true,
    category: 'undeliverable',
    reason: 'WhatsApp held back this marketing message to limit engagement: do not retry for a day.',
  },
  131030: { permanent: true, category: 'undeliverable', reason: 'The number is not in the test recipient list.' },
  132000: { permanent: true, category: 'template', reason: 'The template parameters do not match the template.' },
  132001: {
    permanent: true,
    category: 'template',
    reason: 'The template does not exist in this language or is not approved.',
  },
  132005: { permanent: true, category: 'template', reason: 'The filled-in template text is too long.' },
  132007: { permanent: true, category: 'template', reason: 'The template violates WhatsApp policy.' },
  132012: { permanent: true, category: 'template', reason: 'A template parameter has the wrong format.' },
  132015: { permanent: true, category: 'template', reason: 'The template is paused: choose another.' },
  132016: { permanent: true, category: 'template', reason: 'The template is disabled: choose another.' },
  0: { permanent: true, category: 'auth', reason: 'WhatsApp rejected the access token.' },
  190: { permanent: true, category: 'auth', reason: 'The WhatsApp access token expired or is invalid.' },
  3: { permanent: true, category: 'auth', reason: 'The app lacks the WhatsApp messaging permission.' },
  10: { permanent: true, category: 'auth', reason: 'The app lacks the WhatsApp messaging permission.' },
  131031: { permanent: true, category: 'account', reason: 'The WhatsApp business account is locked.' },
  131042: { permanent: true, category: 'account', reason: 'The WhatsApp business account has a payment problem.' },
  368: { permanent: true, category: 'account', reason: 'The account is temporarily blocked for policy violations.' },
  100: { permanent: true, category: 'invalid_request' },
  131008: { permanent: true, category: 'invalid_request' },
  131009: { permanent: true, category: 'invalid_request' },
  131051: { permanent: true, category: 'invalid_request', reason: 'WhatsApp does not support this message type.' },
  131053: {
    permanent: true,
    category: 'invalid_request',
    reason: 'WhatsApp could not use the media (check its type).',
  },
  131062: {
    permanent: true,
    category: 'invalid_request',
    reason: 'This message cannot be sent to a username; use the phone number.',
  },
};

/** Retry class, category and human reason for a WhatsApp error code (WIRE.md §2.4). */
export function describeWhatsAppError(code: number | undefined, httpStatus: number): ErrorClass {
  if (code !== undefined) {
    if (TRANSIENT_CODES.has(code)) {
      return { permanent: false, category: RATE_LIMIT_CODES.has(code) ? 'rate_limited' : 'unavailable' };
    }
    const known = REASONS[code];
    if (known) return known;
    // 132xxx: template errors; 200-299: permission errors.
    if (code >= 132000 && code < 133000)
      return { permanent: true, category: 'template', reason: 'WhatsApp rejected the template.' };
    if (code >= 200 && code <= 299) {
      return { permanent: true, category: 'auth', reason: 'The app lacks the WhatsApp messaging permission.' };
    }
  }
  return classifyByHttpStatus(httpStatus);
}

/** Whether a refused send may succeed if retried (WIRE.md §2.4; STYLE §4 retry classes). */
export function classifyWhatsAppError(code: number | undefined, httpStatus: number): 'permanent' | 'transient' {
  return describeWhatsAppError(code, httpStatus).permanent ? 'permanent' : 'transient';
}
