/**
 * /api/v1 reference data and settings (DESIGN §5): teams, users, the signed-in user's
 * notifications and availability, and SLA policies (owners and admins).
 */
import { Router } from 'express';
import { z } from 'zod';
import { handle } from '../../http/handle';
import type { InboxService } from '../../services/inbox.service';
import type { ActorOf } from './actor';
import { idParams, pageQuery } from './schemas';

const notificationsQuery = pageQuery.extend({
  unread: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => v === 'true'),
});
const teamParams = z.object({ teamId: z.uuid('not a valid team id') });
// At most 30 days per tier: a longer deadline is not an SLA.
const tierSeconds = z
  .number()
  .int('whole seconds')
  .positive('positive seconds')
  .max(30 * 24 * 3600);
const slaPolicyBody = z.object({
  tiers: z
    .tuple([tierSeconds, tierSeconds, tierSeconds], 'three tiers in seconds: standard, priority, manager')
    .refine(([a, b, c]) => a < b && b < c, 'tiers must increase: standard < priority < manager'),
  requeueAtPriority: z.boolean().default(false),
});
const availabilityBody = z.object({
  availability: z.enum(['online', 'away', 'offline'], 'online, away or offline'),
});

export function createWorkspaceRouter({ inbox, actorOf }: { inbox: InboxService; actorOf: ActorOf }): Router {
  const router = Router();

  router.get(
    '/teams',
    handle(async (req, res) => {
      res.json(await inbox.listTeams(await actorOf(req)));
    }),
  );

  router.get(
    '/users',
    handle(async (req, res) => {
      res.json(await inbox.listUsers(await actorOf(req)));
    }),
  );

  router.get(
    '/contacts/:id',
    handle(async (req, res) => {
      const actor = await actorOf(req);
      res.json({ data: await inbox.contact(actor, idParams.parse(req.params).id) });
    }),
  );

  router.get(
    '/notifications',
    handle(async (req, res) => {
      const actor = await actorOf(req);
      res.json(await inbox.listNotifications(actor, notificationsQuery.parse(req.query)));
    }),
  );

  router.post(
    '/notifications/:id/read',
    handle(async (req, res) => {
      const actor = await actorOf(req);
      res.json({ data: await inbox.markRead(actor, idParams.parse(req.params).id) });
    }),
  );

  router.get(
    '/sla-policies',
    handle(async (req, res) => {
      res.json(await inbox.listSlaPolicies(await actorOf(req)));
    }),
  );

  router.put(
    '/sla-policies/:teamId',
    handle(async (req, res) => {
      const actor = await actorOf(req);
      const { teamId } = teamParams.parse(req.params);
      res.json({ data: await inbox.putSlaPolicy(actor, teamId, slaPolicyBody.parse(req.body ?? {})) });
    }),
  );

  router.get(
    '/me/availability',
    handle(async (req, res) => {
      res.json({ data: await inbox.getAvailability(await actorOf(req)) });
    }),
  );

  router.put(
    '/me/availability',
    handle(async (req, res) => {
      const actor = await actorOf(req);
      const { availability } = availabilityBody.parse(req.body ?? {});
      res.json({ data: await inbox.setAvailability(actor, availability) });
    }),
  );

  return router;
}
