/**
 * /api/v1/channels (DESIGN §5): the workspace's channels (id, kind, name; never credentials), a
 * WhatsApp channel's approved message templates for the composer, and a template sync from the
 * Graph API (owners and admins). Mounted by createApiRouter as `router.use('/channels', …)`.
 */
import { Router } from 'express';
import { handle } from '../../http/handle';
import type { ChannelsService } from '../../services/channels.service';
import type { ActorOf } from './actor';
import { idParams } from './schemas';

export function createChannelsRouter({ channels, actorOf }: { channels: ChannelsService; actorOf: ActorOf }): Router {
  const router = Router();

  router.get(
    '/',
    handle(async (req, res) => {
      res.json(await channels.listChannels(await actorOf(req)));
    }),
  );

  router.get(
    '/:id/templates',
    handle(async (req, res) => {
      const actor = await actorOf(req);
      res.json(await channels.listTemplates(actor, idParams.parse(req.params).id));
    }),
  );

  router.post(
    '/:id/templates/sync',
    handle(async (req, res) => {
      const actor = await actorOf(req);
      res.json({ data: await channels.syncTemplates(actor, idParams.parse(req.params).id) });
    }),
  );

  return router;
}
