/**
 * `npm run bench`: the inbox measured against the limits of its own engine (issue #6).
 *
 * Prepares its own world like scripts/test.ts (Temporal CLI, Postgres, migrations, bundles), then
 * runs each scenario on a dedicated Temporal dev server and database with the real worker and web
 * processes, prints its figures, and appends a section to BENCHMARKS.md. A scenario that fails
 * says why and the run goes on with the next one.
 *
 *   npm run bench                      default sizes (each scenario < 10 min on 2 cores)
 *   npm run bench -- --full            the issue's full sizes (10,000 SLA conversations, longer steps)
 *   npm run bench -- --only=ingest,sla a subset (scenarios they need run first)
 *   npm run bench -- --quick           tiny sizes, to check the harness itself (not for the record)
 *   npm run bench -- --profile         worker and web started with --cpu-prof; top functions in the report
 *   npm run bench -- --no-append       print only, leave BENCHMARKS.md alone
 *   npm run bench -- --size.slaConversations=2000   override one size
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { DATA_DIR } from '../../scripts/lib/local-env';
import { SetupError } from '../../scripts/lib/temporal-cli';
import { DEFAULT_SIZES, FULL_SIZES, type BenchContext, type Scenario, type Sizes } from './lib/context';
import { appendToBenchmarks, loadAverage, machineInfo, otherBusyProcesses, renderSection, TARGETS } from './lib/report';
import { prepareBench } from './lib/world';
import { agentsScenario } from './scenarios/agents';
import { historyScenario } from './scenarios/history';
import { inboxScenario } from './scenarios/inbox';
import { ingestScenario } from './scenarios/ingest';
import { memoryScenario } from './scenarios/memory';
import { rawScenario } from './scenarios/raw';
import { slaBurstScenario, slaColdScenario, slaScenario } from './scenarios/sla';

const SCENARIOS: Scenario[] = [
  rawScenario,
  ingestScenario,
  historyScenario,
  slaScenario,
  slaBurstScenario,
  slaColdScenario,
  inboxScenario,
  agentsScenario,
  memoryScenario,
];

const QUICK: Partial<Sizes> = {
  rawStepS: 4,
  ingestStepS: 5,
  timerWorkflows: 100,
  slaConversations: 100,
  inboxConversations: 5_000,
  agents: 10,
  agentPhaseS: 8,
  memoryConversations: 200,
  historyConversations: 2,
  historyMessages: 6,
};

function parseArgs(argv: string[]) {
  const flags = new Map<string, string>();
  for (const a of argv) {
    const m = /^--([\w.-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new SetupError(`unknown argument ${a} (see --help)`);
    flags.set(m[1]!, m[2] ?? 'true');
  }
  return flags;
}

function selectScenarios(only: string | undefined): Scenario[] {
  if (!only) return SCENARIOS;
  const wanted = new Set(
    only
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  for (const name of wanted) {
    if (!SCENARIOS.some((s) => s.name === name))
      throw new SetupError(`--only: no scenario "${name}" (${SCENARIOS.map((s) => s.name).join(', ')})`);
  }
  // Pull in what the selected ones need (the raw limits, figure 1), in the fixed order.
  let grew = true;
  while (grew) {
    grew = false;
    for (const s of SCENARIOS) {
      if (!wanted.has(s.name)) continue;
      for (const n of s.needs) {
        if (wanted.has(n)) continue;
        wanted.add(n);
        grew = true;
      }
    }
  }
  return SCENARIOS.filter((s) => wanted.has(s.name));
}

async function postgresVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query('show server_version');
    return `PostgreSQL ${rows[0].server_version}`;
  } finally {
    await client.end();
  }
}

async function main(): Promise<number> {
  const flags = parseArgs(process.argv.slice(2));
  if (flags.has('help')) {
    console.log(readFileSync(__filename, 'utf8').split('*/')[0]);
    console.log(`scenarios: ${SCENARIOS.map((s) => `${s.name} (${s.figures.join(', ')})`).join('; ')}`);
    return 0;
  }
  const sizes: Sizes = { ...(flags.has('full') ? FULL_SIZES : DEFAULT_SIZES), ...(flags.has('quick') ? QUICK : {}) };
  for (const [k, v] of flags) {
    if (!k.startsWith('size.')) continue;
    const key = k.slice(5) as keyof Sizes;
    if (!(key in sizes) || key === 'full') throw new SetupError(`--${k}: no such size`);
    (sizes as unknown as Record<string, number>)[key] = Number(v);
  }
  const scenarios = selectScenarios(flags.get('only'));
  const started = Date.now();
  const runId = `${new Date().toISOString().slice(0, 10).replace(/-/g, '')}_${randomBytes(3).toString('hex')}`;
  const say = (line: string) =>
    console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  const runDir = path.join(DATA_DIR, 'bench', runId);
  say(`run ${runId}: ${scenarios.map((s) => s.name).join(', ')}; scratch in ${runDir}`);
  const loadBefore = loadAverage();
  const env = await prepareBench({ runDir, runId, log: say, cpuProfile: flags.has('profile') });
  const machine = { ...machineInfo(env.cli, await postgresVersion(env.serverUrl)), load: loadBefore };
  say(
    `machine: ${machine.cpus} CPUs, ${machine.memory}, Node ${machine.node}, ${machine.temporal}, ${machine.postgres}, commit ${machine.commit}, load ${machine.load}; ${machine.speed}`,
  );
  const ctx: BenchContext = {
    env,
    sizes,
    log: say,
    rows: new Map(),
    notes: [],
    raw: {},
    ownPids: new Set([process.pid]),
  };
  const busy: string[] = [];
  // Ctrl-C or a kill: stop what this run started (servers, workers, Postgres), then exit.
  const abort = (signal: NodeJS.Signals) => {
    say(`${signal}: stopping the processes of this run`);
    for (const pid of ctx.ownPids) {
      if (pid === process.pid) continue;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    setTimeout(() => void env.stop().finally(() => process.exit(130)), 3_000);
  };
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  try {
    for (const scenario of scenarios) {
      const t0 = Date.now();
      say(`▶ ${scenario.name} (${scenario.figures.join(', ')})`);
      try {
        await scenario.run(ctx);
        say(`✔ ${scenario.name} in ${((Date.now() - t0) / 60_000).toFixed(1)} min`);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        say(`✘ ${scenario.name} failed after ${((Date.now() - t0) / 60_000).toFixed(1)} min: ${why}`);
        if (err instanceof Error && err.stack) console.error(err.stack);
        for (const id of scenario.figures) {
          if (!ctx.rows.has(id))
            ctx.rows.set(id, {
              id,
              ...TARGETS[id]!,
              product: `failed: ${why.slice(0, 200)}`,
              raw: '',
              ratio: '',
              notes: [],
            });
        }
        ctx.notes.push(`${scenario.name} failed: ${why.slice(0, 500)}`);
      }
      const others = otherBusyProcesses(ctx.ownPids);
      if (others) busy.push(`after ${scenario.name}: ${others}`);
    }
  } finally {
    await env.stop().catch((err: unknown) => say(`stopping Postgres: ${String(err)}`));
    if (!flags.has('keep')) rmSync(runDir, { recursive: true, force: true, maxRetries: 3 });
  }
  const loadAfter = loadAverage();
  const shared = busy.length
    ? `The machine was shared: other processes used CPU during the run (${busy.slice(0, 4).join(' | ')}).`
    : '';
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const section = renderSection({
    rows: [...ctx.rows.values()],
    machine,
    loadAfter,
    command,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    durationMin: (Date.now() - started) / 60_000,
    sizes: describeSizes(sizes, flags.has('quick')),
    shared,
    scenarioNotes: ctx.notes,
  });
  console.log(`\n${section}`);
  if (!flags.has('no-append')) say(`appended to ${appendToBenchmarks(section)}`);
  return 0;
}

function describeSizes(s: Sizes, quick: boolean): string {
  const kind = quick ? 'quick harness-check sizes' : s.full ? 'full sizes' : 'default sizes';
  return `${kind}: S_raw steps ${s.rawStepS} s, ingest steps ${s.ingestStepS} s, T_raw ${s.timerWorkflows} workflows, SLA ${s.slaConversations} conversations, inbox ${s.inboxConversations} conversations × ${s.messagesPerConversation} messages, ${s.agents} agents, ${s.memoryConversations} cached conversations`;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof SetupError ? `\n${err.message}\n` : err);
    process.exit(1);
  },
);
