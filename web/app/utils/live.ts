/**
 * Live updates in the browser (DESIGN §5): one EventSource on `GET /api/v1/stream` per page,
 * reconnecting with backoff when the server refused or went away. Pages react to events by
 * revalidating their loaders, so the data they show always comes from the projection.
 */
import { useEffect, useRef, useState } from 'react';

export type LiveEvent =
  | {
      type: 'conversation';
      conversationId: string;
      version: number;
      teamId: string | null;
      assigneeId: string | null;
      status: string;
    }
  | { type: 'message'; conversationId: string; messageId: string }
  | {
      type: 'notification';
      notificationId: string;
      kind: string;
      title: string;
      body: string;
      conversationId: string | null;
    }
  | { type: 'membership' }
  /** Client-side: the stream (re)connected after a gap, so anything may have changed meanwhile. */
  | { type: 'resync' };

const STREAM_TYPES = ['conversation', 'message', 'notification', 'membership'] as const;
/**
 * `ready`: subscribed, so whatever changed between the page load and now must be fetched once;
 * `resync`: the server may have missed events (its Postgres connection dropped).
 */
const RESYNC_TYPES = ['ready', 'resync'] as const;
export const STREAM_URL = '/api/v1/stream';
const MAX_BACKOFF_MS = 30_000;

export type LiveStatus = 'connecting' | 'open' | 'offline';

/** Calls `handler` for every live event; returns the connection status for a small indicator. */
export function useLiveEvents(handler: (event: LiveEvent) => void, url: string = STREAM_URL): LiveStatus {
  const handlerRef = useRef(handler);
  const [status, setStatus] = useState<LiveStatus>('connecting');

  useEffect(() => {
    handlerRef.current = handler;
  });

  useEffect(() => {
    if (typeof EventSource === 'undefined') return;
    let source: EventSource | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    let stopped = false;

    const emit = (event: LiveEvent) => {
      try {
        handlerRef.current(event);
      } catch (err) {
        console.warn('live event handler failed', err);
      }
    };

    const connect = () => {
      source = new EventSource(url, { withCredentials: true });
      source.onopen = () => {
        attempt = 0;
        setStatus('open');
      };
      for (const type of RESYNC_TYPES) source.addEventListener(type, () => emit({ type: 'resync' }));
      for (const type of STREAM_TYPES) {
        source.addEventListener(type, (message) => {
          try {
            emit({ ...JSON.parse((message as MessageEvent<string>).data), type } as LiveEvent);
          } catch {
            // A malformed event is skipped; the next one or the next load catches up.
          }
        });
      }
      source.onerror = () => {
        // CONNECTING: the browser retries by itself. CLOSED: it gave up (a 4xx/5xx), so back off.
        if (source?.readyState !== EventSource.CLOSED) {
          setStatus('connecting');
          return;
        }
        source.close();
        setStatus('offline');
        const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt++);
        timer = setTimeout(() => {
          if (!stopped) connect();
        }, delay);
      };
    };

    connect();
    const onVisible = () => {
      if (document.visibilityState === 'visible') emit({ type: 'resync' });
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      stopped = true;
      clearTimeout(timer);
      source?.close();
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [url]);

  return status;
}
