/**
 * Runs `temporal server start-dev` with a file database, and makes sure the inbox search
 * attributes exist: start-dev registers them only when it creates the database, so on a reused
 * one the missing ones are added with `temporal operator search-attribute create` (TECH-NOTES §1.3).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_CLI_TYPES } from '../../workflows/shared/search-attributes';
import { SetupError } from './temporal-cli';

export interface DevServerOptions {
  cli: string;
  dbFile: string;
  port: number;
  uiPort: number;
  namespace: string;
  /** The server's nice value (0–19; 0 leaves it): see `withNice`. */
  nice?: number;
  log?: (line: string) => void;
}

export interface DevServer {
  address: string;
  uiUrl: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Eager activity dispatch (off by default in the server): an activity scheduled by a workflow task
 * on the worker's own task queue is started in the same transaction that completes that task and
 * handed back in its response, instead of going through a transfer task, the matching service and
 * a poll that records it started. The SLA escalation activity is the case that counts (issue #6:
 * in the 1,000-deadline burst 961 to 1,000 of its activities started eagerly, and the server wrote
 * 5,007 mutable-state updates instead of 6,007). Tests' dev servers run with it too
 * (test/support/temporal.ts), and docker-compose.yml's dynamic config sets it for the full server.
 */
export const EAGER_ACTIVITY_FLAGS: readonly string[] = [
  '--dynamic-config-value',
  'system.enableActivityEagerExecution=true',
];

/**
 * The `start-dev` flags every dev server of this project runs with (the product's and the
 * benchmark's): quiet logs, the inbox search attributes, and on an offline machine no outbound
 * version check; updates enabled on every server version; eager activities; WAL for the SQLite file.
 *
 * start-dev turns on `system.forceSearchAttributesCacheRefreshOnRead`, so that a search attribute
 * created at run time is usable at once: every read of the search attributes (each signal, start
 * and workflow task) then reads the cluster metadata and the namespace from SQLite, through the
 * dev server's one database connection, which every other persistence call waits behind (issue
 * #6: 2.4 such reads per signal-with-start, 38% of that connection's time at the first rate the
 * inbox did not sustain). The inbox's attributes are registered when the server starts (below,
 * and a restart after registering them on an older database), so the cached reads are enough.
 */
export const DEV_SERVER_FLAGS: readonly string[] = [
  '--log-level',
  'warn',
  '--dynamic-config-value',
  'frontend.enableServerVersionCheck=false',
  '--dynamic-config-value',
  'frontend.enableUpdateWorkflowExecution=true',
  '--dynamic-config-value',
  'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
  '--dynamic-config-value',
  'frontend.enableExecuteMultiOperation=true',
  '--dynamic-config-value',
  'system.forceSearchAttributesCacheRefreshOnRead=false',
  ...EAGER_ACTIVITY_FLAGS,
  '--sqlite-pragma',
  'journal_mode=wal',
  '--sqlite-pragma',
  'synchronous=normal',
  ...Object.entries(SEARCH_ATTRIBUTE_CLI_TYPES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
];

export async function startTemporalDevServer(opts: DevServerOptions): Promise<DevServer> {
  const log = opts.log ?? console.log;
  mkdirSync(path.dirname(opts.dbFile), { recursive: true });
  const address = `127.0.0.1:${opts.port}`;
  let child = await spawnDevServer(opts, address);
  if ((await ensureSearchAttributes(opts.cli, address, opts.namespace, log)) > 0) {
    // Each of the server's services caches the search attributes (DEV_SERVER_FLAGS): a restart
    // makes every one of them read the new ones now rather than within its refresh interval.
    await stopChild(child);
    child = await spawnDevServer(opts, address);
  }
  return {
    address,
    uiUrl: `http://127.0.0.1:${opts.uiPort}`,
    process: child,
    stop: () => stopChild(child),
  };
}

/**
 * A command line that runs `command` at the given nice value (issue #6, figure 8). On one machine
 * the dev server shares the CPU with the web process, and a workflow task that waits a moment
 * costs nobody anything, while a page or a webhook acknowledgement waiting behind it keeps a
 * person or Meta waiting; the worker yields the same way (workers/cpu-priority.ts). The Go server
 * starts its threads as it boots and Linux keeps nice per thread, so it is set before the exec,
 * through `nice(1)` (which execs in place: the pid is the server's), not renice'd afterwards.
 */
export function withNice(command: string, args: readonly string[], nice = 0): [string, string[]] {
  if (nice <= 0 || process.platform === 'win32') return [command, [...args]];
  return ['nice', ['-n', String(nice), command, ...args]];
}

/** A nice value from the environment (`name` for the message): an integer 0–19. */
export function niceValue(raw: string, name: string): number {
  const value = Number(raw.trim());
  if (raw.trim() === '' || !Number.isInteger(value) || value < 0 || value > 19)
    throw new SetupError(`${name} must be a whole number from 0 (off) to 19, not "${raw}".`);
  return value;
}

/** Starts `temporal server start-dev` and resolves once its frontend answers. */
async function spawnDevServer(opts: DevServerOptions, address: string): Promise<ChildProcess> {
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    opts.dbFile,
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--ui-ip',
    '127.0.0.1',
    '--ui-port',
    String(opts.uiPort),
    '--namespace',
    opts.namespace,
    ...DEV_SERVER_FLAGS,
  ];
  const child = spawn(...withNice(opts.cli, args, opts.nice), { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (output.length > 50) output.splice(0, output.length - 50);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  child.on('exit', () => (exited = true));
  // Could not be started at all (no `nice` or CLI binary): say so instead of an unhandled error.
  child.on('error', (err) => {
    output.push(`could not run ${opts.cli}: ${err.message}`);
    exited = true;
  });

  await waitForFrontend(
    address,
    () => exited,
    () => output.slice(-15).join('\n'),
  );
  return child;
}

async function waitForFrontend(address: string, exited: () => boolean, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited()) throw new SetupError(`The Temporal dev server exited during start-up:\n${output()}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
      return;
    } catch {
      if (Date.now() > deadline)
        throw new SetupError(`The Temporal dev server did not answer on ${address}:\n${output()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Registers the inbox search attributes an existing database lacks; returns how many it added. */
async function ensureSearchAttributes(
  cli: string,
  address: string,
  namespace: string,
  log: (l: string) => void,
): Promise<number> {
  const connection = await Connection.connect({ address });
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = Object.entries(SEARCH_ATTRIBUTE_CLI_TYPES).filter(([name]) => !(name in (customAttributes ?? {})));
    for (const [name, type] of missing) {
      const result = spawnSync(
        cli,
        [
          'operator',
          'search-attribute',
          'create',
          '--address',
          address,
          '--namespace',
          namespace,
          '--name',
          name,
          '--type',
          type,
        ],
        { encoding: 'utf8' },
      );
      if (result.status !== 0) throw new SetupError(`Registering search attribute ${name} failed: ${result.stderr}`);
      log(`Registered search attribute ${name} (${type}) on the existing Temporal database`);
    }
    return missing.length;
  } finally {
    await connection.close();
  }
}

export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}
