/**
 * WhatsApp Cloud API webhooks (WIRE.md §1). GET answers Meta's verification handshake; POST
 * checks X-Hub-Signature-256 over the raw bytes before parsing (401), parses (400), and answers
 * 200 only once Temporal has accepted every message (so a failure makes Meta redeliver).
 */
import express, { Router } from 'express';
import type { ChannelAdapter } from '../../activities/channels/types';
import { WebhookPayloadError } from '../../activities/channels/types';
import { handle } from '../http/handle';
import { HttpError } from '../http/errors';
import type { IngestService } from '../services/ingest.service';

export interface WhatsAppWebhookDeps {
  adapter: ChannelAdapter;
  ingest: IngestService;
  appSecret: string;
  verifyToken: string;
}

/** Meta batches at most 1000 updates in at most 3 MB (WIRE.md §1.3). */
export const WEBHOOK_BODY_LIMIT = '3mb';

export function createWhatsAppWebhookRouter({ adapter, ingest, appSecret, verifyToken }: WhatsAppWebhookDeps): Router {
  const router = Router();

  router.get('/', (req, res) => {
    const mode = req.query['hub.mode'];
    const token = req.query['hub.verify_token'];
    const challenge = req.query['hub.challenge'];
    if (mode === 'subscribe' && token === verifyToken && typeof challenge === 'string') {
      res.status(200).type('text/plain').send(challenge);
      return;
    }
    res.status(403).type('text/plain').send('verification failed');
  });

  router.post(
    '/',
    express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT }),
    handle(async (req, res) => {
      const raw: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (!adapter.verifySignature(raw, req.get('x-hub-signature-256'), appSecret)) {
        throw new HttpError('unauthenticated', 'invalid or missing X-Hub-Signature-256');
      }
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new HttpError('bad_request', 'the body is not JSON');
      }
      let events;
      try {
        events = adapter.parseWebhook(body);
      } catch (err) {
        if (err instanceof WebhookPayloadError) throw new HttpError('bad_request', err.message);
        throw err;
      }
      const result = await ingest.ingest('whatsapp', events);
      res.status(200).json({ received: result.delivered });
    }),
  );

  return router;
}
