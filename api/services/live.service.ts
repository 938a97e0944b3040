/**
 * Live updates for signed-in users (DESIGN §5 "Live updates"). One dedicated Postgres connection per
 * web process LISTENs on `kliovo_live` (activities/projection/live.ts publishes there after each
 * projection write commits) and the events are fanned out in memory to this process's SSE
 * subscribers, each filtered by the inbox's visibility rule (api/services/access.ts, DESIGN §4):
 *
 * - conversation and message events: owners and admins always; an agent when the conversation is
 *   assigned to them or sits in one of their teams (from the payload, so no query per subscriber);
 * - notification events: only the notified user.
 *
 * Each subscriber's team ids are cached and re-read on a timer and on a `membership` event; the
 * timer also re-checks each subscriber's session or token, so a stream ends soon after sign-out or
 * when the account is disabled. When the LISTEN connection drops it is re-established with
 * backoff and every subscriber gets a `resync` event (what happened meanwhile was not seen).
 */
import { Client } from 'pg';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import {
  LIVE_CHANNEL,
  type ConversationLiveEvent,
  type LiveEvent,
  type MessageLiveEvent,
  type NotificationLiveEvent,
} from '../../activities/projection/live';
import type { Metrics } from '../http/metrics';
import { isManager } from './access';
import type { Actor } from './auth.service';

/** What a subscriber may receive: the visible projection events, and `resync` after a gap. */
export type DeliveredEvent = ConversationLiveEvent | MessageLiveEvent | NotificationLiveEvent | { type: 'resync' };

export interface Viewer {
  actor: Pick<Actor, 'id' | 'role'>;
  teamIds: ReadonlySet<string>;
}

/**
 * The inbox's visibility rule for one event (DESIGN §4; `visibleTo` in access.ts is the SQL
 * twin). A message event whose conversation could not be resolved goes to managers only.
 */
export function canSee(viewer: Viewer, event: LiveEvent): boolean {
  switch (event.type) {
    case 'notification':
      return event.userId === viewer.actor.id;
    case 'conversation':
    case 'message':
      if (isManager(viewer.actor as Actor)) return true;
      if (event.assigneeId != null && event.assigneeId === viewer.actor.id) return true;
      return event.teamId != null && viewer.teamIds.has(event.teamId);
    case 'membership':
      return false;
  }
}

/** Parses a NOTIFY payload; null for anything that is not one of our events. */
export function parseLiveEvent(payload: string): LiveEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const event = value as LiveEvent;
  switch (event.type) {
    case 'conversation':
    case 'message':
      return typeof event.conversationId === 'string' ? event : null;
    case 'notification':
    case 'membership':
      return typeof event.userId === 'string' ? event : null;
    default:
      return null;
  }
}

export interface LiveSubscription {
  send(event: DeliveredEvent): void;
  /** Ends the subscriber's stream (sign-out seen on revalidation, or shutdown). */
  close(): void;
  /** The subscriber's current actor (null: the session or token is no longer valid). */
  revalidate?: () => Promise<Actor | null>;
}

export interface LiveServiceDeps {
  db: Knex;
  /** The connection string for the dedicated LISTEN connection. */
  databaseUrl: string;
  log: Logger;
  metrics?: Pick<Metrics, 'sseSubscribers' | 'liveEvents' | 'listenReconnects'>;
  /** How often team ids, sessions and the LISTEN connection are checked. */
  refreshMs?: number;
  /** How long subscribe waits for the LISTEN connection before carrying on (events follow once it is up). */
  listenWaitMs?: number;
}

interface Subscriber extends LiveSubscription, Viewer {
  actor: Actor;
  teamIds: Set<string>;
}

const MAX_BACKOFF_MS = 10_000;
/** The LISTEN connection's application_name, so it can be told apart in pg_stat_activity. */
export const LISTENER_NAME = 'kliovo-live-listener';

export function createLiveService({
  db,
  databaseUrl,
  log,
  metrics,
  refreshMs = 30_000,
  listenWaitMs = 5_000,
}: LiveServiceDeps) {
  const subscribers = new Set<Subscriber>();
  let listener: Client | null = null;
  let connecting: Promise<void> | null = null;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let refreshTimer: NodeJS.Timeout | undefined;
  let backoffMs = 0;
  let gap = false;
  let stopped = false;
  // Events are dispatched one after another, so a lookup never reorders them.
  let queue: Promise<void> = Promise.resolve();

  function listen(): Promise<void> {
    if (stopped) return Promise.reject(new Error('live updates stopped'));
    if (listener) return Promise.resolve();
    connecting ??= connectListener().finally(() => {
      connecting = null;
    });
    return connecting;
  }

  async function connectListener(): Promise<void> {
    const client = new Client({ connectionString: databaseUrl, keepAlive: true, application_name: LISTENER_NAME });
    client.on('notification', (msg) => {
      if (msg.channel === LIVE_CHANNEL && msg.payload) receive(msg.payload);
    });
    client.on('error', (err) => lost(client, err));
    client.on('end', () => lost(client, new Error('connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${LIVE_CHANNEL}`);
    } catch (err) {
      client.removeAllListeners('end');
      client.end().catch(() => undefined);
      gap = true;
      log.warn({ err: errMessage(err) }, 'live: LISTEN connection failed; retrying');
      scheduleReconnect();
      throw err;
    }
    if (stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    listener = client;
    backoffMs = 0;
    if (gap) {
      gap = false;
      metrics?.listenReconnects.inc();
      log.info('live: LISTEN connection re-established');
      // Whatever was published meanwhile is gone: pages refetch what they show.
      for (const sub of subscribers) sub.send({ type: 'resync' });
    }
  }

  function lost(client: Client, err: unknown): void {
    if (listener !== client) return;
    listener = null;
    gap = true;
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    if (stopped) return;
    log.warn({ err: errMessage(err) }, 'live: LISTEN connection lost; reconnecting');
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    if (stopped || reconnectTimer) return;
    backoffMs = Math.min(Math.max(backoffMs * 2, 250), MAX_BACKOFF_MS);
    const delay = Math.round(backoffMs * (0.5 + Math.random() / 2));
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      listen().catch(() => undefined);
    }, delay);
  }

  function receive(payload: string): void {
    const event = parseLiveEvent(payload);
    if (!event) {
      log.warn('live: ignored a malformed event');
      return;
    }
    metrics?.liveEvents.inc({ type: event.type });
    queue = queue
      .then(() => dispatch(event))
      .catch((err: unknown) => log.warn({ err: errMessage(err), type: event.type }, 'live: dispatch failed'));
  }

  async function dispatch(event: LiveEvent): Promise<void> {
    if (subscribers.size === 0) return;
    if (event.type === 'membership') {
      await refreshTeams([...subscribers].filter((s) => s.actor.id === event.userId));
      return;
    }
    let delivered: LiveEvent = event;
    if (event.type === 'message' && (event.teamId === undefined || event.assigneeId === undefined)) {
      // Once per event, shared by every subscriber; only when someone needs it for the filter.
      if ([...subscribers].some((s) => !isManager(s.actor))) {
        const row = await db('conversations').where({ id: event.conversationId }).first('team_id', 'assignee_id');
        delivered = { ...event, teamId: row?.team_id ?? null, assigneeId: row?.assignee_id ?? null };
      }
    }
    for (const sub of subscribers) {
      if (canSee(sub, delivered)) sub.send(delivered as DeliveredEvent);
    }
  }

  async function teamIdsOf(userIds: string[]): Promise<Map<string, Set<string>>> {
    const rows: Array<{ user_id: string; team_id: string }> = await db('team_members')
      .whereIn('user_id', userIds)
      .select('user_id', 'team_id');
    const byUser = new Map<string, Set<string>>(userIds.map((id) => [id, new Set<string>()]));
    for (const row of rows) byUser.get(row.user_id)?.add(row.team_id);
    return byUser;
  }

  async function refreshTeams(subs: Subscriber[]): Promise<void> {
    if (subs.length === 0) return;
    const byUser = await teamIdsOf([...new Set(subs.map((s) => s.actor.id))]);
    for (const sub of subs) sub.teamIds = byUser.get(sub.actor.id) ?? new Set();
  }

  /** Sessions, roles, teams and the LISTEN connection, every `refreshMs`. */
  async function refresh(): Promise<void> {
    for (const sub of [...subscribers]) {
      if (!sub.revalidate) continue;
      const actor = await sub.revalidate().catch(() => sub.actor);
      if (!actor) {
        sub.close();
        continue;
      }
      sub.actor = actor;
    }
    await refreshTeams([...subscribers]);
    // A half-open TCP connection would otherwise go unnoticed until the OS gives up.
    const client = listener;
    if (client) await client.query('select 1').catch((err: unknown) => lost(client, err));
  }

  function scheduleRefresh(): void {
    if (refreshTimer || stopped) return;
    refreshTimer = setTimeout(() => {
      refresh()
        .catch((err: unknown) => log.warn({ err: errMessage(err) }, 'live: refresh failed'))
        .finally(() => {
          refreshTimer = undefined;
          if (subscribers.size > 0) scheduleRefresh();
        });
    }, refreshMs);
  }

  return {
    /**
     * Adds a subscriber once its team ids are loaded and (within `listenWaitMs`) the LISTEN
     * connection is up; events published after this resolves reach it. Returns unsubscribe.
     */
    async subscribe(actor: Actor, subscription: LiveSubscription): Promise<() => void> {
      if (stopped) throw new Error('live updates stopped');
      const listening = listen().catch(() => undefined);
      const teams = (await teamIdsOf([actor.id])).get(actor.id) ?? new Set<string>();
      let timeout: NodeJS.Timeout | undefined;
      await Promise.race([listening, new Promise((r) => (timeout = setTimeout(r, listenWaitMs)))]);
      clearTimeout(timeout);
      const sub: Subscriber = { ...subscription, actor, teamIds: teams };
      subscribers.add(sub);
      metrics?.sseSubscribers.set(subscribers.size);
      scheduleRefresh();
      return () => {
        if (!subscribers.delete(sub)) return;
        metrics?.sseSubscribers.set(subscribers.size);
      };
    },

    get size(): number {
      return subscribers.size;
    },

    /** Ends every stream and the LISTEN connection (process shutdown). */
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(reconnectTimer);
      clearTimeout(refreshTimer);
      for (const sub of [...subscribers]) sub.close();
      subscribers.clear();
      metrics?.sseSubscribers.set(0);
      await connecting?.catch(() => undefined);
      const client = listener;
      listener = null;
      if (client) {
        client.removeAllListeners('end');
        await client.end().catch(() => undefined);
      }
    },
  };
}

export type LiveService = ReturnType<typeof createLiveService>;

const errMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));
