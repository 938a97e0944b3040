/**
 * createServer(deps): one Express app with webhooks, /api/v1, health, then the Remix handler
 * (STYLE §6). Nothing listens at import time; api/main.ts and the tests call listen().
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequestHandler } from '@remix-run/express';
import type { AppLoadContext, ServerBuild } from '@remix-run/node';
import type { Client } from '@temporalio/client';
import express, { type Express, type RequestHandler } from 'express';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { ChannelAdapter } from '../activities/channels/types';
// Augments Remix's AppLoadContext with our services (web/app/load-context.ts).
import '../web/app/load-context';
import { auditForbidden } from './http/authenticate';
import { errorMiddleware } from './http/error-middleware';
import type { Metrics } from './http/metrics';
import { HttpError } from './http/errors';
import { createApiRouter } from './routes/v1';
import { createChannelsService } from './services/channels.service';
import { createAuthService } from './services/auth.service';
import { createInboxService } from './services/inbox.service';
import { createIngestService } from './services/ingest.service';
import { createWhatsAppWebhookRouter } from './webhooks/whatsapp.router';
import { createMetaWebhookRouter } from './webhooks/meta.router';
import { createLocalMediaStorage } from '../activities/media/storage';
import { createMediaService } from './services/media.service';
import { createMediaRouter } from './routes/v1/media.router';
import { createStreamRouter } from './routes/v1/stream.router';
import type { LiveService } from './services/live.service';

export interface ServerDeps {
  db: Knex;
  /** The inbox list's own pool (db/knexfile.ts createListDb); `db` when not given. */
  listDb?: Knex;
  temporal: Client;
  log: Logger;
  whatsapp: ChannelAdapter;
  /** Messenger and Instagram adapters for /webhooks/meta (signed with the same app secret). */
  messenger: ChannelAdapter;
  instagram: ChannelAdapter;
  /** The process's Prometheus registry (GET /metrics) and its live-update fan-out (GET /api/v1/stream). */
  metrics: Metrics;
  live: LiveService;
  config: {
    taskQueue: string;
    whatsappAppSecret: string;
    whatsappVerifyToken: string;
    secureCookies: boolean;
    temporalUiUrl: string;
    /** The default SLA policy (SLA_DEFAULT_TIERS), shown for teams without their own. */
    slaDefaultTiersMs: readonly [number, number, number];
    /** Where the worker stores inbound media (MEDIA_DIR); served by GET /api/v1/media/:id. */
    mediaDir: string;
    /** META_GRAPH_BASE_URL and META_GRAPH_VERSION, for syncing a channel's templates. */
    graph: { graphBaseUrl: string; graphVersion: string };
    /** Session timeouts and login rate limiting (DESIGN §4); defaults in auth.service.ts. */
    auth?: {
      idleTimeoutMs: number;
      absoluteTimeoutMs: number;
      secret: string;
      throttle: { windowMs: number; maxPerAccount: number; maxPerIp: number };
    };
  };
  /** How the inbox pages are served: a built Remix app, Vite in dev, or none (API-only tests). */
  web: { mode: 'build'; buildDir: string } | { mode: 'dev' } | { mode: 'none' };
}

export async function createServer(deps: ServerDeps): Promise<Express> {
  const { db, temporal, log, config } = deps;
  const auth = createAuthService({ db, log, ...config.auth });
  const inbox = createInboxService({ db, listDb: deps.listDb, temporal, slaDefaultTiersMs: config.slaDefaultTiersMs });
  const ingest = createIngestService({ db, temporal, taskQueue: config.taskQueue, log });

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(deps.metrics.middleware);
  app.get('/metrics', deps.metrics.handler);

  app.get('/healthz', async (_req, res) => {
    // Bounded: the Temporal client would otherwise retry an unreachable server for ~20 s.
    const checks = await Promise.allSettled([
      db.raw('select 1'),
      temporal.withDeadline(Date.now() + 2_000, () => temporal.workflowService.getSystemInfo({})),
    ]);
    const [database, temporalCheck] = checks.map((c) => (c.status === 'fulfilled' ? 'ok' : 'unavailable'));
    const ok = checks.every((c) => c.status === 'fulfilled');
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'degraded', database, temporal: temporalCheck });
  });

  app.use(
    '/webhooks/whatsapp',
    createWhatsAppWebhookRouter({
      adapter: deps.whatsapp,
      ingest,
      appSecret: config.whatsappAppSecret,
      verifyToken: config.whatsappVerifyToken,
    }),
  );

  app.use(
    '/webhooks/meta',
    createMetaWebhookRouter({
      messenger: deps.messenger,
      instagram: deps.instagram,
      ingest,
      appSecret: config.whatsappAppSecret,
      verifyToken: config.whatsappVerifyToken,
    }),
  );

  app.use(sameOriginForStateChanges());
  const media = createMediaService({ db, storage: createLocalMediaStorage(config.mediaDir) });
  app.use('/api/v1', createMediaRouter({ auth, media }));
  app.use('/api/v1', createStreamRouter({ auth, live: deps.live }));
  const channels = createChannelsService({ db, graph: config.graph });
  app.use('/api/v1', createApiRouter({ auth, inbox, channels }));
  app.use('/api', (_req, _res, next) => next(new HttpError('not_found', 'no such API route')));

  const loadContext = {
    services: { auth, inbox },
    config: { secureCookies: config.secureCookies, temporalUiUrl: config.temporalUiUrl },
  };
  await mountWeb(app, deps.web, (req) => ({ ...loadContext, clientIp: req.ip ?? 'unknown' }));
  // The one error middleware: next(err) skips the Remix handler, so API and webhook errors land here.
  app.use(auditForbidden(auth));
  app.use(errorMiddleware(log));
  return app;
}

/**
 * CSRF baseline (TECH-NOTES §5): a browser's state-changing request must come from our own
 * origin. Webhooks are mounted before this (Meta is another origin; its signature authenticates).
 */
function sameOriginForStateChanges(): RequestHandler {
  return (req, _res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    const origin = req.get('origin');
    if (!origin) return next();
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      return next(new HttpError('forbidden', 'cross-origin request refused'));
    }
    if (host !== req.get('host')) return next(new HttpError('forbidden', 'cross-origin request refused'));
    next();
  };
}

async function mountWeb(
  app: Express,
  web: ServerDeps['web'],
  getLoadContext: (req: express.Request) => AppLoadContext,
): Promise<void> {
  if (web.mode === 'none') return;
  if (web.mode === 'dev') {
    const vite = await import('vite');
    const server = await vite.createServer({ server: { middlewareMode: true } });
    app.use(server.middlewares);
    app.all(
      '*',
      createRequestHandler({
        build: () => server.ssrLoadModule('virtual:remix/server-build') as Promise<ServerBuild>,
        getLoadContext,
      }),
    );
    return;
  }
  const serverBuild = path.resolve(web.buildDir, 'server', 'index.mjs');
  const build = (await importEsm(pathToFileURL(serverBuild).href)) as ServerBuild;
  const client = path.resolve(web.buildDir, 'client');
  app.use('/assets', express.static(path.join(client, 'assets'), { immutable: true, maxAge: '1y' }));
  // Only the build's own top-level files and folders go to the disk: every page and data request
  // would otherwise cost a stat that finds nothing before it reaches Remix.
  const clientEntries = new Set(readdirSync(client));
  const serveClient = express.static(client, { maxAge: '1h' });
  app.use((req, res, next) => (clientEntries.has(req.path.split('/')[1]!) ? serveClient(req, res, next) : next()));
  app.all('*', createRequestHandler({ build, getLoadContext }));
}

// A real dynamic import from this CommonJS module (the Remix server build is ESM).
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;
