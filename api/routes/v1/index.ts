/** REST API under /api/v1 (DESIGN §5): JSON in and out, zod at the edge, services underneath. */
import express, { Router } from 'express';
import { z } from 'zod';
import { HttpError } from '../../http/errors';
import { handle } from '../../http/handle';
import { retryAfterOf } from '../../http/authenticate';
import type { AuthService } from '../../services/auth.service';
import type { ChannelsService } from '../../services/channels.service';
import type { InboxService } from '../../services/inbox.service';
import { actorResolver } from './actor';
import { createAuditRouter } from './audit.router';
import { createChannelsRouter } from './channels.router';
import { createConversationsRouter } from './conversations.router';
import { createWorkspaceRouter } from './workspace.router';

export interface ApiDeps {
  auth: AuthService;
  inbox: InboxService;
  channels: ChannelsService;
}

const credentials = z.object({ email: z.string().trim().min(1).max(320), password: z.string().min(1).max(1024) });

export function createApiRouter({ auth, inbox, channels }: ApiDeps): Router {
  const router = Router();
  router.use(express.json({ limit: '64kb' }));
  const actorOf = actorResolver(auth);

  router.post(
    '/auth/tokens',
    handle(async (req, res) => {
      const { email, password } = credentials.parse(req.body ?? {});
      const token = await auth.issueApiToken(email, password, { ip: req.ip }).catch((err: unknown) => {
        const retryAfter = retryAfterOf(err);
        if (retryAfter !== null) res.set('Retry-After', String(retryAfter));
        throw err;
      });
      if (!token) throw new HttpError('unauthenticated', 'wrong email or password');
      res.status(201).json({ token });
    }),
  );

  router.use('/conversations', createConversationsRouter({ inbox, actorOf }));
  router.use('/channels', createChannelsRouter({ channels, actorOf }));
  router.use(createWorkspaceRouter({ inbox, actorOf }));
  router.use(createAuditRouter({ actorOf }));

  router.use((_req, _res, next) => next(new HttpError('not_found', 'no such API route')));
  return router;
}
