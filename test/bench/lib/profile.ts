/**
 * Reads a product process's V8 CPU profiles (node --cpu-prof, written when the process exits) and names
 * where its time went: self time by function, and by package or project folder.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

function area(url: string): string {
  if (!url) return '(native / GC / idle)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return 'node core';
  const m = /\/(workflows|activities|workers|api|db|build)\//.exec(url);
  return m ? `${m[1]}/` : path.basename(url);
}

export function summarizeProfiles(dir: string, top = 10, process = 'worker'): string[] {
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const byFn = new Map<string, number>();
  const byArea = new Map<string, number>();
  let totalMs = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const samples = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    samples.forEach((id, i) => {
      const node = nodes.get(id);
      if (!node) return;
      const ms = (deltas[i] ?? 0) / 1000;
      const name = node.callFrame.functionName || '(anonymous)';
      if (name === '(idle)') return;
      totalMs += ms;
      const key = `${name} (${area(node.callFrame.url)})`;
      byFn.set(key, (byFn.get(key) ?? 0) + ms);
      const a = ['(garbage collector)', '(program)'].includes(name) ? name : area(node.callFrame.url);
      byArea.set(a, (byArea.get(a) ?? 0) + ms);
    });
  }
  if (!totalMs) return [];
  const pct = (ms: number) => `${((100 * ms) / totalMs).toFixed(1)}%`;
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top);
  return [
    `${process} CPU profile (${files.length} file(s), ${(totalMs / 1000).toFixed(1)} s on CPU): by area ${sorted(byArea)
      .map(([k, v]) => `${k} ${pct(v)}`)
      .join(', ')}`,
    `hottest functions (self time): ${sorted(byFn)
      .map(([k, v]) => `${k} ${pct(v)}`)
      .join('; ')}`,
  ];
}
