/**
 * What every Meta webhook endpoint shares (WIRE.md §1.1-1.2, §4.1): the GET verification
 * handshake, and a POST body read as raw bytes, checked against X-Hub-Signature-256 before
 * anything parses it (401), then parsed as JSON (400).
 */
import express, { type Request, type RequestHandler } from 'express';
import { HttpError } from '../http/errors';

/** Meta batches at most 1000 updates in at most 3 MB (WIRE.md §1.3). */
export const WEBHOOK_BODY_LIMIT = '3mb';

/** The raw body, exactly as received: the signature covers these bytes (WIRE.md §1.2). */
export const rawWebhookBody = (): RequestHandler => express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT });

/** `hub.challenge` back as plain text when the verify token matches; 403 otherwise (WIRE.md §1.1). */
export function verificationHandshake(verifyToken: string): RequestHandler {
  return (req, res) => {
    const mode = req.query['hub.mode'];
    const token = req.query['hub.verify_token'];
    const challenge = req.query['hub.challenge'];
    if (mode === 'subscribe' && token === verifyToken && typeof challenge === 'string') {
      res.status(200).type('text/plain').send(challenge);
      return;
    }
    res.status(403).type('text/plain').send('verification failed');
  };
}

/**
 * The verified JSON body: 401 when the signature does not match the raw bytes (nothing is parsed),
 * 400 when the bytes are not JSON.
 */
export function verifiedJson(req: Request, verify: (raw: Buffer, signature: string | undefined) => boolean): unknown {
  const raw: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  if (!verify(raw, req.get('x-hub-signature-256'))) {
    throw new HttpError('unauthenticated', 'invalid or missing X-Hub-Signature-256');
  }
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new HttpError('bad_request', 'the body is not JSON');
  }
}
