/**
 * `GET /api/v1/media/:id` (DESIGN §5): a stored inbound media file for signed-in staff who can see
 * its conversation. Mounted on /api/v1 before the main API router, which handles everything else.
 * Provider files are untrusted: the type is never sniffed, only images, audio and video are shown
 * inline, and a sandbox CSP keeps anything that slips through from running as our origin.
 */
import { Router } from 'express';
import { z } from 'zod';
import { authenticate } from '../../http/authenticate';
import { HttpError } from '../../http/errors';
import { handle } from '../../http/handle';
import type { AuthService } from '../../services/auth.service';
import { contentDisposition, type MediaService } from '../../services/media.service';

export interface MediaRouterDeps {
  auth: AuthService;
  media: MediaService;
}

/** A stored file never changes under its id; private: only the signed-in browser may keep it. */
const CACHE_CONTROL = 'private, max-age=86400';
const idParams = z.object({ id: z.string().min(1).max(64) });

export function createMediaRouter({ auth, media }: MediaRouterDeps): Router {
  const router = Router();

  router.get(
    '/media/:id',
    handle(async (req, res) => {
      const actor = await authenticate(auth, { cookie: req.get('cookie'), authorization: req.get('authorization') });
      if (!actor) throw new HttpError('unauthenticated', 'sign in or send a valid API token');
      const file = await media.mediaFile(actor, idParams.parse(req.params).id);
      res.status(200).set({
        'Content-Type': file.mimeType,
        'Content-Length': String(file.size),
        'Content-Disposition': contentDisposition(file.disposition, file.filename),
        'Cache-Control': CACHE_CONTROL,
        'X-Content-Type-Options': 'nosniff',
        'Content-Security-Policy': 'sandbox',
      });
      if (req.method === 'HEAD') {
        file.stream.destroy();
        res.end();
        return;
      }
      // Headers are out: a read error can only cut the response short.
      file.stream.on('error', () => res.destroy());
      file.stream.pipe(res);
    }),
  );

  return router;
}
