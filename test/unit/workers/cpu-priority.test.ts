import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..', '..');

/**
 * In a child process (its priority cannot be raised back): every thread it has gets the value, and
 * a thread started afterwards (as the SDK starts its own) inherits it.
 */
const CHILD = `
  const { readdirSync } = require('node:fs');
  const os = require('node:os');
  const { Worker } = require('node:worker_threads');
  const { lowerCpuPriority } = require('./workers/cpu-priority');
  const before = readdirSync('/proc/self/task').length;
  const set = lowerCpuPriority(Number(process.argv[1]));
  const later = new Worker('setInterval(() => {}, 1000)', { eval: true });
  later.on('online', () => {
    const nice = readdirSync('/proc/self/task').map((tid) => os.getPriority(Number(tid)));
    console.log(JSON.stringify({ before, set, nice }));
    process.exit(0);
  });
`;

function runChild(nice: number): { before: number; set: number; nice: number[] } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', CHILD, String(nice)], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

describe('lowerCpuPriority', () => {
  it('sets every thread of the process, and threads started later inherit it', () => {
    const { before, set, nice } = runChild(7);
    expect(set).toBeGreaterThanOrEqual(before);
    expect(set).toBeGreaterThan(1);
    expect(nice.length).toBeGreaterThan(set);
    expect(new Set(nice)).toEqual(new Set([7]));
  });

  it('leaves the priority alone at 0', () => {
    const { set, nice } = runChild(0);
    expect(set).toBe(0);
    // The child inherits this process's value.
    expect(new Set(nice)).toEqual(new Set([os.getPriority()]));
  });
});
