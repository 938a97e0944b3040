/**
 * Where the time goes: the Temporal dev server's Prometheus metrics (scraped before and after a
 * phase, histograms differenced) and Postgres' pg_stat_statements.
 */
import type { Knex } from 'knex';

export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export type Scrape = MetricSample[];

export async function scrape(url: string): Promise<Scrape> {
  const res = await fetch(url);
  const text = await res.text();
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const lm of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[lm[1]!] = lm[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

type LabelFilter = Record<string, string | RegExp>;

const matches = (labels: Record<string, string>, filter: LabelFilter) =>
  Object.entries(filter).every(([k, v]) => (typeof v === 'string' ? labels[k] === v : v.test(labels[k] ?? '')));

/** Sum of a counter (or a histogram's _count/_sum) over matching series, after minus before. */
export function counterDelta(before: Scrape, after: Scrape, name: string, filter: LabelFilter = {}): number {
  const sum = (s: Scrape) =>
    s.filter((x) => x.name === name && matches(x.labels, filter)).reduce((a, x) => a + x.value, 0);
  return sum(after) - sum(before);
}

export interface HistogramDelta {
  count: number;
  /** Mean in the histogram's unit. */
  mean: number;
  /** Upper bucket bounds containing the quantiles (Prometheus-style, linear inside a bucket). */
  p50: number;
  p95: number;
  p99: number;
}

/** A histogram's distribution during a phase, over every series matching `filter`. */
export function histogramDelta(before: Scrape, after: Scrape, name: string, filter: LabelFilter = {}): HistogramDelta {
  const buckets = (s: Scrape) => {
    const byLe = new Map<number, number>();
    for (const x of s) {
      if (x.name !== `${name}_bucket` || !matches(x.labels, filter)) continue;
      const le = x.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(x.labels.le);
      byLe.set(le, (byLe.get(le) ?? 0) + x.value);
    }
    return byLe;
  };
  const b0 = buckets(before);
  const b1 = buckets(after);
  const les = [...b1.keys()].sort((a, b) => a - b);
  const cumulative = les.map((le) => ({ le, n: (b1.get(le) ?? 0) - (b0.get(le) ?? 0) }));
  const count = cumulative.length ? cumulative[cumulative.length - 1]!.n : 0;
  const sumDelta = counterDelta(before, after, `${name}_sum`, filter);
  const q = (p: number) => {
    if (!count) return Number.NaN;
    const target = p * count;
    let prevLe = 0;
    let prevN = 0;
    for (const { le, n } of cumulative) {
      if (n >= target) {
        if (!Number.isFinite(le)) return prevLe;
        const inBucket = n - prevN;
        return inBucket > 0 ? prevLe + ((le - prevLe) * (target - prevN)) / inBucket : le;
      }
      prevLe = le;
      prevN = n;
    }
    return prevLe;
  };
  return { count, mean: count ? sumDelta / count : Number.NaN, p50: q(0.5), p95: q(0.95), p99: q(0.99) };
}

/** The label values a histogram is reported under (e.g. every `operation` of persistence_latency). */
export function labelValues(s: Scrape, name: string, label: string): string[] {
  return [...new Set(s.filter((x) => x.name === name && x.labels[label] !== undefined).map((x) => x.labels[label]!))];
}

/** Workflow-task schedule-to-start on the server (matching), in ms, during a phase. */
export function workflowTaskScheduleToStart(before: Scrape, after: Scrape): HistogramDelta {
  return inMs(histogramDelta(before, after, 'task_schedule_to_start_latency', { task_type: /workflow/i }));
}

/** The dev server reports latencies in seconds (Prometheus convention); the tables use ms. */
export function inMs(h: HistogramDelta): HistogramDelta {
  return { count: h.count, mean: h.mean * 1000, p50: h.p50 * 1000, p95: h.p95 * 1000, p99: h.p99 * 1000 };
}

/** The slowest persistence operations of the server during a phase, by total time. */
export function persistenceHotspots(before: Scrape, after: Scrape, top = 6): string[] {
  const ops = labelValues(after, 'persistence_latency_count', 'operation');
  return ops
    .map((op) => {
      const n = counterDelta(before, after, 'persistence_latency_count', { operation: op });
      const sum = counterDelta(before, after, 'persistence_latency_sum', { operation: op });
      return { op, n, sum };
    })
    .filter((x) => x.n > 0)
    .sort((a, b) => b.sum - a.sum)
    .slice(0, top)
    .map((x) => `${x.op}: ${x.n} calls, mean ${((x.sum / x.n) * 1000).toFixed(2)} ms, total ${x.sum.toFixed(1)} s`);
}

export async function resetStatements(db: Knex): Promise<boolean> {
  try {
    await db.raw('select pg_stat_statements_reset()');
    return true;
  } catch {
    return false;
  }
}

/** The statements that took the most total time in this database since the last reset. */
export async function topStatements(db: Knex, top = 8): Promise<string[]> {
  try {
    const { rows } = await db.raw(
      `select calls, total_exec_time, mean_exec_time, query from pg_stat_statements
        where dbid = (select oid from pg_database where datname = current_database())
        order by total_exec_time desc limit ?`,
      [top],
    );
    return rows.map(
      (r: { calls: string; total_exec_time: number; mean_exec_time: number; query: string }) =>
        `${Number(r.calls)} calls, mean ${r.mean_exec_time.toFixed(2)} ms, total ${(r.total_exec_time / 1000).toFixed(2)} s: ${r.query.replace(/\s+/g, ' ').slice(0, 140)}`,
    );
  } catch (err) {
    return [`pg_stat_statements unavailable (${err instanceof Error ? err.message : String(err)})`];
  }
}
