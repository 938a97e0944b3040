/**
 * WhatsApp webhook bodies in Meta's exact wire format (WIRE.md §1.4), and their signature.
 * Used by tests, the demo seed and the load generator, so all of them speak the same bytes.
 */
import { createHmac } from 'node:crypto';

export interface TextMessageSpec {
  phoneNumberId: string;
  from: string;
  name?: string;
  text: string;
  id: string;
  /** Unix seconds, as Meta sends them (a string on the wire). */
  timestamp?: number;
}

export function whatsappTextWebhook(...messages: TextMessageSpec[]): Record<string, unknown> {
  const first = messages[0];
  if (!first) throw new Error('at least one message');
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '318204567712345',
        changes: messages.map((m) => ({
          field: 'messages',
          value: {
            messaging_product: 'whatsapp',
            metadata: { display_phone_number: '15550100001', phone_number_id: m.phoneNumberId },
            contacts: [{ profile: { name: m.name ?? 'Customer' }, wa_id: m.from }],
            messages: [
              {
                from: m.from,
                id: m.id,
                timestamp: String(m.timestamp ?? Math.floor(Date.now() / 1000)),
                type: 'text',
                text: { body: m.text },
              },
            ],
          },
        })),
      },
    ],
  };
}

/** Meta's body bytes: JSON with non-ASCII escaped as \uXXXX (WIRE.md §1.2). */
export function metaJson(body: unknown): Buffer {
  return Buffer.from(
    JSON.stringify(body).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
  );
}

export function signature(raw: Buffer, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(raw).digest('hex')}`;
}

/** POSTs a signed webhook the way Meta does; returns the response. */
export async function postWebhook(
  baseUrl: string,
  body: unknown,
  appSecret: string,
  path = '/webhooks/whatsapp',
): Promise<Response> {
  const raw = metaJson(body);
  return fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature(raw, appSecret) },
    body: new Uint8Array(raw),
  });
}

/** A WhatsApp `messages` change with any `value` fields (messages, statuses, contacts) (WIRE.md §1.4). */
export function whatsappWebhook(phoneNumberId: string, value: Record<string, unknown>): Record<string, unknown> {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '318204567712345',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550100001', phone_number_id: phoneNumberId },
              ...value,
            },
          },
        ],
      },
    ],
  };
}

/**
 * One inbound message of any type (WIRE.md §1.5-1.6): `message` is the `messages[]` element
 * without `from` and `timestamp` (added here), e.g. `{ id, type: 'image', image: { id, mime_type } }`.
 */
export function whatsappMessageWebhook(spec: {
  phoneNumberId: string;
  from: string;
  name?: string;
  /** Unix seconds; now by default. */
  timestamp?: number;
  message: Record<string, unknown> & { id: string; type: string };
}): Record<string, unknown> {
  return whatsappWebhook(spec.phoneNumberId, {
    contacts: [{ profile: { name: spec.name ?? 'Customer' }, wa_id: spec.from }],
    messages: [
      { from: spec.from, timestamp: String(spec.timestamp ?? Math.floor(Date.now() / 1000)), ...spec.message },
    ],
  });
}

export interface WhatsAppStatusSpec {
  /** The wamid of the message we sent. */
  id: string;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  recipientId?: string;
  /** Unix seconds; now by default. */
  timestamp?: number;
  /** For `failed`: Meta's error (WIRE.md §1.8). */
  error?: { code: number; title: string; details?: string };
}

/** Status callbacks for messages we sent (WIRE.md §1.8). */
export function whatsappStatusWebhook(
  phoneNumberId: string,
  ...statuses: WhatsAppStatusSpec[]
): Record<string, unknown> {
  return whatsappWebhook(phoneNumberId, {
    statuses: statuses.map((s) => ({
      id: s.id,
      status: s.status,
      timestamp: String(s.timestamp ?? Math.floor(Date.now() / 1000)),
      ...(s.recipientId && { recipient_id: s.recipientId }),
      ...(s.error && {
        errors: [
          {
            code: s.error.code,
            title: s.error.title,
            message: s.error.title,
            ...(s.error.details && { error_data: { details: s.error.details } }),
          },
        ],
      }),
    })),
  });
}

/**
 * A Messenger (`object: page`) or Instagram (`object: instagram`) webhook for one account
 * (WIRE.md §4.2-4.3). Each event is a `messaging[]` element; timestamps are epoch milliseconds.
 */
export function metaMessagingWebhook(
  object: 'page' | 'instagram',
  accountId: string,
  ...messaging: Record<string, unknown>[]
): Record<string, unknown> {
  return { object, entry: [{ id: accountId, time: Date.now(), messaging }] };
}

/** A customer's text to a Page or Instagram account; `replyTo` quotes an earlier message. */
export function metaTextEvent(spec: {
  from: string;
  to: string;
  mid: string;
  text: string;
  timestamp?: number;
  replyTo?: string;
}): Record<string, unknown> {
  return {
    sender: { id: spec.from },
    recipient: { id: spec.to },
    timestamp: spec.timestamp ?? Date.now(),
    message: { mid: spec.mid, text: spec.text, ...(spec.replyTo && { reply_to: { mid: spec.replyTo } }) },
  };
}

/** Messenger read receipt by watermark (WIRE.md §4.2): everything we sent up to `watermark` was read. */
export function messengerReadEvent(spec: { from: string; to: string; watermark: number }): Record<string, unknown> {
  return {
    sender: { id: spec.from },
    recipient: { id: spec.to },
    timestamp: spec.watermark + 1,
    read: { watermark: spec.watermark },
  };
}
