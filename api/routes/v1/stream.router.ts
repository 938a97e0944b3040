/**
 * GET /api/v1/stream (DESIGN §5): Server-Sent Events for the signed-in user (session cookie or
 * bearer token; 401 otherwise). The wire contract, one `event:` per frame, `data:` a JSON object:
 *
 *   retry: 2000                      reconnect delay for EventSource
 *   event: ready                     subscribed; events from now on reach this stream (refetch once)
 *   event: conversation              { type, conversationId, version, teamId, assigneeId, status }
 *   event: message                   { type, conversationId, messageId, teamId?, assigneeId? }
 *   event: notification              { type, notificationId, userId, kind, title, body, conversationId }
 *   event: resync                    events may have been missed (Postgres reconnect): refetch
 *   : ping                           a comment every 20 s, so proxies keep the connection open
 *
 * Only events the user may see arrive (api/services/live.service.ts). The stream ends when the
 * client goes away, when the process shuts down, and soon after the session ends.
 */
import { Router, type Response } from 'express';
import { authenticate } from '../../http/authenticate';
import { handle } from '../../http/handle';
import type { AuthService } from '../../services/auth.service';
import type { LiveService } from '../../services/live.service';
import { actorResolver } from './actor';

/** One SSE frame. JSON has no raw newlines, but every line of `data` is prefixed all the same. */
export function sseEvent(event: string, data: unknown): string {
  const name = event.replace(/[\r\n]/g, '');
  const lines = JSON.stringify(data).split(/\r\n|\r|\n/);
  return `event: ${name}\n${lines.map((l) => `data: ${l}`).join('\n')}\n\n`;
}

export function sseComment(text: string): string {
  return `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`;
}

export function sseRetry(ms: number): string {
  return `retry: ${Math.max(0, Math.floor(ms))}\n\n`;
}

export interface StreamRouterDeps {
  auth: AuthService;
  live: LiveService;
  pingMs?: number;
  retryMs?: number;
}

/** A client that reads this slowly is cut off; it reconnects and refetches. */
const MAX_BUFFERED_BYTES = 1 << 20;

export function createStreamRouter({ auth, live, pingMs = 20_000, retryMs = 2_000 }: StreamRouterDeps): Router {
  const router = Router();
  const actorOf = actorResolver(auth);

  router.get(
    '/stream',
    handle(async (req, res) => {
      const actor = await actorOf(req);
      const credentials = { cookie: req.get('cookie'), authorization: req.get('authorization') };
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        'X-Accel-Buffering': 'no',
      });
      res.socket?.setNoDelay(true);
      const stream = openStream(res, pingMs);
      stream.write(sseRetry(retryMs));
      try {
        const unsubscribe = await live.subscribe(actor, {
          send: (event) => stream.write(sseEvent(event.type, event)),
          // Shutdown or a dead session: end the response and its connection, so the server can close.
          close: () => stream.end({ closeConnection: true }),
          // Re-checked on the service's timer without counting as activity for the idle timeout.
          revalidate: () => authenticate(auth, credentials, { touch: false }),
        });
        stream.onEnd(unsubscribe);
      } catch {
        stream.end({ closeConnection: true });
        return;
      }
      stream.write(sseEvent('ready', { userId: actor.id }));
    }),
  );

  return router;
}

function openStream(res: Response, pingMs: number) {
  let ended = false;
  const cleanups: Array<() => void> = [];
  const ping = setInterval(() => write(sseComment('ping')), pingMs);
  const end = ({ closeConnection = false }: { closeConnection?: boolean } = {}) => {
    if (ended) return;
    ended = true;
    clearInterval(ping);
    for (const fn of cleanups) fn();
    res.end(() => {
      if (closeConnection) res.socket?.destroy();
    });
  };
  const write = (chunk: string) => {
    if (ended) return;
    res.write(chunk);
    if (res.writableLength > MAX_BUFFERED_BYTES) end({ closeConnection: true });
  };
  res.on('close', () => end());
  return {
    write,
    end,
    onEnd(fn: () => void) {
      if (ended) fn();
      else cleanups.push(fn);
    },
  };
}
