/**
 * Figures of one run and the BENCHMARKS.md section they become: the machine, versions, commit,
 * command and date, then one row per figure of issue #6 with the raw limit beside it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../../../scripts/lib/local-env';
import { describeMachineSpeed, measureMachineSpeed } from './machine-speed';

export interface FigureRow {
  /** 'S_raw', 'T_raw', 'Q_raw', or '1'…'10'. */
  id: string;
  metric: string;
  product: string;
  raw: string;
  ratio: string;
  target: string;
  /** true met, false missed, undefined not judged (raw rows, or not measured). */
  met?: boolean;
  /** Where the time goes, what would be needed: printed under the table. */
  notes: string[];
}

export const ROW_ORDER = ['S_raw', 'T_raw', 'Q_raw', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10'];

export const TARGETS: Record<string, { metric: string; target: string }> = {
  S_raw: {
    metric: 'signal-with-start rate, no-op workflow, 1,000 ids (WFT schedule-to-start p95 < 1 s)',
    target: 'raw limit',
  },
  T_raw: { metric: 'timer lateness, no-op workflows (wake minus deadline)', target: 'raw limit' },
  Q_raw: { metric: 'index-only top-50 query on conversations', target: 'raw limit' },
  '1': {
    metric: 'sustained end-to-end ingest (signed webhook to rows visible to the inbox query)',
    target: '≥ 0.5 × S_raw and ≥ 80 msg/s',
  },
  '2': { metric: 'webhook ack latency at 80% of figure 1', target: 'p50 ≤ 50 ms, p99 ≤ 250 ms, none > 1 s' },
  '3': { metric: 'webhook to projection latency at 50% load', target: 'p95 ≤ 300 ms, p99 ≤ 1 s' },
  '4': {
    metric: 'SLA escalation lateness (committed minus deadline), N open conversations × 3 tiers',
    target: 'p99 ≤ 1.5 × T_raw p99 and ≤ 3 s; 1,000-deadline burst drained ≤ 20 s',
  },
  '5': { metric: 'the same after a worker restart (cold cache)', target: 'p99 ≤ 5 s' },
  '6': {
    metric: 'inbox list, first and deep keyset page, 100k conversations / 1M messages, mine/unassigned/team/all',
    target: 'SQL p95 ≤ 3 × Q_raw and ≤ 25 ms; page p95 ≤ 100 ms; deep ≤ 1.5 × first',
  },
  '7': { metric: 'sidebar queue counts at 100k conversations', target: 'p95 ≤ 10 ms, no full-table count per request' },
  '8': {
    metric: '50 agents (list refresh + SSE) during 50% ingest',
    target: 'list p95 ≤ 2 × idle; ingest ≥ 0.9 × figure 1',
  },
  '9': { metric: 'worker RSS with 2,000 cached conversations', target: '≤ 1.5 GB' },
  '10': { metric: 'history events per inbound text message', target: '≤ 6' },
};

export function emptyRow(id: string, why: string): FigureRow {
  const t = TARGETS[id]!;
  return { id, metric: t.metric, product: why, raw: '', ratio: '', target: t.target, notes: [] };
}

export interface MachineInfo {
  cpus: number;
  memory: string;
  node: string;
  temporal: string;
  postgres: string;
  commit: string;
  load: string;
  /** The kernel's and the CPU's own speed this run (machine-speed.ts): runs compare by it. */
  speed: string;
}

export function machineInfo(cli: string, postgresVersion: string): MachineInfo {
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: ROOT });
    return r.status === 0 ? r.stdout.trim() : 'unknown';
  };
  return {
    cpus: Number(run('nproc', [])) || os.cpus().length,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    temporal: run(cli, ['--version']),
    postgres: postgresVersion,
    // Read-only: the lead commits; the bench only names the commit it measured.
    commit: run('git', ['rev-parse', '--short', 'HEAD']),
    load: loadAverage(),
    speed: describeMachineSpeed(measureMachineSpeed()),
  };
}

export function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

/** Other processes on the machine (the test suites of other engineers) that use CPU right now. */
export function otherBusyProcesses(ownPids: Set<number>): string {
  try {
    const out = execFileSync('ps', ['-eo', 'pid,pcpu,comm', '--sort=-pcpu'], { encoding: 'utf8' });
    return out
      .split('\n')
      .slice(1, 8)
      .map((l) => l.trim())
      .filter(
        (l) =>
          l && !ownPids.has(Number(l.split(/\s+/)[0])) && Number(l.split(/\s+/)[1]) >= 5 && l.split(/\s+/)[2] !== 'ps',
      )
      .join('; ');
  } catch {
    return '';
  }
}

export function renderSection(opts: {
  rows: FigureRow[];
  machine: MachineInfo;
  loadAfter: string;
  command: string;
  date: string;
  durationMin: number;
  sizes: string;
  shared: string;
  scenarioNotes: string[];
}): string {
  const { machine } = opts;
  const byId = new Map(opts.rows.map((r) => [r.id, r]));
  const lines: string[] = [];
  lines.push(`## Run of ${opts.date} (commit ${machine.commit})`, '');
  lines.push(
    `- Command: \`${opts.command}\` (${opts.sizes}); took ${opts.durationMin.toFixed(1)} min.`,
    `- Machine: ${machine.cpus} CPUs (\`nproc\`), ${machine.memory} memory, Node ${machine.node}, ${machine.temporal}, ${machine.postgres}; ${machine.speed}.`,
    `- Load average (1/5/15 min) before: ${machine.load}; after: ${opts.loadAfter}.${opts.shared ? ` ${opts.shared}` : ''}`,
    '',
    '| # | metric | product | raw limit | ratio | target | met |',
    '|---|---|---|---|---|---|---|',
  );
  const cell = (text: string) => text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
  for (const id of ROW_ORDER) {
    const r = byId.get(id) ?? emptyRow(id, 'not run');
    const met = r.met === undefined ? (id.endsWith('_raw') ? '—' : 'not judged') : r.met ? 'met' : '**missed**';
    lines.push(
      `| ${id} | ${r.metric} | ${cell(r.product)} | ${cell(r.raw) || '—'} | ${r.ratio || '—'} | ${r.target} | ${met} |`,
    );
  }
  lines.push('');
  const withNotes = ROW_ORDER.map((id) => byId.get(id)).filter((r): r is FigureRow => !!r && r.notes.length > 0);
  if (withNotes.length) {
    lines.push('### Details and where the time goes', '');
    for (const r of withNotes) {
      lines.push(`**${r.id}** (${r.met === false ? 'missed' : r.met ? 'met' : 'measured'})`, '');
      for (const n of r.notes) lines.push(n.startsWith('    ') || n.startsWith('```') ? n : `- ${n}`);
      lines.push('');
    }
  }
  if (opts.scenarioNotes.length) {
    lines.push('### Scenario log', '');
    for (const n of opts.scenarioNotes) lines.push(`- ${n}`);
    lines.push('');
  }
  return lines.join('\n');
}

const HEADER = `# Benchmarks

\`npm run bench\` (test/bench/run.ts) measures the inbox against the limits of its own engine on the same
machine, in the same run: **S_raw** (signal-with-start rate a no-op workflow sustains), **T_raw** (timer
lateness of no-op workflows) and **Q_raw** (an index-only top-50 query), then the ten figures of issue #6.
Each run appends a section below; the newest is last. \`npm run bench -- --full\` runs the issue's full
sizes, \`--only=ingest,sla\` a subset (see \`npm run bench -- --help\`).

`;

export function appendToBenchmarks(section: string): string {
  const file = path.join(ROOT, 'BENCHMARKS.md');
  if (!existsSync(file) || !readFileSync(file, 'utf8').trim()) writeFileSync(file, HEADER);
  appendFileSync(file, `\n${section}\n`);
  return file;
}
