/**
 * Builds the inbox worker: the conversation and routing workflows plus every activity, on one
 * task queue. Shared by workers/main.ts and the tests so both run the same composition.
 *
 * The SDK it runs is patched (patches/README.md): calls into the workflow sandbox carry no vm
 * timeout, for which Node starts and joins a thread on every call. The SDK's deadlock detection
 * (`isolateExecutionTimeout`) goes with it: workflow code here must not loop without awaiting.
 * And workflow code records no stack trace per promise (the Temporal UI's call stack)
 * unless WORKER_WORKFLOW_STACK_TRACES=on (config.ts).
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
  > & {
    /** Threads of their own for workflow code; 0, the default, runs it on the worker's main thread (below). */
    workflowThreads?: number;
  };
}

/** Workflow task slots unless tuned (WORKER_WORKFLOW_TASK_SLOTS); see below for why 40. */
const WORKFLOW_TASK_SLOTS = 40;

export function createInboxWorker(opts: InboxWorkerOptions): Promise<Worker> {
  const {
    maxConcurrentWorkflowTaskExecutions: slots = WORKFLOW_TASK_SLOTS,
    workflowThreads = 0,
    ...tuning
  } = opts.tuning ?? {};
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
    // Workflow code runs on one thread, but a task spends most of its time waiting (on local
    // activities, on the server): with 10 slots a burst of 1,000 due SLA tiers took 131 s to drain
    // after a worker freeze, with the machine 55% idle; with 40 it took 26.8 s, as long as the
    // no-op workflow's burst on the same server (issue #6's sla-burst). Slots were once lowered to
    // 10 because a CPU-starved worker timed out its in-process backlog after an outage (issue #7's
    // chaos fix #6); since then a task does about a third of the work, and the chaos run checks it.
    maxConcurrentWorkflowTaskExecutions: slots,
    // Pollers at half the slots, the SDK's own guideline (its default is 10 whatever the slots).
    // After a worker freeze or restart every due task waits on the shared queue, not the worker's
    // sticky one, which the SDK's default gives a fifth of the pollers (2 of 10): with 20, a burst
    // of 1,000 due SLA tiers drained in 9.9-11.5 s against 12.6-14.7 s with 10 (issue #6, sla-burst,
    // interleaved).
    maxConcurrentWorkflowTaskPolls: Math.max(2, Math.floor(slots / 2)),
    // Half of those pollers on the shared queue (the SDK's default is a fifth). After a freeze or a
    // restart an SLA escalation's first task comes from the shared queue and its second (the
    // activity's result) from the sticky one, one each: with 10 and 10 a burst of 1,000 due tiers
    // drained in 19.3 and 16.4 s against 23.3 and 17.8 s with 4 and 16, while steady ingest, whose
    // follow-ups are sticky, sustained the same 32 msg/s at the same CPU per message (issue #6,
    // sla-burst and ingest interleaved, 2026-12-07). All 20 on the shared queue (ratio 1) drained
    // one burst in 15.6 s but would leave the sticky queue one poller.
    nonStickyToStickyPollRatio: 0.5,
    // About 412 KiB per cached conversation (issue #6's benchmark): 2,000 stay within 1 GB and the
    // figure no longer depends on the heap size the SDK's default derives from.
    maxCachedWorkflows: 2_000,
    // Workflow code on the worker's main thread, beside the activities, instead of a workflow
    // thread of its own. The SDK names this debugMode (a debugger can then step into workflows); it
    // runs the same reusable sandbox, and what it drops is every activation's trip to the other
    // thread and back (postMessage and a structured clone each way, about a fifth of the main
    // thread's samples before). On two cores shared with the server, Postgres and the web, a second
    // thread buys no parallelism worth that: at 72 msg/s the worker took 0.49-0.51 cores against
    // 0.56 and the machine 19.5-20.2 CPU ms per message against 21.0-21.6, in turns (issue #6,
    // BENCHMARKS.md, eleventh session). The SDK's execution timeout is off either way
    // (patches/README.md); an activation here holds the event loop for well under a millisecond.
    ...(workflowThreads === 0 ? { debugMode: true } : { workflowThreadPoolSize: workflowThreads }),
    ...tuning,
  });
}
