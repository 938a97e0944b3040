/**
 * The web process: webhooks, the REST API and the Remix inbox on one Express app (DESIGN §5).
 * Stops cleanly on SIGINT/SIGTERM: stops accepting, finishes requests, closes pools.
 */
import pino from 'pino';
import { createInstagramAdapter } from '../activities/channels/instagram';
import { createMessengerAdapter } from '../activities/channels/messenger';
import { createWhatsAppAdapter } from '../activities/channels/whatsapp';
import { createDb, createListDb } from '../db/knexfile';
import { ConfigError } from '../workers/config';
import { loadWebConfig } from './config';
import { HttpError } from './http/errors';
import { createMetrics } from './http/metrics';
import { createLiveService } from './services/live.service';
import { createServer } from './server';
import { connectTemporal } from './temporal';

async function main(): Promise<void> {
  const config = loadWebConfig();
  const log = pino({ name: 'web', level: config.LOG_LEVEL });
  // A request refusal (an HttpError below 500) that nobody awaited, e.g. a page action that started
  // a service call and then failed an earlier check with its own 404, must not end the process:
  // any signed-in agent could crash the web that way (issue #7). Anything else still does.
  process.on('unhandledRejection', (reason) => {
    if (HttpError.is(reason) && reason.status < 500) {
      log.warn({ code: reason.code }, 'an unawaited request refusal was dropped');
      return;
    }
    throw reason;
  });
  const db = createDb(config.DATABASE_URL);
  const listDb = createListDb(config.DATABASE_URL);
  const temporal = connectTemporal(config.TEMPORAL_ADDRESS, config.TEMPORAL_NAMESPACE);
  const metrics = createMetrics();
  const live = createLiveService({
    db,
    databaseUrl: config.DATABASE_URL,
    log,
    metrics,
    refreshMs: config.LIVE_REFRESH_INTERVAL,
  });
  const app = await createServer({
    db,
    listDb,
    temporal,
    log,
    metrics,
    live,
    whatsapp: createWhatsAppAdapter({
      graphBaseUrl: config.META_GRAPH_BASE_URL,
      graphVersion: config.META_GRAPH_VERSION,
    }),
    messenger: createMessengerAdapter({
      graphBaseUrl: config.META_GRAPH_BASE_URL,
      graphVersion: config.META_GRAPH_VERSION,
    }),
    instagram: createInstagramAdapter({
      graphBaseUrl: config.META_GRAPH_BASE_URL,
      graphVersion: config.META_GRAPH_VERSION,
    }),
    config: {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      whatsappAppSecret: config.WHATSAPP_APP_SECRET,
      whatsappVerifyToken: config.WHATSAPP_VERIFY_TOKEN,
      secureCookies: config.NODE_ENV === 'production',
      temporalUiUrl: config.TEMPORAL_UI_URL,
      slaDefaultTiersMs: config.SLA_DEFAULT_TIERS,
      graph: { graphBaseUrl: config.META_GRAPH_BASE_URL, graphVersion: config.META_GRAPH_VERSION },
      mediaDir: config.MEDIA_DIR,
      auth: {
        idleTimeoutMs: config.SESSION_IDLE_TIMEOUT,
        absoluteTimeoutMs: config.SESSION_ABSOLUTE_TIMEOUT,
        secret: config.SESSION_SECRET,
        throttle: {
          windowMs: config.LOGIN_THROTTLE_WINDOW,
          maxPerAccount: config.LOGIN_MAX_FAILURES_PER_ACCOUNT,
          maxPerIp: config.LOGIN_MAX_FAILURES_PER_IP,
        },
      },
    },
    web: config.WEB_MODE === 'dev' ? { mode: 'dev' } : { mode: 'build', buildDir: config.WEB_BUILD_DIR },
  });
  const server = app.listen(config.PORT, config.HOST, () => log.info({ port: config.PORT }, 'web ready'));

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    log.info('web stopping');
    // Open event streams would keep server.close() waiting: end them (clients reconnect elsewhere).
    void live.stop();
    server.close(async () => {
      await temporal.connection.close();
      await Promise.all([db.destroy(), listDb.destroy()]);
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(
    err instanceof ConfigError ? err.message : `web failed: ${err instanceof Error ? err.message : String(err)}`,
  );
  process.exit(1);
});
