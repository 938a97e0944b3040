/**
 * The worker's claim on a CPU it shares with the web process (issue #6, figure 8). On one small
 * machine (`npm start`), an agent's page and a webhook's acknowledgement should not wait behind
 * workflow tasks: a workflow task is durable and finishes a moment later, an agent's click is a
 * person waiting. A nice value lowers the worker only while another process wants the CPU; on an
 * idle machine the worker runs as fast as before.
 *
 * Linux keeps a nice value per thread, and a new thread inherits its creator's: every thread the
 * process has by now (V8's, libuv's, the SDK's native runtime, the workflow threads) is set one by
 * one, and the threads it starts later inherit the value.
 */
import { readdirSync } from 'node:fs';
import os from 'node:os';

/** Lowers this process's priority to `nice` (0–19; 0 leaves it); returns the threads it set. */
export function lowerCpuPriority(nice: number): number {
  if (nice <= 0) return 0;
  let threads: number[];
  try {
    threads = readdirSync('/proc/self/task').map(Number);
  } catch {
    // Not Linux: there the value is the whole process's.
    os.setPriority(nice);
    return 1;
  }
  let set = 0;
  for (const tid of threads) {
    try {
      // Never raise a thread that is already lower.
      os.setPriority(tid, Math.max(nice, os.getPriority(tid)));
      set += 1;
    } catch {
      // The thread ended meanwhile.
    }
  }
  return set;
}
