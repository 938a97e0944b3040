/** REST API under /api/v1 (DESIGN §5): JSON in and out, zod at the edge, services underneath. */
import express, { Router, type Request } from 'express';
import { z } from 'zod';
import { authenticate } from '../../http/authenticate';
import { HttpError } from '../../http/errors';
import { handle } from '../../http/handle';
import type { Actor, AuthService } from '../../services/auth.service';
import type { InboxService } from '../../services/inbox.service';

export interface ApiDeps {
  auth: AuthService;
  inbox: InboxService;
}

const credentials = z.object({ email: z.string().trim().min(1).max(320), password: z.string().min(1).max(1024) });
const listQuery = z.object({
  queue: z.enum(['all', 'mine', 'unassigned']).default('all'),
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});
const pageQuery = z.object({
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});
const idParams = z.object({ id: z.string().min(1).max(64) });
const replyBody = z.object({ text: z.string().trim().min(1, 'a reply needs some text').max(4096) });

export function createApiRouter({ auth, inbox }: ApiDeps): Router {
  const router = Router();
  router.use(express.json({ limit: '64kb' }));

  async function actorOf(req: Request): Promise<Actor> {
    const actor = await authenticate(auth, { cookie: req.get('cookie'), authorization: req.get('authorization') });
    if (!actor) throw new HttpError('unauthenticated', 'sign in or send a valid API token');
    return actor;
  }

  router.post(
    '/auth/tokens',
    handle(async (req, res) => {
      const { email, password } = credentials.parse(req.body ?? {});
      const token = await auth.issueApiToken(email, password);
      if (!token) throw new HttpError('unauthenticated', 'wrong email or password');
      res.status(201).json({ token });
    }),
  );

  router.get(
    '/conversations',
    handle(async (req, res) => {
      const actor = await actorOf(req);
      res.json(await inbox.listConversations(actor, listQuery.parse(req.query)));
    }),
  );

  router.get(
    '/conversations/:id',
    handle(async (req, res) => {
      const actor = await actorOf(req);
      res.json({ data: await inbox.getConversation(actor, idParams.parse(req.params).id) });
    }),
  );

  router.get(
    '/conversations/:id/messages',
    handle(async (req, res) => {
      const actor = await actorOf(req);
      res.json(await inbox.listMessages(actor, idParams.parse(req.params).id, pageQuery.parse(req.query)));
    }),
  );

  router.post(
    '/conversations/:id/messages',
    handle(async (req, res) => {
      const actor = await actorOf(req);
      const { id } = idParams.parse(req.params);
      const result = await inbox.reply(actor, id, replyBody.parse(req.body ?? {}));
      // 201 either way: the message exists; a provider refusal shows as status 'failed' with the reason.
      res.status(201).json({ data: result });
    }),
  );

  router.get(
    '/conversations/:id/events',
    handle(async (req, res) => {
      const actor = await actorOf(req);
      res.json(await inbox.listEvents(actor, idParams.parse(req.params).id));
    }),
  );

  router.use((_req, _res, next) => next(new HttpError('not_found', 'no such API route')));
  return router;
}
