/**
 * WhatsApp Cloud API adapter (STYLE §5). Inbound: Meta POSTs `object: whatsapp_business_account`
 * envelopes signed with the app secret (WIRE.md §1.2, §1.4); we verify the signature over the raw
 * bytes and turn every message and status into normalised InboundEvents. Outbound: a text message is
 * POSTed to `/<version>/<phone_number_id>/messages` (WIRE.md §2.1-2.2); the answer is the wamid or a
 * ChannelSendError classified permanent/transient from Meta's error code (WIRE.md §2.4).
 * Provider JSON never leaves this module.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import {
  ChannelSendError,
  WebhookPayloadError,
  type ChannelAdapter,
  type ChannelCredentials,
  type DeliveryStatus,
  type InboundContact,
  type InboundContent,
  type InboundEvent,
  type OutboundMessage,
  type SendResult,
} from './types';

export interface WhatsAppAdapterOptions {
  /** e.g. https://graph.facebook.com, or the fake Graph server in tests and the demo. */
  graphBaseUrl: string;
  /** e.g. v25.0; Graph versions live about two years, so it is configuration (WIRE.md §2.1). */
  graphVersion: string;
  fetch?: typeof fetch;
}

const SEND_TIMEOUT_MS = 10_000;

export function createWhatsAppAdapter(opts: WhatsAppAdapterOptions): ChannelAdapter {
  const fetchImpl = opts.fetch ?? fetch;
  const baseUrl = `${opts.graphBaseUrl.replace(/\/+$/, '')}/${opts.graphVersion}`;
  return {
    kind: 'whatsapp',
    verifySignature,
    parseWebhook,
    send: (channel, msg) => sendText(fetchImpl, baseUrl, channel, msg),
  };
}

// ---------------------------------------------------------------------------------------------
// Signature (WIRE.md §1.2)

const SIGNATURE_PREFIX = 'sha256=';
const SHA256_HEX = /^[0-9a-f]{64}$/i;

/**
 * HMAC-SHA256 of the raw body bytes, exactly as received: Meta signs its escaped-unicode
 * serialisation, so re-serialising a parsed body breaks the signature on non-ASCII text.
 */
function verifySignature(rawBody: Buffer, header: string | undefined, appSecret: string): boolean {
  if (typeof header !== 'string' || !header.startsWith(SIGNATURE_PREFIX)) return false;
  const hex = header.slice(SIGNATURE_PREFIX.length);
  // An empty secret is a misconfiguration; anyone could compute that HMAC.
  if (!SHA256_HEX.test(hex) || !appSecret) return false;
  try {
    const expected = createHmac('sha256', appSecret).update(rawBody).digest();
    const received = Buffer.from(hex, 'hex');
    return received.length === expected.length && timingSafeEqual(received, expected);
  } catch {
    return false;
  }
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

const messageSchema = z
  .looseObject({
    id: z.string().min(1),
    timestamp: unixSeconds,
    type: z.string().min(1),
    from: z.string().optional(),
    from_user_id: z.string().optional(),
    text: z.looseObject({ body: z.string() }).optional(),
  })
  .superRefine((message, ctx) => {
    if (message.type === 'text' && message.text === undefined) {
      ctx.addIssue({ code: 'custom', path: ['text', 'body'], message: 'a text message needs text.body' });
    }
  });

const graphErrorSchema = z.looseObject({
  code: z.number().int(),
  title: z.string().optional(),
  message: z.string().optional(),
  error_data: z.looseObject({ details: z.string().optional() }).optional(),
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
});

type WaContact = z.infer<typeof contactSchema>;
type WaMessage = z.infer<typeof messageSchema>;
type WaStatus = z.infer<typeof statusSchema>;
type WaMessagesValue = z.infer<typeof messagesValueSchema>;

// ---------------------------------------------------------------------------------------------
// Webhook parsing

/**
 * Every entry, change, message and status, in payload order: one POST can batch up to 1000
 * updates (WIRE.md §1.3). Only `field: messages` carries messages and statuses; other subscribed
 * fields (template updates, account alerts, …) share the URL and are ignored (WIRE.md §1.4).
 */
function parseWebhook(body: unknown): InboundEvent[] {
  const envelope = parseOrThrow(envelopeSchema, body, []);
  const events: InboundEvent[] = [];
  envelope.entry.forEach((entry, i) => {
    entry.changes.forEach((change, j) => {
      if (change.field !== 'messages') return;
      const path = ['entry', i, 'changes', j, 'value'];
      const value = parseOrThrow(messagesValueSchema, change.value, path);
      events.push(...valueEvents(value, path));
    });
  });
  return events;
}

function valueEvents(value: WaMessagesValue, path: PathSegment[]): InboundEvent[] {
  const channelExternalId = value.metadata.phone_number_id;
  const contacts = value.contacts ?? [];
  const messages = (value.messages ?? []).map((message, k): InboundEvent => ({
    kind: 'message',
    channelExternalId,
    externalId: message.id,
    sentAt: secondsToMs(message.timestamp),
    contact: inboundContact(message, contacts, [...path, 'messages', k]),
    content: inboundContent(message),
  }));
  const statuses = (value.statuses ?? []).flatMap((status) => statusEvents(status, channelExternalId));
  return [...messages, ...statuses];
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
  if (key === undefined) throw payloadError([...path, 'from'], 'message has no sender id');
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

/** Non-text types become visible placeholders until they are supported; a message is never dropped. */
function inboundContent(message: WaMessage): InboundContent {
  if (message.type === 'text' && message.text) return { type: 'text', text: message.text.body };
  return { type: 'unsupported', providerType: message.type };
}

const DELIVERY_STATUSES: readonly string[] = ['sent', 'delivered', 'read', 'failed'] satisfies DeliveryStatus[];

/** `played` (a voice note was played) and unknown statuses carry nothing for a text inbox. */
function statusEvents(status: WaStatus, channelExternalId: string): InboundEvent[] {
  if (!DELIVERY_STATUSES.includes(status.status)) return [];
  const error = status.errors?.[0];
  const details = error?.error_data?.details;
  return [
    {
      kind: 'status',
      channelExternalId,
      externalId: status.id,
      status: status.status as DeliveryStatus,
      at: secondsToMs(status.timestamp),
      // `title` is slated for deprecation; `message` carries the same text (WIRE.md §1.8).
      ...(error && {
        error: {
          code: error.code,
          title: error.title ?? error.message ?? `WhatsApp error ${error.code}`,
          ...(details !== undefined && { details }),
        },
      }),
    },
  ];
}

function secondsToMs(seconds: string): number {
  return Number(seconds) * 1000;
}

type PathSegment = string | number;

/** Parses or throws a WebhookPayloadError naming the first bad path; zod's messages never echo values. */
function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, path: PathSegment[]): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const issuePath = (issue?.path ?? []).filter((p): p is PathSegment => typeof p !== 'symbol');
  throw payloadError([...path, ...issuePath], issue?.message ?? 'invalid');
}

function payloadError(path: PathSegment[], reason: string): WebhookPayloadError {
  return new WebhookPayloadError(`Invalid WhatsApp webhook at ${formatPath(path)}: ${reason}`);
}

function formatPath(path: PathSegment[]): string {
  const text = path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
  return text ? text.replace(/^\./, '') : '(root)';
}

// ---------------------------------------------------------------------------------------------
// Sending (WIRE.md §2.2-2.4)

const sendResponseSchema = z.looseObject({
  messages: z.array(z.looseObject({ id: z.string().min(1) })).min(1),
});

const errorResponseSchema = z.looseObject({
  error: z.looseObject({
    code: z.number().int().optional(),
    message: z.string().optional(),
    error_data: z.looseObject({ details: z.string().optional() }).optional(),
  }),
});

async function sendText(
  fetchImpl: typeof fetch,
  baseUrl: string,
  channel: ChannelCredentials,
  msg: OutboundMessage,
): Promise<SendResult> {
  const url = `${baseUrl}/${encodeURIComponent(channel.externalId)}/messages`;
  const { status, json } = await postJson(fetchImpl, url, channel.accessToken, textRequestBody(msg));
  if (status >= 200 && status < 300) {
    const parsed = sendResponseSchema.safeParse(json);
    const wamid = parsed.success ? parsed.data.messages[0]?.id : undefined;
    if (wamid === undefined) {
      throw new ChannelSendError(`WhatsApp answered HTTP ${status} without a message id`, false, undefined, status);
    }
    return { externalId: wamid };
  }
  throw refusal(status, json, channel.accessToken);
}

/** The documented text body, key for key (WIRE.md §2.2). */
function textRequestBody(msg: OutboundMessage): Record<string, unknown> {
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: internationalNumber(msg.to),
    type: 'text',
    text: { preview_url: false, body: msg.text },
    ...(msg.replyToExternalId !== undefined && { context: { message_id: msg.replyToExternalId } }),
    ...(msg.clientRef !== undefined && { biz_opaque_callback_data: msg.clientRef }),
  };
}

/** Always '+' and country code: without '+' Meta prepends the business number's country code (WIRE.md §2.2). */
function internationalNumber(to: string): string {
  const digits = to.replace(/\D/g, '');
  if (!digits) throw new ChannelSendError('WhatsApp recipient has no phone digits', true);
  return `+${digits}`;
}

async function postJson(
  fetchImpl: typeof fetch,
  url: string,
  accessToken: string,
  body: unknown,
): Promise<{ status: number; json: unknown }> {
  try {
    const res = await fetchImpl(url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    return { status: res.status, json: parseJsonOrUndefined(await res.text()) };
  } catch (err) {
    throw networkError(err);
  }
}

function parseJsonOrUndefined(text: string): unknown {
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
function networkError(err: unknown): ChannelSendError {
  const name = propertyOf(err, 'name');
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new ChannelSendError(`WhatsApp did not answer within ${SEND_TIMEOUT_MS} ms`, false);
  }
  const code = propertyOf(propertyOf(err, 'cause'), 'code');
  return new ChannelSendError(`WhatsApp could not be reached${typeof code === 'string' ? ` (${code})` : ''}`, false);
}

function propertyOf(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** Keyed on Meta's `error.code`, not on HTTP status or message text (WIRE.md §2.4). */
function refusal(status: number, json: unknown, accessToken: string): ChannelSendError {
  const parsed = errorResponseSchema.safeParse(json);
  if (!parsed.success) {
    const permanent = classifyWhatsAppError(undefined, status) === 'permanent';
    return new ChannelSendError(`WhatsApp answered HTTP ${status} without a Graph error`, permanent, undefined, status);
  }
  const { code, message, error_data: data } = parsed.data.error;
  // Meta prefixes the message with its code, e.g. "(#131056) (Business Account, ...) pair rate limit hit".
  const reason = message?.replace(/^\(#\d+\)\s*/, '') || 'no reason given';
  const details = data?.details && data.details !== reason ? ` - ${data.details}` : '';
  const text = redact(`WhatsApp refused the message (${code ?? `HTTP ${status}`}): ${reason}${details}`, accessToken);
  return new ChannelSendError(text, classifyWhatsAppError(code, status) === 'permanent', code, status);
}

/** Error messages end up in logs and workflow history: never a token or anything phone-shaped. */
function redact(text: string, accessToken: string): string {
  const withoutToken = accessToken ? text.split(accessToken).join('[token]') : text;
  return withoutToken.replace(/\+?\d[\d ()-]{5,}\d/g, '[number]');
}

/** Throughput, pair rate, unknown/service errors and maintenance: Meta asks to back off and retry. */
const TRANSIENT_CODES = new Set([130429, 131056, 131000, 131016, 131057, 1, 2, 133004, 4, 80007]);

/** Closed window, undeliverable, bad parameters, auth, permissions, locked or blocked accounts. */
const PERMANENT_CODES = new Set([
  131047, 131026, 100, 131008, 131009, 131051, 131053, 0, 190, 3, 10, 131031, 131042, 368,
]);

/** Whether a refused send may succeed if retried (WIRE.md §2.4; STYLE §4 retry classes). */
export function classifyWhatsAppError(code: number | undefined, httpStatus: number): 'permanent' | 'transient' {
  if (code !== undefined) {
    if (TRANSIENT_CODES.has(code)) return 'transient';
    if (PERMANENT_CODES.has(code)) return 'permanent';
    // 132xxx: template errors; 200-299: permission errors.
    if ((code >= 132000 && code < 133000) || (code >= 200 && code <= 299)) return 'permanent';
  }
  if (httpStatus === 408 || httpStatus === 429) return 'transient';
  return httpStatus >= 400 && httpStatus < 500 ? 'permanent' : 'transient';
}
