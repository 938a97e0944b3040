/**
 * Figure 9: worker memory with 2,000 cached conversations. 2,000 contacts each open a
 * conversation (one text each); once all are projected, the worker process's VmRSS is read from
 * /proc. The SDK's default sticky cache (maxCachedWorkflows, from the heap limit) holds them all.
 */
import v8 from 'node:v8';
import type { BenchContext, Scenario } from '../lib/context';
import { describeStep, ingestStep, startProductWorld } from '../lib/product';
import { TARGETS } from '../lib/report';
import { fmt } from '../lib/stats';
import { rssMiB, sleep } from '../lib/world';

async function run(ctx: BenchContext): Promise<void> {
  const { sizes, log } = ctx;
  const n = sizes.memoryConversations;
  const world = await startProductWorld(ctx, 'memory');
  try {
    const pid = world.app.worker().pid;
    await ingestStep(ctx, world, { rate: 5, durationS: 2, tag: 'warm', perContact: 1, quiet: true });
    await sleep(2_000);
    const baseline = rssMiB(pid);
    const rate = Math.max(8, Math.round(0.8 * (ctx.f1 ?? 20)));
    const step = await ingestStep(ctx, world, { rate, durationS: n / rate, tag: 'mem', perContact: 1 });
    log(`  memory: ${describeStep(step)}`);
    await sleep(3_000);
    const rss = rssMiB(pid);
    const heapMiB = v8.getHeapStatistics().heap_size_limit / 2 ** 20;
    const cacheSize = Math.max(Math.floor((Math.max(heapMiB - 200, 0) * 600) / 1024), 10);
    const perConversationKiB = ((rss - baseline) * 1024) / n;
    log(`  memory: worker RSS ${fmt(rss)} MiB (baseline ${fmt(baseline)} MiB)`);
    ctx.rows.set('9', {
      id: '9',
      ...TARGETS['9']!,
      product: `**${fmt(rss, 0)} MiB** RSS with ${step.visible + 2} conversations (${fmt(perConversationKiB, 0)} KiB each over the ${fmt(baseline, 0)} MiB idle worker)`,
      raw: '',
      ratio: `${fmt(rss / 1536)} × the 1.5 GB budget`,
      met: step.visible >= n && rss <= 1536,
      notes: [
        `${n} conversations opened at ${rate}/s, then VmRSS of the worker process (/proc/<pid>/status). The SDK's default maxCachedWorkflows here is ${cacheSize} (heap limit ${fmt(heapMiB, 0)} MiB), so every conversation stays cached.`,
        describeStep(step),
      ],
    });
  } finally {
    await world.stop();
  }
}

export const memoryScenario: Scenario = { name: 'memory', figures: ['9'], needs: [], run };
