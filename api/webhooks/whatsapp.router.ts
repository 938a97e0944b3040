/**
 * WhatsApp Cloud API webhooks (WIRE.md §1). GET answers Meta's verification handshake; POST
 * checks X-Hub-Signature-256 over the raw bytes before parsing (401), parses (400), and answers
 * 200 only once Temporal has accepted every message and every receipt is written (so a failure
 * makes Meta redeliver).
 */
import { Router } from 'express';
import type { ChannelAdapter } from '../../activities/channels/types';
import { WebhookPayloadError } from '../../activities/channels/types';
import { handle } from '../http/handle';
import { HttpError } from '../http/errors';
import type { IngestService } from '../services/ingest.service';
import { rawWebhookBody, verificationHandshake, verifiedJson } from './signed-webhook';

export interface WhatsAppWebhookDeps {
  adapter: ChannelAdapter;
  ingest: IngestService;
  appSecret: string;
  verifyToken: string;
}

export function createWhatsAppWebhookRouter({ adapter, ingest, appSecret, verifyToken }: WhatsAppWebhookDeps): Router {
  const router = Router();

  router.get('/', verificationHandshake(verifyToken));

  router.post(
    '/',
    rawWebhookBody(),
    handle(async (req, res) => {
      const body = verifiedJson(req, (raw, signature) => adapter.verifySignature(raw, signature, appSecret));
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
