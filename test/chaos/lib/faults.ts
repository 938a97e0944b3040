/**
 * The faults the chaos run injects, each at a random moment under load, each with its outage
 * window: from the signal until the part is back (`recoveredAt`), which is when SLA timers that
 * came due meanwhile must fire within 5 s.
 *
 *   worker-kill     SIGKILL the worker; a new one starts after a few seconds
 *   web-kill        SIGKILL the web process (webhooks in flight get no answer); restarted
 *   temporal-kill   SIGKILL the Temporal dev server; restarted on the same SQLite file and port
 *   postgres-kill   SIGKILL the postmaster and its backends; restarted on the same data dir
 *   worker-pause    SIGSTOP the worker for 30 s, then SIGCONT (a stalled VM, a long GC pause)
 */
import type { ChaosPostgres, ChaosTemporal, ProductProcess } from './world';
import { sleep } from './world';

export const FAULT_KINDS = ['worker-kill', 'web-kill', 'temporal-kill', 'postgres-kill', 'worker-pause'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRecord {
  kind: FaultKind;
  injectedAt: number;
  recoveredAt: number;
  /** How long the part stayed down before it was started again (or continued). */
  downMs: number;
}

export interface FaultTargets {
  worker: ProductProcess;
  web: ProductProcess;
  temporal: ChaosTemporal;
  postgres: ChaosPostgres;
}

export async function injectFault(
  kind: FaultKind,
  targets: FaultTargets,
  opts: { downMs: number; pauseMs: number },
): Promise<FaultRecord> {
  const injectedAt = Date.now();
  switch (kind) {
    case 'worker-kill':
      targets.worker.kill('SIGKILL');
      await targets.worker.waitExited();
      await sleep(opts.downMs);
      await targets.worker.start();
      return { kind, injectedAt, recoveredAt: Date.now(), downMs: opts.downMs };
    case 'web-kill':
      targets.web.kill('SIGKILL');
      await targets.web.waitExited();
      await sleep(opts.downMs);
      await targets.web.start();
      return { kind, injectedAt, recoveredAt: Date.now(), downMs: opts.downMs };
    case 'temporal-kill':
      targets.temporal.kill9();
      await targets.temporal.waitExited();
      await sleep(opts.downMs);
      await targets.temporal.start();
      return { kind, injectedAt, recoveredAt: Date.now(), downMs: opts.downMs };
    case 'postgres-kill':
      targets.postgres.kill9();
      await targets.postgres.waitExited();
      await sleep(opts.downMs);
      await targets.postgres.start();
      return { kind, injectedAt, recoveredAt: Date.now(), downMs: opts.downMs };
    case 'worker-pause':
      targets.worker.kill('SIGSTOP');
      await sleep(opts.pauseMs);
      targets.worker.kill('SIGCONT');
      return { kind, injectedAt, recoveredAt: Date.now(), downMs: opts.pauseMs };
  }
}
