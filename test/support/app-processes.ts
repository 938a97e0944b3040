/**
 * The product's own processes (workers/main.ts and api/main.ts), started as `npm start` starts
 * them, against a test's Temporal server, database and fake Graph server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { stopChild } from '../../scripts/lib/temporal-server';
import { requireTestEnv } from './env';
import { waitFor } from './wait-for';

const ROOT = path.resolve(__dirname, '..', '..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RunningApp {
  baseUrl: string;
  output: () => string;
  stop(): Promise<void>;
}

export async function startApp(env: {
  databaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
  graphBaseUrl: string;
  appSecret: string;
  verifyToken: string;
  /** More variables for both processes, e.g. `{ SLA_DEFAULT_TIERS: '3s,6s,9s' }`; they win over the above. */
  extraEnv?: Record<string, string>;
  /**
   * Also append everything both processes print to this file (as it arrives, so it survives a
   * crash of the test process); `output()` keeps returning it either way. Defaults to
   * KLIOVO_TEST_APP_LOG when that is set.
   */
  captureTo?: string;
}): Promise<RunningApp> {
  const port = await freePort();
  const common: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'info', // captured, not printed; the worker's 'worker ready' line is the readiness signal
    DATABASE_URL: env.databaseUrl,
    TEMPORAL_ADDRESS: env.temporalAddress,
    TEMPORAL_TASK_QUEUE: env.taskQueue,
    META_GRAPH_BASE_URL: env.graphBaseUrl,
    WHATSAPP_APP_SECRET: env.appSecret,
    WHATSAPP_VERIFY_TOKEN: env.verifyToken,
    WORKFLOW_BUNDLE_PATH: requireTestEnv('WORKFLOW_BUNDLE_PATH'),
    HOST: '127.0.0.1',
    PORT: String(port),
    ...env.extraEnv,
  };
  const logs: string[] = [];
  const captureTo = env.captureTo ?? process.env.KLIOVO_TEST_APP_LOG;
  const run = (script: string): ChildProcess => {
    const child = spawn(process.execPath, [require.resolve('tsx/cli'), script], {
      cwd: ROOT,
      env: common,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      const line = `[${path.basename(path.dirname(script))}] ${chunk.toString('utf8')}`;
      logs.push(line);
      if (captureTo) appendFileSync(captureTo, line);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    return child;
  };
  const worker = run('workers/main.ts');
  const web = run('api/main.ts');
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await Promise.all([stopChild(web), stopChild(worker)]);
  };
  try {
    await waitFor(
      async () => {
        if (web.exitCode !== null || worker.exitCode !== null) throw new Error(`a process exited:\n${logs.join('')}`);
        const res = await fetch(`${baseUrl}/healthz`).catch(() => undefined);
        return res?.ok && logs.some((l) => l.includes('worker ready'));
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'the web and worker processes' },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { baseUrl, output: () => logs.join(''), stop };
}

/** A minimal cookie-keeping browser for server-rendered pages and form posts. */
export class PageClient {
  private cookie = '';
  constructor(private readonly baseUrl: string) {}

  async signIn(email: string, password: string): Promise<Response> {
    const res = await this.post('/login', { email, password });
    const set = res.headers.get('set-cookie');
    if (set) this.cookie = set.split(';')[0]!;
    return res;
  }

  get(path: string): Promise<Response> {
    return fetch(`${this.baseUrl}${path}`, { headers: { cookie: this.cookie }, redirect: 'manual' });
  }

  post(path: string, form: Record<string, string>): Promise<Response> {
    return fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: { cookie: this.cookie, 'content-type': 'application/x-www-form-urlencoded', origin: this.baseUrl },
      body: new URLSearchParams(form).toString(),
      redirect: 'manual',
    });
  }
}
