/**
 * Percentiles over recorded samples (a sorted copy: exact, like an HDR histogram at full
 * precision; the sample counts here are at most a few hundred thousand).
 */

export interface Summary {
  n: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(Math.max(rank, 0), sorted.length - 1)]!;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  return {
    n,
    min: n ? sorted[0]! : Number.NaN,
    mean: n ? sorted.reduce((s, v) => s + v, 0) / n : Number.NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: n ? sorted[n - 1]! : Number.NaN,
  };
}

/** "p50 3.1 · p95 8.0 · p99 12.4 · max 40.2 ms (n=2000)" */
export function fmtSummary(s: Summary, unit = 'ms'): string {
  if (!s.n) return 'no samples';
  return `p50 ${fmt(s.p50)} · p95 ${fmt(s.p95)} · p99 ${fmt(s.p99)} · max ${fmt(s.max)} ${unit} (n=${s.n})`;
}

export function fmt(value: number, digits?: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const d = digits ?? (Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2);
  return value.toFixed(d);
}

/** Times `fn` `runs` times after `warmup` unmeasured runs; milliseconds per run. */
export async function timeRuns(
  fn: () => Promise<unknown>,
  runs: number,
  warmup = Math.min(10, runs),
): Promise<number[]> {
  const [samples] = await timeInTurns([fn], runs, warmup);
  return samples!;
}

/**
 * Times each of `fns` `runs` times, in turns (first, second, …, first, …), after `warmup` unmeasured
 * rounds: each sees the same moments of a shared machine, so their ratio compares them, not the
 * moments. Milliseconds per run, one array per function.
 */
export async function timeInTurns(
  fns: ReadonlyArray<() => Promise<unknown>>,
  runs: number,
  warmup = Math.min(10, runs),
): Promise<number[][]> {
  for (let i = 0; i < warmup; i++) for (const fn of fns) await fn();
  const samples = fns.map(() => [] as number[]);
  for (let i = 0; i < runs; i++) {
    for (const [k, fn] of fns.entries()) {
      const t0 = performance.now();
      await fn();
      samples[k]!.push(performance.now() - t0);
    }
  }
  return samples;
}
