/**
 * The web process: webhooks, the REST API and the Remix inbox on one Express app (DESIGN §5).
 * Stops cleanly on SIGINT/SIGTERM: stops accepting, finishes requests, closes pools.
 */
import pino from 'pino';
import { createWhatsAppAdapter } from '../activities/channels/whatsapp';
import { createDb } from '../db/knexfile';
import { ConfigError } from '../workers/config';
import { loadWebConfig } from './config';
import { createServer } from './server';
import { connectTemporal } from './temporal';

async function main(): Promise<void> {
  const config = loadWebConfig();
  const log = pino({ name: 'web', level: config.LOG_LEVEL });
  const db = createDb(config.DATABASE_URL);
  const temporal = await connectTemporal(config.TEMPORAL_ADDRESS, config.TEMPORAL_NAMESPACE);
  const app = await createServer({
    db,
    temporal,
    log,
    whatsapp: createWhatsAppAdapter({
      graphBaseUrl: config.META_GRAPH_BASE_URL,
      graphVersion: config.META_GRAPH_VERSION,
    }),
    config: {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      whatsappAppSecret: config.WHATSAPP_APP_SECRET,
      whatsappVerifyToken: config.WHATSAPP_VERIFY_TOKEN,
      secureCookies: config.NODE_ENV === 'production',
      temporalUiUrl: config.TEMPORAL_UI_URL,
    },
    web: config.WEB_MODE === 'dev' ? { mode: 'dev' } : { mode: 'build', buildDir: config.WEB_BUILD_DIR },
  });
  const server = app.listen(config.PORT, config.HOST, () => log.info({ port: config.PORT }, 'web ready'));

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    log.info('web stopping');
    server.close(async () => {
      await temporal.connection.close();
      await db.destroy();
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
