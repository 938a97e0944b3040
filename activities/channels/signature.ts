/**
 * Meta's webhook signature, shared by WhatsApp, Messenger and Instagram (WIRE.md §1.2, §4.1):
 * `X-Hub-Signature-256: sha256=<hex>` = HMAC-SHA256(app secret, raw request body bytes).
 * One app secret verifies every tenant of the app.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const SIGNATURE_PREFIX = 'sha256=';
const SHA256_HEX = /^[0-9a-f]{64}$/i;

/**
 * HMAC-SHA256 of the raw body bytes, exactly as received: Meta signs its escaped-unicode
 * serialisation, so re-serialising a parsed body breaks the signature on non-ASCII text.
 * The legacy `sha1=` header is never accepted. Constant-time comparison; never throws.
 */
export function verifyMetaSignature(rawBody: Buffer, header: string | undefined, appSecret: string): boolean {
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
