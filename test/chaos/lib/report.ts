/**
 * The chaos report: one table row per fault kind (and the steady state between faults), the run's
 * totals and every finding, as markdown. A full run also writes it into RELIABILITY.md between
 * the `chaos-report` markers, so the rest of that page stays hand-written.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { format, resolveConfig } from 'prettier';
import type { FaultRecord } from './faults';
import type { LoadStats } from './load';
import { LATE_AFTER_RECOVERY_MS, passed, type Reconciliation, type Window } from './reconcile';

export const BEGIN = '<!-- chaos-report:begin -->';
export const END = '<!-- chaos-report:end -->';

const ms = (v: number | null) => (v === null ? '–' : `${(v / 1000).toFixed(1)} s`);

export function renderReport(opts: {
  command: string;
  seed: number;
  startedAt: Date;
  durationMs: number;
  loadBefore: string;
  loadAfter: string;
  faults: FaultRecord[];
  load: LoadStats;
  crashes: string[];
  result: Reconciliation;
}): string {
  const { result: r } = opts;
  const t = r.totals;
  const rows = (
    ['worker-kill', 'web-kill', 'temporal-kill', 'postgres-kill', 'worker-pause', 'steady'] as Window[]
  ).map((w) => {
    const s = r.windows[w];
    return `| ${w === 'steady' ? 'between faults' : `\`${w}\``} | ${w === 'steady' ? '–' : s.faults} | ${s.acknowledged} | ${s.projected} | ${s.duplicates} | ${s.lost} | ${w === 'steady' ? '–' : s.timersDue} | ${w === 'steady' ? '–' : s.lateTimers} | ${w === 'steady' ? '–' : ms(s.maxTimerDelayMs)} | ${w === 'steady' ? '–' : ms(s.maxProjectionLagMs)} |`;
  });
  const sum = (k: 'acknowledged' | 'projected' | 'duplicates' | 'lost' | 'timersDue' | 'lateTimers') =>
    Object.values(r.windows).reduce((n, s) => n + s[k], 0);
  const answers = Object.entries(opts.load.answers)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  const verdict = passed(r) && opts.crashes.length === 0 ? '**PASSED**' : '**FAILED**';
  const lines = [
    `Command: \`${opts.command}\` (seed ${opts.seed}), run ${opts.startedAt.toISOString()}, ${(opts.durationMs / 60_000).toFixed(1)} min, ${verdict}.`,
    `Machine load (uptime, 1/5/15 min): ${opts.loadBefore} before, ${opts.loadAfter} after (2 cores, shared with other runs).`,
    '',
    '| fault | injected | webhooks acknowledged | messages projected | duplicates | lost | SLA tiers due in the outage | late (> 5 s after recovery) | max tier delay after recovery | max projection lag |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    `| **total** | ${opts.faults.length} | ${sum('acknowledged')} | ${sum('projected')} | ${sum('duplicates')} | ${sum('lost')} | ${sum('timersDue')} | ${sum('lateTimers')} | | |`,
    '',
    'Webhooks are counted in the window of their first delivery attempt (fault injected … recovered + 5 s). "Duplicates" adds up',
    'duplicate message rows, AI replies without a customer turn between them, replies sent to the Graph API twice, SLA',
    'tiers fired twice in one waiting period and routing or ownership events written twice in a row.',
    `A tier is late when it fired more than ${LATE_AFTER_RECOVERY_MS / 1000} s after the part came back`,
    '(`firedAt − max(dueAt, recoveredAt)`); the projection lag is when its event row was written, on the same clock.',
    '',
    'Totals:',
    `- webhooks: ${t.messagesWritten} messages written, ${opts.load.requests} POSTs (${answers}); ${t.acknowledged} acknowledged, ${t.unacknowledged} never acknowledged, ${t.projectedWithoutAck} projected though never acknowledged`,
    `- projection: ${t.projected} of ${t.acknowledged} acknowledged messages have exactly one row; ${t.lost} lost; ${t.duplicateRows} duplicate rows`,
    `- workflows: ${t.workflowsChecked} conversations, ${t.runsChecked} runs' histories read; ${t.seenByWorkflows} distinct messages signalled, ${t.seenNotProjected} of them without a row, ${t.recordedTwiceByWorkflows} recorded twice`,
    `- AI: ${t.aiReplies} AI replies, ${t.duplicateAiReplies} duplicates; ${t.duplicateSends} duplicate sends to the Graph API; agent replies ${opts.load.agentReplies.ok}/${opts.load.agentReplies.attempted} accepted`,
    `- routing and ownership: ${t.ownershipEvents} assigned, unassigned and reopened events, ${t.repeatedOwnershipEvents} written twice in a row`,
    `- SLA: ${t.slaEvents} tier events, ${t.duplicateSlaEvents} duplicates; ${t.timersDueInOutages} due during outages, ${t.lateTimers} late, ${t.missedTimers} never fired; outside outages the largest delay was ${ms(t.steadyMaxTimerDelayMs)}`,
    `- unexpected process exits: ${opts.crashes.length === 0 ? 'none' : opts.crashes.join('; ')}`,
    '',
    'Faults, in order:',
    ...opts.faults.map(
      (f, i) =>
        `${i + 1}. \`${f.kind}\` at +${((f.injectedAt - opts.startedAt.getTime()) / 1000).toFixed(0)} s, down ${ms(f.downMs)}, back after ${ms(f.recoveredAt - f.injectedAt)}`,
    ),
    '',
    r.findings.length === 0
      ? 'Findings: none.'
      : ['Findings:', ...r.findings.slice(0, 40).map((f) => `- ${f.what}: ${f.detail}`)].join('\n'),
  ];
  if (r.findings.length > 40) lines.push(`- … and ${r.findings.length - 40} more`);
  return lines.join('\n');
}

/**
 * Replaces the report between the markers in RELIABILITY.md (appends the section when absent),
 * formatted as `npm run format:check` expects.
 */
export async function writeIntoReliability(file: string, report: string): Promise<void> {
  const block = `${BEGIN}\n${report}\n${END}`;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Reliability\n';
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  const next =
    start >= 0 && end > start
      ? `${current.slice(0, start)}${block}${current.slice(end + END.length)}`
      : `${current.trimEnd()}\n\n## Chaos report\n\n${block}\n`;
  const options = (await resolveConfig(file)) ?? {};
  writeFileSync(file, await format(next, { ...options, filepath: file }));
}
