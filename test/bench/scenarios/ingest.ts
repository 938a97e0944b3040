/**
 * Figures 1-3: sustained end-to-end ingest (open-loop rate steps until webhook-to-visible p95
 * passes 1 s or a backlog remains), the acknowledgement latency at 80% of it, and the
 * webhook-to-projection latency at 50%. Steady traffic (contact-schedule.ts): past a step's first
 * 2 s, a quarter of the messages open a new conversation and the rest follow up, each contact
 * writing up to 4 times, 2 s apart at the least; the AI is off.
 */
import os from 'node:os';
import path from 'node:path';
import type { BenchContext, Scenario } from '../lib/context';
import { resetStatements, topStatements } from '../lib/metrics';
import { describeStep, ingestStep, startProductWorld, type StepResult } from '../lib/product';
import { summarizeProfiles } from '../lib/profile';
import { TARGETS } from '../lib/report';
import { fmt } from '../lib/stats';

/** Figure 1's absolute target: one WhatsApp number's default throughput (messages/s). */
const MIN_RATE = 80;

async function run(ctx: BenchContext): Promise<void> {
  const { log, sizes } = ctx;
  const world = await startProductWorld(ctx, 'ingest');
  const steps: StepResult[] = [];
  let firstFailure: { step: StepResult; statements: string[] } | undefined;
  let fig2: StepResult | undefined;
  let fig3: StepResult | undefined;
  try {
    await ingestStep(ctx, world, { rate: 5, durationS: 4, tag: 'warm', quiet: true });
    let rate = 6;
    let best: StepResult | undefined;
    let retried = false;
    for (let i = 0; i < 10; i++) {
      await resetStatements(world.database.db);
      const step = await ingestStep(ctx, world, { rate, durationS: sizes.ingestStepS, tag: `s${i}` });
      steps.push(step);
      log(`  ingest ${describeStep(step)}`);
      if (!step.sustained) {
        firstFailure = { step, statements: await topStatements(world.database.db, 6) };
        // On a shared machine one noisy interval can fail a step: a failure is confirmed once.
        if (!retried) {
          retried = true;
          continue;
        }
        break;
      }
      retried = false;
      firstFailure = undefined;
      best = step;
      rate = Math.round(rate * 1.5);
    }
    // Refinements between the last sustained rate and the first that was not: the geometric
    // middle, and the targets themselves (half of S_raw, and 80 msg/s) when they lie between them,
    // so the verdicts on "≥ 0.5 × S_raw" and "≥ 80 msg/s" are measured steps, not read between two.
    if (best && firstFailure) {
      const low = best.rate;
      const high = firstFailure.step.rate;
      const halfSRaw = ctx.raw.sRaw ? Math.ceil(0.5 * ctx.raw.sRaw) : undefined;
      const refinements = [...new Set([Math.round(Math.sqrt(low * high)), halfSRaw, MIN_RATE])]
        .filter((r): r is number => r !== undefined && r > low && r < high)
        .sort((a, b) => a - b);
      for (const rate of refinements) {
        const step = await ingestStep(ctx, world, { rate, durationS: sizes.ingestStepS, tag: `r${rate}` });
        steps.push(step);
        log(`  ingest ${describeStep(step)}`);
        if (!step.sustained) break;
        best = step;
      }
    }
    ctx.f1 = best?.rate;
    if (ctx.f1) {
      fig2 = await ingestStep(ctx, world, {
        rate: 0.8 * ctx.f1,
        durationS: Math.round(sizes.ingestStepS * 1.5),
        tag: 'f2',
      });
      log(`  figure 2 at 80%: ${describeStep(fig2)}`);
      fig3 = await ingestStep(ctx, world, {
        rate: 0.5 * ctx.f1,
        durationS: Math.round(sizes.ingestStepS * 1.5),
        tag: 'f3',
      });
      log(`  figure 3 at 50%: ${describeStep(fig3)}`);
    }
  } finally {
    await world.stop();
  }

  const sRaw = ctx.raw.sRaw;
  const f1 = ctx.f1;
  const profile = ctx.env.cpuProfile ? summarizeProfiles(path.join(ctx.env.runDir, 'profiles', 'ingest')) : [];
  const nproc = os.cpus().length;
  // CPU cost per message at the highest sustained step (or the first step): contention-independent.
  const costStep = steps.filter((s) => s.sustained).pop() ?? steps[0];
  const cpuMs = costStep?.cpuMsPerMessage;
  const met1 = f1 !== undefined && f1 >= MIN_RATE && (sRaw === undefined ? undefined : f1 >= 0.5 * sRaw);
  ctx.rows.set('1', {
    id: '1',
    ...TARGETS['1']!,
    product: `${f1 ? `**${f1} msg/s**` : 'below 6 msg/s'}${cpuMs !== undefined ? ` (${fmt(cpuMs)} CPU ms per message; at most ≈ ${fmt((nproc * 1000) / cpuMs, 0)} msg/s on ${nproc} idle cores)` : ''}`,
    raw: sRaw
      ? `S_raw ${sRaw}/s${ctx.raw.sRawCpuMs !== undefined ? ` (${fmt(ctx.raw.sRawCpuMs)} CPU ms each)` : ''}`
      : 'S_raw not measured',
    ratio: [
      f1 && sRaw ? `${fmt(f1 / sRaw)} × S_raw` : '',
      cpuMs !== undefined && ctx.raw.sRawCpuMs ? `${fmt(cpuMs / ctx.raw.sRawCpuMs)} × its CPU per message` : '',
    ]
      .filter(Boolean)
      .join('; '),
    met: f1 === undefined ? false : met1 === undefined ? undefined : met1,
    notes: [
      `Rate steps of ${sizes.ingestStepS} s (×1.5 until a step fails twice in a row, then refinements at the geometric middle, at 0.5 × S_raw and at 80 msg/s when they lie between); sustained = all acked 2xx, webhook→visible p95 < 1 s, drained ≤ 5 s after the last ack. Steady traffic: past a step's first 2 s (new conversations only), one message in 4 opens a conversation and the others follow up, a contact writing up to 4 times, at least 2 s apart (test/bench/lib/contact-schedule.ts). Visible = messages.created_at of the projection transaction that also moves the conversation row (the inbox query's columns).`,
      ...steps.map((s) => describeStep(s)),
      ...(firstFailure
        ? [
            `Postgres at the first unsustained step (pg_stat_statements, by total time): ${firstFailure.statements.join(' | ')}`,
            `Temporal persistence at that step: ${firstFailure.step.hotspots.join('; ')}`,
          ]
        : []),
      ...profile,
    ],
  });
  if (fig2) {
    const a = fig2.ack;
    ctx.rows.set('2', {
      id: '2',
      ...TARGETS['2']!,
      product: `at ${fmt(fig2.rate, 0)} msg/s: p50 ${fmt(a.p50)} ms, p99 ${fmt(a.p99)} ms, max ${fmt(a.max)} ms`,
      raw: '',
      ratio: '',
      met: fig2.failed === 0 && a.p50 <= 50 && a.p99 <= 250 && a.max <= 1000,
      notes: [describeStep(fig2)],
    });
  }
  if (fig3) {
    const e = fig3.e2e;
    ctx.rows.set('3', {
      id: '3',
      ...TARGETS['3']!,
      product: `at ${fmt(fig3.rate, 0)} msg/s: p95 ${fmt(e.p95)} ms, p99 ${fmt(e.p99)} ms`,
      raw: `WFT schedule-to-start p95 ${fmt(fig3.s2s.p95)} ms`,
      ratio: '',
      met: fig3.visible >= fig3.acked && e.p95 <= 300 && e.p99 <= 1000,
      notes: [describeStep(fig3)],
    });
  }
}

export const ingestScenario: Scenario = { name: 'ingest', figures: ['1', '2', '3'], needs: ['raw'], run };
