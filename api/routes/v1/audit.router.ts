/**
 * `GET /api/v1/audit-log` (issue #7): the staff actions of the workspace, newest first, for
 * owners (403 for everyone else, itself audited as `auth.forbidden`). Keyset-paginated:
 * `{ data: [...], nextCursor }`; filters by action (or `area.` prefix), actor and target.
 */
import { Router } from 'express';
import type { Knex } from 'knex';
import { Model } from 'objection';
import { z } from 'zod';
import { handle } from '../../http/handle';
import { createAuditLogService } from '../../services/audit-log.service';
import type { ActorOf } from './actor';
import { pageQuery } from './schemas';

const auditQuery = pageQuery.extend({
  action: z
    .string()
    .regex(/^[a-z_]+(\.[a-z_]*)?$/, 'an action such as conversation.assign, or an area such as conversation.')
    .max(80)
    .optional(),
  actorUserId: z.uuid('not a valid user id').optional(),
  targetKind: z
    .string()
    .regex(/^[a-z_]{1,40}$/, 'a target kind such as conversation or user')
    .optional(),
  targetId: z.string().min(1).max(100).optional(),
});

/**
 * `db` defaults to the process's pool, which db/knexfile.ts createDb binds to Objection's models
 * once per process: the API router's dependencies (auth, inbox, channels) do not carry a Knex.
 */
export function createAuditRouter({ actorOf, db = Model.knex() }: { actorOf: ActorOf; db?: Knex }): Router {
  const router = Router();
  const audit = createAuditLogService({ db });

  router.get(
    '/audit-log',
    handle(async (req, res) => {
      const actor = await actorOf(req);
      res.json(await audit.list(actor, auditQuery.parse(req.query)));
    }),
  );

  return router;
}
