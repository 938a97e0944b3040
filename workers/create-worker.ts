/**
 * Builds the inbox worker: the conversation and routing workflows plus every activity, on one
 * task queue. Shared by workers/main.ts and the tests so both run the same composition.
 */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';

export interface InboxWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (npm run build:workflows); without it the worker bundles workflows/ at start. */
  workflowBundlePath?: string;
  tuning?: Pick<
    WorkerOptions,
    'maxCachedWorkflows' | 'maxConcurrentActivityTaskExecutions' | 'maxConcurrentWorkflowTaskExecutions'
  >;
}

export function createInboxWorker(opts: InboxWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: createActivities(opts.deps),
    ...(opts.workflowBundlePath
      ? { workflowBundle: { codePath: opts.workflowBundlePath } }
      : { workflowsPath: require.resolve('../workflows') }),
    // A worker killed with SIGKILL leaves its cached conversations' next tasks on its sticky queue
    // until this timeout moves them to the shared queue (SDK default 10 s): an SLA tier that came
    // due meanwhile fired up to 10 s after the restarted worker was ready (issue #7's chaos run).
    stickyQueueScheduleToStartTimeout: '2s',
    // Workflow code runs on one thread: tasks beyond a few only queue inside the worker while
    // their 10 s timeout runs. After an outage (a 30 s pause, a restart with a cold cache) the
    // SDK default of 40 let a CPU-starved worker time out most of its backlog and redo it, firing
    // SLA tiers up to a minute late (issue #7's chaos run); waiting tasks stay on the server instead.
    maxConcurrentWorkflowTaskExecutions: 10,
    // About 412 KiB per cached conversation (issue #6's benchmark): 2,000 stay within 1 GB and the
    // figure no longer depends on the heap size the SDK's default derives from.
    maxCachedWorkflows: 2_000,
    ...opts.tuning,
  });
}
