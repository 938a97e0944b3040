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
