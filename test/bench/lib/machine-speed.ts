/**
 * Two calibration figures for a run's machine line: what a system call costs and what plain
 * JavaScript costs, measured in the bench process before the scenarios start.
 *
 * Runs on "the same 2-core machine" differed threefold in CPU per no-op signal-with-start (8.5 ms
 * on the morning of 2026-12-06, 28 ms that evening), and the product's CPU per message less than
 * twofold. The evening's virtual machine paid 1.2 µs per system call (`dd bs=1`), several times a
 * bare kernel's, and Temporal's server (gRPC over loopback, SQLite) is mostly system calls. With
 * these two figures in every section, a reader can tell a slower product from a slower kernel.
 */
import { spawnSync } from 'node:child_process';
import { percentile } from './stats';

export interface MachineSpeed {
  /** Microseconds per system call of `dd bs=1` (a 1-byte read and write each step), or null without dd. */
  syscallUs: number | null;
  /** Nanoseconds per step of a fixed integer loop: the CPU's speed for the JavaScript itself. */
  jsStepNs: number;
}

const DD_STEPS = 100_000;
const JS_BATCH = 20_000_000;
const BATCHES = 5;

/** The median of a few short batches of each (about 1 s in all), so one preemption does not count. */
export function measureMachineSpeed(): MachineSpeed {
  const syscallUs = medianOf(3, ddSyscallUs);
  const jsStepNs = medianOf(BATCHES, () => {
    const start = process.hrtime.bigint();
    let sum = 0;
    for (let i = 0; i < JS_BATCH; i++) sum = (sum + i * 7) % 1_000_003;
    const elapsed = Number(process.hrtime.bigint() - start);
    // Keeps the loop observable, so the compiler cannot drop it.
    if (sum < 0) throw new Error('unreachable');
    return elapsed / JS_BATCH;
  });
  return { syscallUs, jsStepNs };
}

/**
 * dd, not Node: a Node write goes through its fs binding, whose own cost would hide the kernel's.
 * dd reports its own copy time (its start-up not included), for two system calls a byte.
 */
function ddSyscallUs(): number | null {
  const r = spawnSync('dd', ['if=/dev/zero', 'of=/dev/null', 'bs=1', `count=${DD_STEPS}`], {
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C' },
  });
  const seconds = /copied, ([\d.]+) s/.exec(r.stderr ?? '')?.[1];
  return r.status === 0 && seconds ? (Number(seconds) * 1e6) / (2 * DD_STEPS) : null;
}

export function describeMachineSpeed(speed: MachineSpeed): string {
  const syscall = speed.syscallUs === null ? 'unknown (no dd)' : `${speed.syscallUs.toFixed(2)} µs (\`dd bs=1\`)`;
  return `a system call ${syscall}, a JavaScript loop step ${speed.jsStepNs.toFixed(2)} ns`;
}

function medianOf<T extends number | null>(n: number, sample: () => T): T {
  const values = Array.from({ length: n }, sample);
  if (values.some((v) => v === null)) return null as T;
  return percentile(
    (values as number[]).sort((a, b) => a - b),
    50,
  ) as T;
}
