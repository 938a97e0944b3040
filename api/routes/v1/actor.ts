import type { Request } from 'express';
import { authenticate } from '../../http/authenticate';
import { HttpError } from '../../http/errors';
import type { Actor, AuthService } from '../../services/auth.service';

/** The signed-in user behind a request (session cookie or bearer token), or a 401. */
export type ActorOf = (req: Request) => Promise<Actor>;

export function actorResolver(auth: AuthService): ActorOf {
  return async (req) => {
    const actor = await authenticate(auth, { cookie: req.get('cookie'), authorization: req.get('authorization') });
    if (!actor) throw new HttpError('unauthenticated', 'sign in or send a valid API token');
    return actor;
  };
}
