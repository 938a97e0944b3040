/**
 * Outbound pacing for WhatsApp business numbers (WIRE.md §3.3), in-process:
 *
 * - per-number throughput: at most `perSecond` messages a second from one business number (80 by
 *   default; 1,000 after Meta's upgrade, 20 for coexistence numbers), spaced evenly so no one-second
 *   window ever holds more;
 * - pair rate: one message per `pairGapMs` (6 s) from one number to the same user. Meta lets a short
 *   burst borrow from future quota (up to 45 in 6 s); `pairBurst` messages may go back to back (an
 *   agent's two quick bubbles), after which each waits its gap. `pairBurst: 1` is a strict gap.
 *
 * The pair rate is a GCRA ("virtual scheduling") bucket per (number, user): it remembers the
 * theoretical arrival time of the next message; a message may go once that time minus the burst
 * tolerance has passed. The number's throughput is a schedule of reserved send times at least
 * `1000 / perSecond` ms apart, so no one-second window holds more than `perSecond`, and a message
 * waiting for its user's gap holds a later slot without blocking messages to other users. A send
 * reserves both at once, so concurrent sends of one worker queue up instead of racing. Limits are per worker process: Meta still has the last
 * word, and its 130429/131056 answers are transient errors that Temporal retries with backoff.
 * No logging here: recipients are phone numbers.
 */

export interface PacingLimits {
  /** Messages per second from one business number; 0 or Infinity: unpaced. */
  perSecond: number;
  /** Minimum spacing between messages to the same recipient, in ms; 0: unpaced. */
  pairGapMs: number;
  /** How many messages to one recipient may go back to back before the gap applies (≥ 1). */
  pairBurst: number;
}

/** WIRE.md §3.3: 80 mps per number; 1 message per 6 s per user, a burst of 3 borrowed. */
export const DEFAULT_PACING: PacingLimits = { perSecond: 80, pairGapMs: 6_000, pairBurst: 3 };

export interface PacerOptions extends Partial<PacingLimits> {
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /**
   * The longest wait `reserve` accepts (default 20 s, under the send activity's 30 s timeout).
   * Beyond it nothing is reserved and PacingDelayError tells the caller to come back later.
   */
  maxWaitMs?: number;
}

/** The next free slot is too far away to wait for inside one activity attempt: retry later. */
export class PacingDelayError extends Error {
  override readonly name = 'PacingDelayError';
  constructor(readonly waitMs: number) {
    super(`outbound pacing: the next slot is ${Math.ceil(waitMs)} ms away; retry later`);
  }
}

export interface Pacer {
  readonly limits: PacingLimits;
  /**
   * Reserves the earliest slot for one message from `sender` (a channel id) to `recipient` and
   * returns how long to wait for it, in ms (0: now). Throws PacingDelayError, reserving nothing,
   * when the wait would exceed `maxWaitMs`.
   */
  reserve(sender: string, recipient: string): number;
  /** `reserve`, then sleeps until the slot. */
  acquire(sender: string, recipient: string): Promise<void>;
}

/** Pair buckets at rest (their time has passed) are forgotten once there are this many. */
const PRUNE_THRESHOLD = 10_000;

export function createPacer(opts: PacerOptions = {}): Pacer {
  const limits: PacingLimits = {
    perSecond: opts.perSecond ?? DEFAULT_PACING.perSecond,
    pairGapMs: opts.pairGapMs ?? DEFAULT_PACING.pairGapMs,
    pairBurst: Math.max(1, Math.floor(opts.pairBurst ?? DEFAULT_PACING.pairBurst)),
  };
  const clock = opts.clock ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const maxWaitMs = opts.maxWaitMs ?? 20_000;
  const numberInterval = limits.perSecond > 0 && Number.isFinite(limits.perSecond) ? 1000 / limits.perSecond : 0;
  const numberSlots = createSchedule(numberInterval);
  const pairBucket = createBuckets(Math.max(0, limits.pairGapMs), limits.pairBurst);

  function reserve(sender: string, recipient: string): number {
    const now = clock();
    const pairKey = `${sender}\u0000${recipient}`;
    const at = numberSlots.earliestFree(sender, Math.max(now, pairBucket.earliest(pairKey)));
    const waitMs = at - now;
    if (waitMs > maxWaitMs) throw new PacingDelayError(waitMs);
    numberSlots.add(sender, at, now);
    pairBucket.commit(pairKey, at);
    if (pairBucket.size() > PRUNE_THRESHOLD) pairBucket.prune(now);
    return waitMs;
  }

  return {
    limits,
    reserve,
    async acquire(sender, recipient) {
      const waitMs = reserve(sender, recipient);
      if (waitMs > 0) await sleep(waitMs);
    },
  };
}

/**
 * Reserved send times by key, at least `interval` ms apart: the earliest free time from `from` is
 * found between the reservations, so a far-off reservation never blocks an earlier free slot.
 */
function createSchedule(interval: number) {
  const slots = new Map<string, number[]>();
  return {
    earliestFree(key: string, from: number): number {
      if (interval <= 0) return from;
      let t = from;
      // Ascending: a reservation too close to `t` pushes it past that reservation.
      for (const r of slots.get(key) ?? []) {
        if (r <= t - interval) continue;
        if (r >= t + interval) break;
        t = r + interval;
      }
      return t;
    },
    add(key: string, at: number, now: number): void {
      if (interval <= 0) return;
      // Reservations older than one interval can no longer conflict with anything.
      const list = (slots.get(key) ?? []).filter((r) => r > now - interval);
      const i = list.findIndex((r) => r > at);
      list.splice(i < 0 ? list.length : i, 0, at);
      slots.set(key, list);
    },
  };
}

/**
 * GCRA buckets by key: emission interval `interval` ms, `burst` messages of tolerance. A message may
 * go once `tat - (burst - 1) * interval` has passed; sending at `at` moves `tat` to `max(tat, at) + interval`.
 */
function createBuckets(interval: number, burst: number) {
  const tat = new Map<string, number>();
  const tolerance = (burst - 1) * interval;
  return {
    earliest(key: string): number {
      if (interval <= 0) return -Infinity;
      const t = tat.get(key);
      return t === undefined ? -Infinity : t - tolerance;
    },
    commit(key: string, at: number): void {
      if (interval <= 0) return;
      tat.set(key, Math.max(tat.get(key) ?? at, at) + interval);
    },
    size: () => tat.size,
    /** A bucket whose time has passed behaves exactly like a new one. */
    prune(now: number): void {
      for (const [key, t] of tat) if (t <= now) tat.delete(key);
    },
  };
}
