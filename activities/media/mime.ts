/**
 * MIME types as providers announce them, made safe to store and send back as a Content-Type:
 * `type/subtype` with optional parameters (`audio/ogg; codecs=opus`), lower-cased type, no
 * control characters. Anything else becomes application/octet-stream.
 */
const TOKEN = '[A-Za-z0-9!#$&^_.+-]+';
const MIME = new RegExp(`^${TOKEN}/${TOKEN}(\\s*;\\s*${TOKEN}=(${TOKEN}|"[^"\\\\\\r\\n]*"))*$`);

export const FALLBACK_MIME_TYPE = 'application/octet-stream';

export function normalizeMimeType(value: string | undefined | null): string {
  const trimmed = (value ?? '').trim();
  if (!trimmed || trimmed.length > 200 || !MIME.test(trimmed)) return FALLBACK_MIME_TYPE;
  const [essence, ...params] = trimmed.split(';');
  return [essence!.trim().toLowerCase(), ...params.map((p) => p.trim())].join('; ');
}

/** The `type/subtype` part, lower case. */
export function mimeEssence(mimeType: string): string {
  return (mimeType.split(';')[0] ?? '').trim().toLowerCase();
}
