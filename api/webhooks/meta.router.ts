/**
 * Messenger and Instagram webhooks on one URL (WIRE.md §4.1-4.3; DESIGN §5 `/webhooks/meta`).
 * GET answers the verification handshake; POST checks X-Hub-Signature-256 with the app secret
 * over the raw bytes before parsing (401; one Meta app signs every product, WIRE.md §1.2), routes
 * on `object` (`page`: Messenger, `instagram`: Instagram), parses with that adapter (400), and
 * answers 200 only once Temporal has accepted every message and every receipt is written.
 * Channels are found by (kind, page id / Instagram account id).
 */
import { Router } from 'express';
import { metaWebhookKind } from '../../activities/channels/meta-messaging';
import { WebhookPayloadError, type ChannelAdapter } from '../../activities/channels/types';
import { handle } from '../http/handle';
import { HttpError } from '../http/errors';
import type { IngestService } from '../services/ingest.service';
import { rawWebhookBody, verificationHandshake, verifiedJson } from './signed-webhook';

export interface MetaWebhookDeps {
  messenger: ChannelAdapter;
  instagram: ChannelAdapter;
  ingest: IngestService;
  appSecret: string;
  verifyToken: string;
}

export function createMetaWebhookRouter({
  messenger,
  instagram,
  ingest,
  appSecret,
  verifyToken,
}: MetaWebhookDeps): Router {
  const router = Router();

  router.get('/', verificationHandshake(verifyToken));

  router.post(
    '/',
    rawWebhookBody(),
    handle(async (req, res) => {
      // Both adapters verify the same Meta signature; which one parses is known only after.
      const body = verifiedJson(req, (raw, signature) => messenger.verifySignature(raw, signature, appSecret));
      const kind = metaWebhookKind(body);
      if (!kind) throw new HttpError('bad_request', 'not a Messenger (page) or Instagram webhook');
      const adapter = kind === 'messenger' ? messenger : instagram;
      let events;
      try {
        events = adapter.parseWebhook(body);
      } catch (err) {
        if (err instanceof WebhookPayloadError) throw new HttpError('bad_request', err.message);
        throw err;
      }
      const result = await ingest.ingest(kind, events);
      res.status(200).json({ received: result.delivered });
    }),
  );

  return router;
}
