/**
 * A product world for one scenario (dedicated Temporal server, database, fake Graph, worker and
 * web processes) and the measured ingest step every ingest-driven figure is built from.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { BenchContext } from './context';
import { steadyContactSchedule } from './contact-schedule';
import { runLoad, type LoadResult } from './loadgen';
import { persistenceHotspots, scrape, workflowTaskScheduleToStart, type HistogramDelta } from './metrics';
import { fmt, fmtSummary, summarize, type Summary } from './stats';
import {
  cpuSeconds,
  createDatabase,
  seedWorkspace,
  sleep,
  startBenchApp,
  startTemporal,
  type BenchApp,
  type BenchDatabase,
  type BenchTemporal,
  type Workspace,
} from './world';

/**
 * A contact writes again 2 s after its last message at the earliest: each message is its own
 * workflow task at a sustainable rate (a task takes well under 1 s there), not one of a batch.
 */
const FOLLOW_UP_GAP_MS = 2_000;

export interface ProductWorld {
  temporal: BenchTemporal;
  database: BenchDatabase;
  workspace: Workspace;
  app: BenchApp;
  stop(): Promise<void>;
}

export async function startProductWorld(
  ctx: BenchContext,
  name: string,
  opts: { agents?: number; extraEnv?: Record<string, string> } = {},
): Promise<ProductWorld> {
  const temporal = await startTemporal(ctx.env, name);
  ctx.ownPids.add(temporal.pid);
  const database = await createDatabase(ctx.env, name);
  try {
    const workspace = await seedWorkspace(database.db, { agents: opts.agents ?? 6 });
    const app = await startBenchApp(ctx.env, {
      name,
      databaseUrl: database.url,
      temporalAddress: temporal.address,
      extraEnv: opts.extraEnv,
    });
    ctx.ownPids.add(app.worker().pid);
    ctx.ownPids.add(app.web().pid);
    return {
      temporal,
      database,
      workspace,
      app,
      async stop() {
        await app.stop();
        await temporal.stop();
        await database.drop();
      },
    };
  } catch (err) {
    await temporal.stop();
    await database.drop();
    throw err;
  }
}

/**
 * CPU seconds of each process whose command line contains `needle`, by pid: the Postgres backends
 * of one database ("postgres: postgres <db> …"), not the other clusters on the machine.
 */
export function cpuSecondsByCmdline(needle: string): Map<number, number> {
  const byPid = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) continue;
    } catch {
      continue; // the process ended meanwhile
    }
    const seconds = cpuSeconds(Number(entry));
    if (!Number.isNaN(seconds)) byPid.set(Number(entry), seconds);
  }
  return byPid;
}

/**
 * CPU the processes of `after` used since `before`. A process that ended in between is left out
 * (its last seconds are lost, not its whole life): summing both sides instead made the figure
 * negative when a backend with more CPU behind it than the step's exited during the step.
 */
export function cpuSecondsSince(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return total;
}

/** The whole machine's CPU time by kind (user, nice, system, idle, iowait, irq, softirq, steal, …), in ticks. */
function machineCpuTicks(): number[] {
  return readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
}

/** Busy CPU seconds of the whole machine (all cores) from /proc/stat. */
export function machineBusySeconds(): number {
  const cpu = machineCpuTicks();
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  const total = cpu.reduce((a, b) => a + b, 0);
  return (total - idle) / 100;
}

/** Steal time of the whole machine (what the hypervisor gave other guests), in seconds. */
export function machineStealSeconds(): number {
  return (machineCpuTicks()[7] ?? 0) / 100;
}

export interface CpuSample {
  worker: number;
  web: number;
  temporal: number;
  /** By backend pid (see cpuSecondsSince). */
  postgres: Map<number, number>;
  machine: number;
  at: number;
}

type CpuPart = 'worker' | 'web' | 'temporal' | 'postgres' | 'machine';

/** CPU seconds one part used between two samples. */
function cpuSecondsOf(a: CpuSample, b: CpuSample, part: CpuPart): number {
  return part === 'postgres' ? cpuSecondsSince(a.postgres, b.postgres) : b[part] - a[part];
}

export function sampleCpu(world: ProductWorld): CpuSample {
  return {
    worker: cpuSeconds(world.app.worker().pid),
    web: cpuSeconds(world.app.web().pid),
    temporal: cpuSeconds(world.temporal.pid),
    postgres: cpuSecondsByCmdline(` ${world.database.name} `),
    machine: machineBusySeconds(),
    at: Date.now(),
  };
}

/** CPU milliseconds our processes (worker, web, Temporal, Postgres backends) spent per message. */
export function cpuMsPer(a: CpuSample, b: CpuSample, messages: number): number {
  const ours = (['worker', 'web', 'temporal', 'postgres'] as const).reduce((sum, k) => sum + cpuSecondsOf(a, b, k), 0);
  return (ours * 1000) / Math.max(1, messages);
}

/** Cores used per process between two samples. */
export function cpuUse(a: CpuSample, b: CpuSample): string {
  const s = (b.at - a.at) / 1000;
  const c = (k: CpuPart) => fmt(cpuSecondsOf(a, b, k) / s);
  return `CPU cores: worker ${c('worker')}, web ${c('web')}, Temporal ${c('temporal')}, Postgres ${c('postgres')}, whole machine ${c('machine')}`;
}

export interface StepResult {
  rate: number;
  durationS: number;
  sent: number;
  acked: number;
  failed: number;
  ack: Summary;
  e2e: Summary;
  /** Messages visible per second over the step (first scheduled send to last visible row). */
  delivered: number;
  /** Seconds from the last acknowledgement until every acknowledged message was visible. */
  drainS: number;
  visible: number;
  s2s: HistogramDelta;
  cpu: string;
  hotspots: string[];
  /** CPU ms of our processes per visible message (contention-independent cost). */
  cpuMsPerMessage: number;
  sustained: boolean;
  load: LoadResult;
}

/**
 * Posts `rate` webhooks/s for `durationS` s as steady traffic (contact-schedule.ts: after the first
 * 2 s, one message in `perContact` opens a conversation and the others follow up, each contact
 * writing at most `perContact` times, 2 s apart at the least), then waits for the projection.
 * Sustained = every webhook acknowledged 2xx, webhook-to-visible p95 under 1 s, and everything
 * visible within 5 s of the last acknowledgement.
 */
export async function ingestStep(
  ctx: BenchContext,
  world: ProductWorld,
  opts: { rate: number; durationS: number; tag: string; perContact?: number; quiet?: boolean },
): Promise<StepResult> {
  const perContact = opts.perContact ?? 4;
  const schedule = steadyContactSchedule({
    total: Math.max(1, Math.round(opts.rate * opts.durationS)),
    rate: opts.rate,
    perContact,
    minGapMs: FOLLOW_UP_GAP_MS,
  });
  const before = await scrape(world.temporal.metricsUrl);
  const cpu0 = sampleCpu(world);
  const load = await runLoad({
    baseUrl: world.app.baseUrl,
    rate: opts.rate,
    durationS: opts.durationS,
    contactOf: (seq) => schedule[seq]!,
    tag: opts.tag,
    onProgress: opts.quiet ? undefined : ctx.log,
  });
  const cpu1 = sampleCpu(world);
  const ok = load.messages.filter((m) => m.status >= 200 && m.status < 300);
  const prefix = `wamid.bench.${opts.tag}.`;
  const visibleAt = new Map<string, number>();
  const lastAck = load.endedAt;
  let lastCount = -1;
  let lastChange = Date.now();
  for (;;) {
    const rows: { external_id: string; at: number }[] = (
      await world.database.db.raw(
        `select external_id, extract(epoch from created_at) * 1000 as at from messages
          where left(external_id, ?) = ? and direction = 'inbound'`,
        [prefix.length, prefix],
      )
    ).rows;
    for (const r of rows) visibleAt.set(r.external_id, Number(r.at));
    if (visibleAt.size >= ok.length) break;
    if (visibleAt.size !== lastCount) {
      lastCount = visibleAt.size;
      lastChange = Date.now();
    }
    if (Date.now() - lastChange > 30_000 || Date.now() - lastAck > 300_000) break;
    await sleep(250);
  }
  const after = await scrape(world.temporal.metricsUrl);
  world.app.graph.reset();
  const e2eSamples: number[] = [];
  let lastVisible = 0;
  for (const m of ok) {
    const at = visibleAt.get(m.externalId);
    if (at === undefined) continue;
    e2eSamples.push(at - m.scheduledAt);
    lastVisible = Math.max(lastVisible, at);
  }
  const ack = summarize(ok.map((m) => m.ackAt - m.scheduledAt));
  const e2e = summarize(e2eSamples);
  const drainS = Math.max(0, (lastVisible - lastAck) / 1000);
  const delivered = e2eSamples.length / Math.max(0.001, (lastVisible - load.startedAt) / 1000);
  const failed = load.messages.length - ok.length;
  const sustained = failed === 0 && visibleAt.size >= ok.length && e2e.p95 < 1000 && drainS <= 5;
  return {
    rate: opts.rate,
    durationS: opts.durationS,
    sent: load.messages.length,
    acked: ok.length,
    failed,
    ack,
    e2e,
    delivered,
    drainS,
    visible: visibleAt.size,
    s2s: workflowTaskScheduleToStart(before, after),
    cpu: cpuUse(cpu0, cpu1),
    cpuMsPerMessage: cpuMsPer(cpu0, sampleCpu(world), visibleAt.size),
    hotspots: persistenceHotspots(before, after, 4),
    sustained,
    load,
  };
}

export function describeStep(s: StepResult): string {
  return (
    `${fmt(s.rate, 0)} msg/s for ${fmt(s.durationS, 0)} s: ${s.acked}/${s.sent} acked` +
    `${s.failed ? ` (${s.failed} failed)` : ''}, ${s.visible} visible, delivered ${fmt(s.delivered)} msg/s, ` +
    `ack ${fmtSummary(s.ack)}; webhook→visible ${fmtSummary(s.e2e)}; drain ${fmt(s.drainS)} s; ` +
    `WFT schedule-to-start p95 ${fmt(s.s2s.p95)} ms; ${s.cpu}; ${fmt(s.cpuMsPerMessage)} CPU ms per message → ${s.sustained ? 'sustained' : 'NOT sustained'}`
  );
}
