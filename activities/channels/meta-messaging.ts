/**
 * Meta messaging common code (STYLE §5). Two parts:
 *
 * 1. The Graph HTTP plumbing every Meta adapter shares (WhatsApp included): requests with a
 *    bearer token and a timeout, Meta's error envelope (WIRE.md §2.4), redaction, network errors,
 *    media downloads, and webhook-schema helpers that name the bad path without echoing values.
 * 2. The Messenger Platform adapter core, which Instagram shares because its webhooks and Send API
 *    have the same shape (WIRE.md §4.3-4.4). Inbound: `entry[].messaging[]` (and `standby[]`) events
 *    become messages, receipts and echoes; ids are PSID/IGSID, timestamps epoch ms (WIRE.md §4.1).
 *    Outbound: `POST /<version>/<node>/messages` with `recipient`, `messaging_type` and optional
 *    `tag` (WIRE.md §4.4); the answer is `{ recipient_id, message_id }` or a classified
 *    ChannelSendError. `messenger.ts` and `instagram.ts` only choose the profile.
 */
import { z } from 'zod';
import { withoutNegativeZero } from './negative-zero';
import { verifyMetaSignature } from './signature';
import {
  ChannelSendError,
  OutboundValidationError,
  WebhookPayloadError,
  type ChannelAdapter,
  type ChannelCredentials,
  type FetchedMedia,
  type InboundContent,
  type InboundEvent,
  type InboundMedia,
  type InboundReferral,
  type MarkReadRequest,
  type MediaKind,
  type OutboundButtons,
  type OutboundMessage,
  type ReplyPolicy,
  type SendFailureCategory,
  type SendResult,
} from './types';

// =============================================================================================
// Part 1: Graph plumbing shared by all Meta adapters
// =============================================================================================

export interface GraphOptions {
  /** e.g. https://graph.facebook.com, or the fake Graph server in tests and the demo. */
  graphBaseUrl: string;
  /** e.g. v25.0; Graph versions live about two years, so it is configuration (WIRE.md §2.1). */
  graphVersion: string;
  fetch?: typeof fetch;
}

export const GRAPH_TIMEOUT_MS = 10_000;
/** WhatsApp's largest inbound media (documents, WIRE.md §2.2); nothing larger is buffered. */
export const MAX_MEDIA_BYTES = 100 * 1024 * 1024;

export function graphVersionUrl(opts: GraphOptions): string {
  return `${opts.graphBaseUrl.replace(/\/+$/, '')}/${opts.graphVersion}`;
}

export interface GraphAnswer {
  status: number;
  json: unknown;
}

/** POSTs JSON with the bearer token; a network failure or timeout is a transient ChannelSendError. */
export async function graphPost(
  fetchImpl: typeof fetch,
  provider: string,
  url: string,
  accessToken: string,
  body: unknown,
): Promise<GraphAnswer> {
  const res = await graphFetch(fetchImpl, provider, url, {
    method: 'POST',
    headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await readJsonOrUndefined(res, provider) };
}

/** One request with Meta's timeout; errors become transient ChannelSendErrors without the request in them. */
export async function graphFetch(
  fetchImpl: typeof fetch,
  provider: string,
  url: string,
  init: RequestInit,
): Promise<Response> {
  try {
    return await fetchImpl(url, { ...init, signal: AbortSignal.timeout(GRAPH_TIMEOUT_MS) });
  } catch (err) {
    throw networkError(provider, err);
  }
}

async function readJsonOrUndefined(res: Response, provider: string): Promise<unknown> {
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    throw networkError(provider, err);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Only the error's name and socket code: a fetch error can carry the request it failed on.
 * Duck-typed because DOMException (timeouts) and undici errors may come from another realm.
 */
export function networkError(provider: string, err: unknown): ChannelSendError {
  const name = propertyOf(err, 'name');
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new ChannelSendError(
      `${provider} did not answer within ${GRAPH_TIMEOUT_MS} ms`,
      false,
      undefined,
      undefined,
      {
        reason: `${provider} did not answer in time`,
        category: 'unavailable',
      },
    );
  }
  const code = propertyOf(propertyOf(err, 'cause'), 'code');
  return new ChannelSendError(
    `${provider} could not be reached${typeof code === 'string' ? ` (${code})` : ''}`,
    false,
    undefined,
    undefined,
    { reason: `${provider} could not be reached`, category: 'unavailable' },
  );
}

function propertyOf(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

const graphErrorEnvelopeSchema = z.looseObject({
  error: z.looseObject({
    code: z.number().int().optional(),
    error_subcode: z.number().int().optional(),
    message: z.string().optional(),
    error_data: z
      .union([z.looseObject({ details: z.string().optional() }), z.string()])
      .optional()
      .catch(undefined),
  }),
});

/** How a provider code is treated: retry class, category and, where we know better than Meta's text, a reason. */
export interface ErrorClass {
  permanent: boolean;
  category: SendFailureCategory;
  reason?: string;
}

export interface RefusalInput {
  provider: string;
  /** What was refused, for the message: "message", "read receipt", "media". */
  what: string;
  status: number;
  json: unknown;
  accessToken: string;
  classify: (code: number | undefined, subcode: number | undefined, httpStatus: number) => ErrorClass;
}

/** Meta's error envelope keyed on `error.code` (+ subcode), not on HTTP status or text (WIRE.md §2.4). */
export function graphRefusal({ provider, what, status, json, accessToken, classify }: RefusalInput): ChannelSendError {
  const parsed = graphErrorEnvelopeSchema.safeParse(json);
  if (!parsed.success) {
    const cls = classify(undefined, undefined, status);
    return new ChannelSendError(
      `${provider} answered HTTP ${status} without a Graph error`,
      cls.permanent,
      undefined,
      status,
      {
        reason: cls.reason ?? `${provider} answered HTTP ${status}`,
        category: cls.category,
      },
    );
  }
  const { code, error_subcode: subcode, message, error_data: data } = parsed.data.error;
  // Meta prefixes the message with its code, e.g. "(#131056) (Business Account, ...) pair rate limit hit".
  const metaReason = message?.replace(/^\(#\d+\)\s*/, '') || 'no reason given';
  const rawDetails = typeof data === 'string' ? data : data?.details;
  const details = rawDetails && rawDetails !== metaReason ? ` - ${rawDetails}` : '';
  const codeText = code === undefined ? `HTTP ${status}` : subcode === undefined ? `${code}` : `${code}/${subcode}`;
  // Only Meta's words are redacted: our own prefix carries codes that look like numbers.
  const text = `${provider} refused the ${what} (${codeText}): ${redact(`${metaReason}${details}`, accessToken)}`;
  const cls = classify(code, subcode, status);
  return new ChannelSendError(text, cls.permanent, code, status, {
    reason: cls.reason ?? redact(metaReason, accessToken),
    category: cls.category,
    ...(subcode !== undefined && { subcode }),
  });
}

/** Error messages end up in logs and workflow history: never a token or anything phone-shaped. */
export function redact(text: string, accessToken: string): string {
  const withoutToken = accessToken ? text.split(accessToken).join('[token]') : text;
  return withoutToken.replace(/\+?\d[\d ()-]{5,}\d/g, '[number]');
}

/** HTTP-only fallback of STYLE §4: 408/429/5xx retry, any other 4xx does not. */
export function classifyByHttpStatus(httpStatus: number): ErrorClass {
  if (httpStatus === 408 || httpStatus === 429) return { permanent: false, category: 'rate_limited' };
  if (httpStatus >= 400 && httpStatus < 500) return { permanent: true, category: 'unknown' };
  return { permanent: false, category: 'unavailable' };
}

/**
 * Downloads media bytes: GET with the token where the host needs it (WhatsApp lookaside URLs,
 * WIRE.md §2.5) and without where it must not get it (Messenger/Instagram CDN links). A 404/403/410
 * means the link expired or the media is gone: permanent for this URL.
 */
export async function downloadMedia(
  fetchImpl: typeof fetch,
  provider: string,
  url: string,
  accessToken: string | undefined,
): Promise<FetchedMedia> {
  if (!/^https?:\/\//i.test(url)) throw new OutboundValidationError(`${provider} media URL is not http(s)`);
  const res = await graphFetch(fetchImpl, provider, url, {
    method: 'GET',
    ...(accessToken !== undefined && { headers: { Authorization: `Bearer ${accessToken}` } }),
  });
  if (!res.ok) {
    const cls = classifyByHttpStatus(res.status);
    await res.body?.cancel().catch(() => undefined);
    throw new ChannelSendError(
      `${provider} media download answered HTTP ${res.status}`,
      cls.permanent,
      undefined,
      res.status,
      {
        reason:
          res.status === 404 || res.status === 410
            ? 'The media link expired or the media is gone'
            : `HTTP ${res.status}`,
        category: cls.category,
      },
    );
  }
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > MAX_MEDIA_BYTES) {
    await res.body?.cancel().catch(() => undefined);
    throw new ChannelSendError(
      `${provider} media is larger than ${MAX_MEDIA_BYTES} bytes`,
      true,
      undefined,
      res.status,
    );
  }
  let bytes: Buffer;
  try {
    bytes = Buffer.from(await res.arrayBuffer());
  } catch (err) {
    throw networkError(provider, err);
  }
  if (bytes.length > MAX_MEDIA_BYTES) {
    throw new ChannelSendError(
      `${provider} media is larger than ${MAX_MEDIA_BYTES} bytes`,
      true,
      undefined,
      res.status,
    );
  }
  const mimeType = res.headers.get('content-type')?.split(';')[0]?.trim() || 'application/octet-stream';
  return { bytes, mimeType };
}

// ---------------------------------------------------------------------------------------------
// Webhook schema helpers

export type PathSegment = string | number;

/** Parses or throws a WebhookPayloadError naming the first bad path; zod's messages never echo values. */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  input: unknown,
  path: PathSegment[],
  provider: string,
): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const issuePath = (issue?.path ?? []).filter((p): p is PathSegment => typeof p !== 'symbol');
  throw payloadError(provider, [...path, ...issuePath], issue?.message ?? 'invalid');
}

export function payloadError(provider: string, path: PathSegment[], reason: string): WebhookPayloadError {
  return new WebhookPayloadError(`Invalid ${provider} webhook at ${formatPath(path)}: ${reason}`);
}

function formatPath(path: PathSegment[]): string {
  const text = path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
  return text ? text.replace(/^\./, '') : '(root)';
}

/** Removes undefined values so events compare and serialise as plain JSON. */
export function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Characters as people count them (code points), the unit of Meta's length limits. */
export function charLength(text: string): number {
  return [...text].length;
}

// ---------------------------------------------------------------------------------------------
// Outbound rules shared by every channel

/** Reply buttons: at most 3, titles at most 20 characters and unique, ids at most 256 (WIRE.md §2.2). */
export const BUTTON_LIMITS = { maxButtons: 3, titleLength: 20, idLength: 256 } as const;

export function checkButtons(provider: string, msg: OutboundButtons): void {
  const { buttons } = msg;
  if (buttons.length < 1 || buttons.length > BUTTON_LIMITS.maxButtons) {
    throw new OutboundValidationError(
      `${provider} reply buttons: 1 to ${BUTTON_LIMITS.maxButtons} buttons, got ${buttons.length}`,
    );
  }
  const titles = new Set<string>();
  buttons.forEach((b, i) => {
    if (!b.id || charLength(b.id) > BUTTON_LIMITS.idLength) {
      throw new OutboundValidationError(
        `${provider} reply buttons: button ${i + 1} needs an id of 1 to ${BUTTON_LIMITS.idLength} characters`,
      );
    }
    if (!b.title.trim() || charLength(b.title) > BUTTON_LIMITS.titleLength) {
      throw new OutboundValidationError(
        `${provider} reply buttons: button ${i + 1} needs a title of 1 to ${BUTTON_LIMITS.titleLength} characters`,
      );
    }
    if (titles.has(b.title)) throw new OutboundValidationError(`${provider} reply buttons: titles must be unique`);
    titles.add(b.title);
  });
}

export function checkLength(
  provider: string,
  field: string,
  text: string | undefined,
  max: number,
  required = false,
): void {
  if (text === undefined || text === '') {
    if (required) throw new OutboundValidationError(`${provider}: ${field} is required`);
    return;
  }
  if (charLength(text) > max)
    throw new OutboundValidationError(`${provider}: ${field} must be at most ${max} characters`);
}

// =============================================================================================
// Part 2: Messenger Platform core (Messenger and Instagram)
// =============================================================================================

export interface MetaMessagingProfile {
  kind: 'messenger' | 'instagram';
  /** The webhook's `object` (WIRE.md §4.2-4.3). */
  object: 'page' | 'instagram';
  /** For messages and errors. */
  label: 'Messenger' | 'Instagram';
  /** Send API text limit. */
  maxTextLength: number;
  /** The Graph node a message is POSTed to: `<node>/messages`. */
  sendNode(channel: ChannelCredentials): string;
}

/** Which adapter a `/webhooks/meta` body belongs to, from its `object` (WIRE.md §4.2-4.3). */
export function metaWebhookKind(body: unknown): 'messenger' | 'instagram' | undefined {
  const object = propertyOf(body, 'object');
  if (object === 'page') return 'messenger';
  if (object === 'instagram') return 'instagram';
  return undefined;
}

export function createMetaMessagingAdapter(profile: MetaMessagingProfile, opts: GraphOptions): ChannelAdapter {
  const fetchImpl = opts.fetch ?? fetch;
  const baseUrl = graphVersionUrl(opts);
  return {
    kind: profile.kind,
    verifySignature: verifyMetaSignature,
    parseWebhook: (body) => parseMetaWebhook(profile, body),
    send: (channel, msg) => sendMetaMessage(profile, fetchImpl, baseUrl, channel, msg),
    markRead: (channel, read) => markSeen(profile, fetchImpl, baseUrl, channel, read),
    replyPolicy: metaReplyPolicy,
    fetchMedia: (_channel, media) => fetchMetaMedia(profile, fetchImpl, media),
  };
}

// ---------------------------------------------------------------------------------------------
// Reply window (WIRE.md §4.5)

const HOUR_MS = 3_600_000;
export const STANDARD_WINDOW_MS = 24 * HOUR_MS;
export const HUMAN_AGENT_WINDOW_MS = 7 * 24 * HOUR_MS;

/**
 * 24 h after the customer's last message a reply is a plain RESPONSE; up to 7 days it must be a
 * human's reply sent with the HUMAN_AGENT tag; after that nothing may be sent until the customer
 * writes again. There are no templates to fall back on here.
 */
export function metaReplyPolicy(lastInboundAt: number | null, now: number): ReplyPolicy {
  if (lastInboundAt === null) {
    return {
      freeForm: false,
      templates: false,
      reason: 'The customer has not written yet: replies are only allowed after a customer message.',
    };
  }
  const elapsed = now - lastInboundAt;
  if (elapsed < STANDARD_WINDOW_MS) return { freeForm: true, templates: false };
  if (elapsed < HUMAN_AGENT_WINDOW_MS) {
    return {
      freeForm: true,
      templates: false,
      tag: 'HUMAN_AGENT',
      reason: 'More than 24 hours since the customer last wrote: sent as a human agent reply (allowed for 7 days).',
    };
  }
  return {
    freeForm: false,
    templates: false,
    reason: 'More than 7 days since the customer last wrote: no reply is allowed until they write again.',
  };
}

// ---------------------------------------------------------------------------------------------
// Webhook schemas (WIRE.md §4.1-4.3). Loose objects: Meta adds fields without notice.

const idRefSchema = z.looseObject({ id: z.string().min(1) });
/** Messenger/Instagram timestamps are numbers of epoch milliseconds (WIRE.md §4.1). */
const epochMs = z.number().int().nonnegative().transform(withoutNegativeZero);

const referralSchema = z.looseObject({
  ref: z.string().optional(),
  source: z.string().optional(),
  type: z.string().optional(),
  ad_id: z.string().optional(),
  ads_context_data: z
    .looseObject({
      ad_title: z.string().optional(),
      photo_url: z.string().optional(),
      video_url: z.string().optional(),
    })
    .optional(),
});

const attachmentSchema = z.looseObject({
  type: z.string(),
  // `fallback` (link shares) may come without a payload (WIRE.md §4.2).
  payload: z
    .looseObject({ url: z.string().optional(), sticker_id: z.union([z.number(), z.string()]).optional() })
    .nullish(),
});

const messageSchema = z.looseObject({
  mid: z.string().min(1),
  text: z.string().optional(),
  is_echo: z.boolean().optional(),
  app_id: z.union([z.number(), z.string()]).optional(),
  metadata: z.string().optional(),
  quick_reply: z.looseObject({ payload: z.string().optional() }).optional(),
  reply_to: z.looseObject({ mid: z.string().optional() }).optional(),
  attachments: z.array(attachmentSchema).optional(),
  is_deleted: z.boolean().optional(),
  is_unsupported: z.boolean().optional(),
  referral: referralSchema.optional(),
});

const postbackSchema = z.looseObject({
  mid: z.string().optional(),
  title: z.string().optional(),
  payload: z.string().optional(),
  referral: referralSchema.optional(),
});

const deliverySchema = z.looseObject({ mids: z.array(z.string().min(1)).optional(), watermark: epochMs });
/** Messenger: `{ watermark }`; Instagram `messaging_seen`: `{ mid }` (WIRE.md §4.2-4.3). */
const readSchema = z.looseObject({ watermark: epochMs.optional(), mid: z.string().min(1).optional() });
/** `message_reactions`: `{ mid, action: react|unreact, reaction, emoji }` (Messenger webhook reference). */
const reactionSchema = z.looseObject({
  mid: z.string().min(1),
  action: z.string(),
  emoji: z.string().optional(),
  reaction: z.string().optional(),
});

const messagingEventSchema = z.looseObject({
  sender: idRefSchema.optional(),
  recipient: idRefSchema.optional(),
  timestamp: epochMs.optional(),
  message: z.unknown().optional(),
  postback: z.unknown().optional(),
  delivery: z.unknown().optional(),
  read: z.unknown().optional(),
  reaction: z.unknown().optional(),
});

function envelopeSchema(object: MetaMessagingProfile['object']) {
  return z.looseObject({
    object: z.literal(object),
    entry: z.array(
      z.looseObject({
        id: z.string().min(1),
        time: epochMs.optional(),
        messaging: z.array(z.unknown()).optional(),
        // Events for threads another app controls arrive here with the same shape (WIRE.md §5).
        standby: z.array(z.unknown()).optional(),
      }),
    ),
  });
}

type MetaMessage = z.infer<typeof messageSchema>;
type MetaAttachment = z.infer<typeof attachmentSchema>;
type MetaReferral = z.infer<typeof referralSchema>;

// ---------------------------------------------------------------------------------------------
// Webhook parsing

/**
 * Every entry and every event, in payload order; `messaging[]` then `standby[]` per entry. Events
 * this inbox has no use for yet (referral-only, opt-ins, handovers, edits) yield nothing.
 */
function parseMetaWebhook(profile: MetaMessagingProfile, body: unknown): InboundEvent[] {
  const envelope = parseOrThrow(envelopeSchema(profile.object), body, [], profile.label);
  const events: InboundEvent[] = [];
  envelope.entry.forEach((entry, i) => {
    for (const list of ['messaging', 'standby'] as const) {
      (entry[list] ?? []).forEach((raw, j) => {
        events.push(...messagingEvents(profile, entry, raw, ['entry', i, list, j]));
      });
    }
  });
  return events;
}

interface EventContext {
  profile: MetaMessagingProfile;
  path: PathSegment[];
  senderId: () => string;
  recipientId: () => string;
  /** The event's time (its `timestamp`, else the entry's `time`), epoch ms; throws when it has neither. */
  at: () => number;
}

function messagingEvents(
  profile: MetaMessagingProfile,
  entry: { id: string; time?: number | undefined },
  raw: unknown,
  path: PathSegment[],
): InboundEvent[] {
  const event = parseOrThrow(messagingEventSchema, raw, path, profile.label);
  const required = (side: 'sender' | 'recipient') => () => {
    const id = event[side]?.id;
    if (id === undefined) throw payloadError(profile.label, [...path, side, 'id'], 'expected a string');
    return id;
  };
  const ctx: EventContext = {
    profile,
    path,
    senderId: required('sender'),
    recipientId: required('recipient'),
    at: () => {
      const at = event.timestamp ?? entry.time;
      if (at === undefined) throw payloadError(profile.label, [...path, 'timestamp'], 'expected a number');
      return at;
    },
  };
  if (event.message !== undefined) return messageEvents(ctx, event.message);
  if (event.postback !== undefined) return [postbackEvent(ctx, event.postback)];
  if (event.reaction !== undefined) return [reactionEvent(ctx, event.reaction)];
  if (event.delivery !== undefined) return deliveryEvents(ctx, event.delivery, event.timestamp);
  if (event.read !== undefined) return readEvents(ctx, event.read, event.timestamp);
  return [];
}

/**
 * A customer message (or an echo of ours). One event per part: its text, then each attachment;
 * the first part keeps the mid, later ones get `<mid>#<n>` so each has a stable dedupe key.
 */
function messageEvents(ctx: EventContext, raw: unknown): InboundEvent[] {
  const message = parseOrThrow(messageSchema, raw, [...ctx.path, 'message'], ctx.profile.label);
  // An Instagram unsend (`is_deleted`) removes content rather than adding any.
  if (message.is_deleted) return [];
  const parts = messageParts(message);
  const partId = (k: number) => (k === 0 ? message.mid : `${message.mid}#${k}`);
  if (message.is_echo) {
    // In echoes the sender is our Page/account and the recipient the customer (WIRE.md §4.2).
    const channelExternalId = ctx.senderId();
    const contactKey = ctx.recipientId();
    return parts.map((content, k) =>
      compact({
        kind: 'echo' as const,
        channelExternalId,
        externalId: partId(k),
        sentAt: ctx.at(),
        contactKey,
        appId: message.app_id === undefined ? undefined : String(message.app_id),
        clientRef: message.metadata,
        content,
      }),
    );
  }
  const channelExternalId = ctx.recipientId();
  const contact = { key: ctx.senderId() };
  const referral = referralOf(message.referral);
  return parts.map((content, k) =>
    compact({
      kind: 'message' as const,
      channelExternalId,
      externalId: partId(k),
      sentAt: ctx.at(),
      contact,
      content,
      replyTo: message.reply_to?.mid,
      referral: k === 0 ? referral : undefined,
    }),
  );
}

function messageParts(message: MetaMessage): InboundContent[] {
  if (message.is_unsupported) return [{ type: 'unsupported', providerType: 'unsupported' }];
  const parts: InboundContent[] = [];
  if (message.quick_reply) {
    parts.push({
      type: 'interactive_reply',
      replyKind: 'quick_reply',
      id: message.quick_reply.payload ?? '',
      title: message.text ?? '',
    });
  } else if (message.text !== undefined && message.text !== '') {
    parts.push({ type: 'text', text: message.text });
  }
  for (const attachment of message.attachments ?? []) parts.push(attachmentContent(attachment));
  return parts.length > 0 ? parts : [{ type: 'unsupported', providerType: 'message' }];
}

const ATTACHMENT_MEDIA: Record<string, MediaKind> = {
  image: 'image',
  video: 'video',
  audio: 'audio',
  file: 'document',
  // Reported to replace image + sticker_id after Aug 30 2026 (WIRE.md §4.2 [UNCERTAIN]).
  sticker: 'sticker',
};

/**
 * Media attachments keep their CDN URL; shares, reels, story mentions, templates and fallbacks
 * are shown as placeholders named after their type. Stickers arrive as images with `sticker_id`.
 */
function attachmentContent(attachment: MetaAttachment): InboundContent {
  const mediaKind = ATTACHMENT_MEDIA[attachment.type];
  const url = attachment.payload?.url;
  if (mediaKind === undefined || url === undefined) return { type: 'unsupported', providerType: attachment.type };
  const sticker = attachment.payload?.sticker_id !== undefined;
  return { type: 'media', mediaKind: sticker ? 'sticker' : mediaKind, url };
}

function postbackEvent(ctx: EventContext, raw: unknown): InboundEvent {
  const postback = parseOrThrow(postbackSchema, raw, [...ctx.path, 'postback'], ctx.profile.label);
  const sender = ctx.senderId();
  return compact({
    kind: 'message' as const,
    channelExternalId: ctx.recipientId(),
    // `mid` on postbacks needs v11.0+ (Instagram docs); derive a stable id without one.
    externalId: postback.mid ?? `postback:${sender}:${ctx.at()}`,
    sentAt: ctx.at(),
    contact: { key: sender },
    content: {
      type: 'interactive_reply' as const,
      replyKind: 'postback' as const,
      // `payload` only reaches the app that sent the button (WIRE.md §4.2).
      id: postback.payload ?? '',
      title: postback.title ?? '',
    },
    referral: referralOf(postback.referral),
  });
}

/**
 * A reaction has no id of its own; `reaction:<target mid>:<sender>:<timestamp>` is stable across
 * redeliveries and cannot collide with a real mid.
 */
function reactionEvent(ctx: EventContext, raw: unknown): InboundEvent {
  const reaction = parseOrThrow(reactionSchema, raw, [...ctx.path, 'reaction'], ctx.profile.label);
  const sender = ctx.senderId();
  const emoji = reaction.action === 'unreact' ? null : reaction.emoji || null;
  return {
    kind: 'message',
    channelExternalId: ctx.recipientId(),
    externalId: `reaction:${reaction.mid}:${sender}:${ctx.at()}`,
    sentAt: ctx.at(),
    contact: { key: sender },
    content: { type: 'reaction', emoji, targetExternalId: reaction.mid },
  };
}

/** `mids` may be absent; everything sent before `watermark` is delivered (WIRE.md §4.2). */
function deliveryEvents(ctx: EventContext, raw: unknown, timestamp: number | undefined): InboundEvent[] {
  const delivery = parseOrThrow(deliverySchema, raw, [...ctx.path, 'delivery'], ctx.profile.label);
  const channelExternalId = ctx.recipientId();
  const at = timestamp ?? delivery.watermark;
  return [
    ...(delivery.mids ?? []).map((mid): InboundEvent => ({
      kind: 'status',
      channelExternalId,
      externalId: mid,
      status: 'delivered',
      at,
    })),
    {
      kind: 'watermark',
      channelExternalId,
      contactKey: ctx.senderId(),
      status: 'delivered',
      upTo: delivery.watermark,
      at,
    },
  ];
}

/** Messenger reads by watermark, Instagram `messaging_seen` by message id (WIRE.md §4.2-4.3). */
function readEvents(ctx: EventContext, raw: unknown, timestamp: number | undefined): InboundEvent[] {
  const read = parseOrThrow(readSchema, raw, [...ctx.path, 'read'], ctx.profile.label);
  const channelExternalId = ctx.recipientId();
  const at = timestamp ?? read.watermark ?? ctx.at();
  const events: InboundEvent[] = [];
  if (read.mid !== undefined)
    events.push({ kind: 'status', channelExternalId, externalId: read.mid, status: 'read', at });
  if (read.watermark !== undefined) {
    events.push({
      kind: 'watermark',
      channelExternalId,
      contactKey: ctx.senderId(),
      status: 'read',
      upTo: read.watermark,
      at,
    });
  }
  return events;
}

function referralOf(referral: MetaReferral | undefined): InboundReferral | undefined {
  if (!referral) return undefined;
  const ad = referral.ads_context_data;
  const result = compact({
    sourceType: referral.source,
    sourceId: referral.ad_id,
    ref: referral.ref,
    headline: ad?.ad_title,
    mediaUrl: ad?.photo_url ?? ad?.video_url,
  });
  return Object.keys(result).length > 0 ? result : undefined;
}

// ---------------------------------------------------------------------------------------------
// Send API (WIRE.md §4.4)

const sendResponseSchema = z.looseObject({ message_id: z.string().min(1) });

const ATTACHMENT_TYPES: Partial<Record<MediaKind, string>> = {
  image: 'image',
  video: 'video',
  audio: 'audio',
  document: 'file',
};

/** Longest `metadata` Meta echoes back (WIRE.md §4.4: "<1000 chars"). */
const MAX_METADATA_LENGTH = 999;
/** Messenger quick replies (the buttons mapping): at most 13 per message (Send API reference). */
const MAX_QUICK_REPLIES = 13;

async function sendMetaMessage(
  profile: MetaMessagingProfile,
  fetchImpl: typeof fetch,
  baseUrl: string,
  channel: ChannelCredentials,
  msg: OutboundMessage,
): Promise<SendResult> {
  const body = metaSendBody(profile, msg);
  const url = `${baseUrl}/${encodeURIComponent(profile.sendNode(channel))}/messages`;
  const { status, json } = await graphPost(fetchImpl, profile.label, url, channel.accessToken, body);
  if (status >= 200 && status < 300) {
    const parsed = sendResponseSchema.safeParse(json);
    if (!parsed.success) {
      throw new ChannelSendError(
        `${profile.label} answered HTTP ${status} without a message id`,
        false,
        undefined,
        status,
      );
    }
    return { externalId: parsed.data.message_id };
  }
  throw graphRefusal({
    provider: profile.label,
    what: 'message',
    status,
    json,
    accessToken: channel.accessToken,
    classify: classifyMetaMessagingError,
  });
}

/**
 * The documented request, key for key: `recipient`, `messaging_type` (`RESPONSE` inside 24 h,
 * `MESSAGE_TAG` + `tag` after), `message` with `text` or one `attachment`, and our id as
 * `metadata` so echoes can be matched to our outbox. Quoting (`replyToExternalId`) is not in the
 * documented Send API body (WIRE.md §4.4), so replies go unquoted.
 */
export function metaSendBody(profile: MetaMessagingProfile, msg: OutboundMessage): Record<string, unknown> {
  const label = profile.label;
  if (!msg.to) throw new OutboundValidationError(`${label}: the recipient id is required`);
  if (msg.clientRef !== undefined && charLength(msg.clientRef) > MAX_METADATA_LENGTH) {
    throw new OutboundValidationError(`${label}: clientRef must be at most ${MAX_METADATA_LENGTH} characters`);
  }
  const message = metaMessage(profile, msg);
  return {
    recipient: { id: msg.to },
    messaging_type: msg.tag ? 'MESSAGE_TAG' : 'RESPONSE',
    ...(msg.tag && { tag: msg.tag }),
    message: { ...message, ...(msg.clientRef !== undefined && { metadata: msg.clientRef }) },
  };
}

function metaMessage(profile: MetaMessagingProfile, msg: OutboundMessage): Record<string, unknown> {
  const label = profile.label;
  switch (msg.type) {
    case 'text':
      checkLength(label, 'text', msg.text, profile.maxTextLength, true);
      return { text: msg.text };
    case 'media': {
      const type = ATTACHMENT_TYPES[msg.mediaKind];
      if (type === undefined) throw new OutboundValidationError(`${label} cannot send ${msg.mediaKind} attachments`);
      if (msg.caption)
        throw new OutboundValidationError(`${label} attachments have no caption: send the text separately`);
      if (msg.filename) throw new OutboundValidationError(`${label} attachments have no filename`);
      const payload = mediaPayload(label, msg.mediaId, msg.link);
      return { attachment: { type, payload } };
    }
    case 'interactive_buttons': {
      checkButtons(label, msg);
      const text = [msg.header, msg.body, msg.footer].filter((t) => t).join('\n\n');
      checkLength(label, 'body', text, profile.maxTextLength, true);
      if (msg.buttons.length > MAX_QUICK_REPLIES) throw new OutboundValidationError(`${label}: too many quick replies`);
      // WIRE.md §4.4 names `quick_replies[]` only; the item shape `{ content_type: 'text', title, payload }`
      // and its limits (13 replies, 20-character titles) follow the Messenger Send API reference.
      return {
        text,
        quick_replies: msg.buttons.map((b) => ({ content_type: 'text', title: b.title, payload: b.id })),
      };
    }
    case 'interactive_list':
      throw new OutboundValidationError(`${label} has no list messages: use reply buttons or text`);
    case 'template':
      throw new OutboundValidationError(`${label} has no WhatsApp templates: reply with text inside the window`);
    case 'reaction':
      // Not in the documented Send API (WIRE.md §4.4).
      throw new OutboundValidationError(`${label} reactions cannot be sent by this inbox`);
  }
}

function mediaPayload(label: string, mediaId: string | undefined, link: string | undefined): Record<string, unknown> {
  if ((mediaId === undefined) === (link === undefined)) {
    throw new OutboundValidationError(`${label}: media needs exactly one of mediaId or link`);
  }
  if (mediaId !== undefined) {
    if (!mediaId) throw new OutboundValidationError(`${label}: mediaId is empty`);
    return { attachment_id: mediaId };
  }
  if (!/^https:\/\//i.test(link ?? '')) throw new OutboundValidationError(`${label}: media link must be an https URL`);
  return { url: link, is_reusable: true };
}

/** `mark_seen`, then `typing_on` when a reply is coming: separate requests without `message` (WIRE.md §4.4). */
async function markSeen(
  profile: MetaMessagingProfile,
  fetchImpl: typeof fetch,
  baseUrl: string,
  channel: ChannelCredentials,
  read: MarkReadRequest,
): Promise<void> {
  if (!read.to) throw new OutboundValidationError(`${profile.label}: the recipient id is required`);
  const url = `${baseUrl}/${encodeURIComponent(profile.sendNode(channel))}/messages`;
  const actions = read.typing ? ['mark_seen', 'typing_on'] : ['mark_seen'];
  for (const action of actions) {
    const { status, json } = await graphPost(fetchImpl, profile.label, url, channel.accessToken, {
      recipient: { id: read.to },
      sender_action: action,
    });
    if (status < 200 || status >= 300) {
      throw graphRefusal({
        provider: profile.label,
        what: 'read receipt',
        status,
        json,
        accessToken: channel.accessToken,
        classify: classifyMetaMessagingError,
      });
    }
  }
}

/** CDN links are public and short-lived: fetched without our token, which must never leave Graph. */
async function fetchMetaMedia(
  profile: MetaMessagingProfile,
  fetchImpl: typeof fetch,
  media: Pick<InboundMedia, 'mediaId' | 'url'>,
): Promise<FetchedMedia> {
  if (!media.url) throw new OutboundValidationError(`${profile.label} media has no URL to download`);
  return downloadMedia(fetchImpl, profile.label, media.url, undefined);
}

// ---------------------------------------------------------------------------------------------
// Error classification (WIRE.md §4.4; STYLE §4 retry classes)

const OUTSIDE_WINDOW_SUBCODE = 2018278;

/**
 * Messenger/Instagram Send API errors. `10`/`2018278` sent outside the allowed window, `551`
 * person unavailable, `100` invalid parameter (including retired tags), `190` token, `200`-`299`
 * permissions: permanent. `613` and the Graph rate limits `4`/`17`/`32`, `1`/`2` unknown/service
 * errors and `1200` temporary send failure: transient. Anything else by HTTP status.
 */
export function classifyMetaMessagingError(
  code: number | undefined,
  subcode: number | undefined,
  httpStatus: number,
): ErrorClass {
  if (code === 10 && subcode === OUTSIDE_WINDOW_SUBCODE) {
    return {
      permanent: true,
      category: 'window_closed',
      reason: 'Sent outside the allowed reply window: wait for the customer to write again.',
    };
  }
  switch (code) {
    case 551:
      return { permanent: true, category: 'undeliverable', reason: 'This person is not available right now.' };
    case 100:
      return { permanent: true, category: 'invalid_request' };
    case 190:
    case 102:
      return { permanent: true, category: 'auth', reason: 'The page access token is invalid or expired.' };
    case 10:
      return { permanent: true, category: 'auth', reason: 'The app lacks the permission to send this message.' };
    case 613:
    case 4:
    case 17:
    case 32:
      return { permanent: false, category: 'rate_limited' };
    case 1:
    case 2:
    case 1200:
      return { permanent: false, category: 'unavailable' };
  }
  if (code !== undefined && code >= 200 && code <= 299) {
    return { permanent: true, category: 'auth', reason: 'The app lacks the permission to send this message.' };
  }
  return classifyByHttpStatus(httpStatus);
}
