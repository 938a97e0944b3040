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
 * Only events the user may see arrive (api/services/live.service.ts), at most 100 ms after this
 * process hears of them (events within that window share one write). The stream ends when the
 * client goes away, when the process shuts down, and soon after the session ends.
 */
import { Router, type Response } from 'express';
import { authenticate } from '../../http/authenticate';
import { handle } from '../../http/handle';
import type { AuthService } from '../../services/auth.service';
import type { DeliveredEvent, LiveService } from '../../services/live.service';
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

/**
 * A live event's frame, built once: the live service hands every subscriber that may see an event
 * the same object, so with 50 streams open one JSON serialization serves them all instead of 50.
 */
const liveFrames = new WeakMap<DeliveredEvent, string>();
function liveFrame(event: DeliveredEvent): string {
  let frame = liveFrames.get(event);
  if (frame === undefined) {
    frame = sseEvent(event.type, event);
    liveFrames.set(event, frame);
  }
  return frame;
}

export function sseRetry(ms: number): string {
  return `retry: ${Math.max(0, Math.floor(ms))}\n\n`;
}

export interface StreamRouterDeps {
  auth: AuthService;
  live: LiveService;
  pingMs?: number;
  retryMs?: number;
  /** Events to one stream within this window go out in one write (see openStream). */
  coalesceMs?: number;
}

/** A client that reads this slowly is cut off; it reconnects and refetches. */
const MAX_BUFFERED_BYTES = 1 << 20;

export function createStreamRouter({
  auth,
  live,
  pingMs = 20_000,
  retryMs = 2_000,
  coalesceMs = 100,
}: StreamRouterDeps): Router {
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
      const stream = openStream(res, pingMs, coalesceMs);
      stream.write(sseRetry(retryMs), { now: true });
      try {
        const unsubscribe = await live.subscribe(actor, {
          send: (event) => stream.write(liveFrame(event)),
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
      stream.write(sseEvent('ready', { userId: actor.id }), { now: true });
    }),
  );

  return router;
}

/**
 * One response's frames. Events are held for `coalesceMs` and written together: a projection
 * change is usually a message and a conversation event at once, and in a rush every open stream
 * would otherwise take a socket write (and wake its reader) per event. What is held is written
 * before the server ends the stream.
 */
function openStream(res: Response, pingMs: number, coalesceMs: number) {
  let ended = false;
  let held = '';
  let flushTimer: NodeJS.Timeout | undefined;
  const cleanups: Array<() => void> = [];
  const flush = () => {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    if (ended || !held) return;
    const chunk = held;
    held = '';
    res.write(chunk);
    if (res.writableLength > MAX_BUFFERED_BYTES) end({ closeConnection: true });
  };
  const write = (chunk: string, { now = false }: { now?: boolean } = {}) => {
    if (ended) return;
    held += chunk;
    if (now || coalesceMs <= 0) flush();
    else flushTimer ??= setTimeout(flush, coalesceMs);
  };
  const ping = setInterval(() => write(sseComment('ping'), { now: true }), pingMs);
  const end = ({ closeConnection = false, gone = false }: { closeConnection?: boolean; gone?: boolean } = {}) => {
    if (ended) return;
    // Sign-out or shutdown: what is held still goes out. A client that went away gets nothing more.
    if (!gone) flush();
    if (ended) return;
    ended = true;
    clearTimeout(flushTimer);
    clearInterval(ping);
    for (const fn of cleanups) fn();
    res.end(() => {
      if (closeConnection) res.socket?.destroy();
    });
  };
  res.on('close', () => end({ gone: true }));
  return {
    write,
    end,
    onEnd(fn: () => void) {
      if (ended) fn();
      else cleanups.push(fn);
    },
  };
}
