/**
 * The worker process: composition root for activities and workflows (DESIGN §1).
 * Stops cleanly on SIGINT/SIGTERM: in-flight activities finish, then connections close.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import pino from 'pino';
import { createChannelRegistry } from '../activities/channels/registry';
import { createLocalMediaStorage } from '../activities/media/storage';
import { createDb } from '../db/knexfile';
import { ConfigError, loadWorkerConfig } from './config';
import { lowerCpuPriority } from './cpu-priority';
import { createInboxWorker } from './create-worker';
import { redactingLogger } from './redacting-logger';

const PREBUILT_BUNDLE = path.join(__dirname, '..', 'build', 'workflows', 'bundle.js');

const SDK_LEVEL: Record<string, LogLevel> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'ERROR',
  silent: 'ERROR',
};

async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const log = pino({ name: 'worker', level: config.LOG_LEVEL });
  Runtime.install({ logger: redactingLogger(SDK_LEVEL[config.LOG_LEVEL] ?? 'INFO') });
  const db = createDb(config.DATABASE_URL);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  // Activities that signal workflows (the team queues) use an ordinary client.
  const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const client = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE });
  const bundle = config.WORKFLOW_BUNDLE_PATH ?? (existsSync(PREBUILT_BUNDLE) ? PREBUILT_BUNDLE : undefined);
  const worker = await createInboxWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowBundlePath: bundle,
    tuning: {
      ...(config.WORKER_WORKFLOW_TASK_SLOTS && {
        maxConcurrentWorkflowTaskExecutions: config.WORKER_WORKFLOW_TASK_SLOTS,
      }),
      workflowThreads: config.WORKER_WORKFLOW_THREADS,
    },
    deps: {
      db,
      channels: createChannelRegistry({
        graphBaseUrl: config.META_GRAPH_BASE_URL,
        graphVersion: config.META_GRAPH_VERSION,
      }),
      ai: {
        apiKey: config.OPENAI_API_KEY,
        baseUrl: config.OPENAI_BASE_URL,
        model: config.OPENAI_MODEL,
        timeoutMs: config.OPENAI_TIMEOUT,
      },
      sla: { defaultTiersMs: config.SLA_DEFAULT_TIERS },
      temporal: { client, taskQueue: config.TEMPORAL_TASK_QUEUE },
      media: createLocalMediaStorage(config.MEDIA_DIR),
      outbound: {
        pacing: {
          perSecond: config.WHATSAPP_THROUGHPUT_MPS,
          pairGapMs: config.WHATSAPP_PAIR_GAP,
          pairBurst: config.WHATSAPP_PAIR_BURST,
        },
        agentNotifyTemplate: { name: config.AGENT_NOTIFY_TEMPLATE, language: config.AGENT_NOTIFY_TEMPLATE_LANGUAGE },
      },
    },
  });
  // After the worker's threads exist (its workflow threads, the SDK's runtime): each is set.
  const threads = lowerCpuPriority(config.WORKER_NICE);
  log.info(
    {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      bundle: bundle ? 'prebuilt' : 'bundled at start',
      nice: config.WORKER_NICE,
      threads,
    },
    'worker ready',
  );
  // The SDK installs SIGINT/SIGTERM handlers that shut the worker down; run() resolves after.
  await worker.run();
  await connection.close();
  await clientConnection.close();
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
