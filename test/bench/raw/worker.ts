/**
 * The raw-limit worker: the SDK's default options (as workers/create-worker.ts uses them) on the
 * bench bundle, in its own process like the product's worker. Env: TEMPORAL_ADDRESS,
 * BENCH_RAW_BUNDLE, BENCH_RAW_TASK_QUEUE.
 */
import { NativeConnection, Worker } from '@temporalio/worker';

async function main(): Promise<void> {
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue: process.env.BENCH_RAW_TASK_QUEUE!,
    workflowBundle: { codePath: process.env.BENCH_RAW_BUNDLE! },
  });
  console.log('worker ready');
  await worker.run();
  await connection.close();
}

main().catch((err: unknown) => {
  console.error('raw worker failed:', err);
  process.exit(1);
});
