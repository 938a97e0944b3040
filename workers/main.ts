/**
 * The worker process: composition root for activities and workflows (DESIGN §1).
 * Stops cleanly on SIGINT/SIGTERM: in-flight activities finish, then connections close.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import pino from 'pino';
import { createChannelRegistry } from '../activities/channels/registry';
import { createDb } from '../db/knexfile';
import { ConfigError, loadWorkerConfig } from './config';
import { createInboxWorker } from './create-worker';

const PREBUILT_BUNDLE = path.join(__dirname, '..', 'build', 'workflows', 'bundle.js');

async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const log = pino({ name: 'worker', level: config.LOG_LEVEL });
  const db = createDb(config.DATABASE_URL);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const bundle = config.WORKFLOW_BUNDLE_PATH ?? (existsSync(PREBUILT_BUNDLE) ? PREBUILT_BUNDLE : undefined);
  const worker = await createInboxWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowBundlePath: bundle,
    deps: {
      db,
      channels: createChannelRegistry({
        graphBaseUrl: config.META_GRAPH_BASE_URL,
        graphVersion: config.META_GRAPH_VERSION,
      }),
    },
  });
  log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, bundle: bundle ? 'prebuilt' : 'bundled at start' }, 'worker ready');
  // The SDK installs SIGINT/SIGTERM handlers that shut the worker down; run() resolves after.
  await worker.run();
  await connection.close();
  await db.destroy();
  log.info('worker stopped');
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(err.message);
  } else {
    console.error('worker failed:', err instanceof Error ? err.message : err);
  }
  process.exit(1);
});
