/**
 * `npm start`: the whole product on one machine. Temporal dev server (file database), Postgres
 * (embedded unless DATABASE_URL), migrations, the demo workspace, the worker and the web, each
 * started in order and waited for. Ctrl-C stops them all, last started first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createDb } from '../db/knexfile';
import { DEMO_CONVERSATIONS, DEMO_PASSWORD, DEMO_USERS, seedDemo } from '../db/seeds/demo';
import { startFakeGraph, type FakeGraph } from '../test/support/fake-graph';
import { postWebhook, whatsappTextWebhook } from '../test/support/webhooks';
import { buildWeb, buildWorkflows } from './lib/build';
import { ensureDatabase, startPostgres, type PostgresHandle } from './lib/postgres';
import { local, ROOT } from './lib/local-env';
import { migrateLatest } from './lib/migrate';
import { ensureTemporalCli, SetupError } from './lib/temporal-cli';
import { niceValue, startTemporalDevServer, stopChild, type DevServer } from './lib/temporal-server';

const say = (line: string) => console.log(`[start] ${line}`);
const stops: Array<{ name: string; stop: () => Promise<void> }> = [];
let stopping = false;

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const { name, stop } of stops.reverse()) {
    say(`stopping ${name}…`);
    await stop().catch((err: unknown) => say(`${name} did not stop cleanly: ${String(err)}`));
  }
  say('stopped');
  process.exit(code);
}

function spawnApp(name: string, script: string, env: NodeJS.ProcessEnv): ChildProcess {
  const tsxCli = require.resolve('tsx/cli');
  const child = spawn(process.execPath, [tsxCli, script], { cwd: ROOT, env, stdio: 'inherit' });
  child.on('exit', (code, signal) => {
    if (stopping) return;
    say(`${name} exited unexpectedly (${signal ?? `code ${code}`}); stopping everything`);
    void shutdown(1);
  });
  stops.push({ name, stop: () => stopChild(child) });
  return child;
}

async function waitForHealthy(url: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (stopping) return;
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} did not become healthy within ${timeoutMs / 1000} s`);
}

async function main(): Promise<void> {
  // `on`, not `once`: Ctrl-C reaches this process from the terminal and again through npm and
  // tsx; a second signal must not kill it halfway through the ordered shutdown.
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  const temporalNice = niceValue(local.temporalNice, 'TEMPORAL_NICE');
  const cli = await ensureTemporalCli(say);

  const postgres: PostgresHandle = await startPostgres(local.databaseUrl, {
    dataDir: local.postgresDir,
    port: local.postgresPort,
    log: say,
  });
  stops.push({ name: 'Postgres', stop: () => postgres.stop() });
  const databaseUrl = local.databaseUrl ?? postgres.url(local.database);
  if (postgres.embedded) await ensureDatabase(postgres.url('postgres'), local.database);
  const ran = await migrateLatest(databaseUrl);
  say(ran.length ? `ran ${ran.length} migration(s)` : 'database schema up to date');

  let temporalAddress = local.temporalAddress;
  let temporalUi = `http://127.0.0.1:${local.temporalUiPort}`;
  if (!temporalAddress) {
    const server: DevServer = await startTemporalDevServer({
      cli,
      dbFile: local.temporalDbFile,
      port: local.temporalPort,
      uiPort: local.temporalUiPort,
      namespace: local.namespace,
      nice: temporalNice,
      log: say,
    });
    stops.push({ name: 'Temporal dev server', stop: server.stop });
    temporalAddress = server.address;
    temporalUi = server.uiUrl;
  }

  buildWeb({ log: say });
  const bundle = await buildWorkflows({ log: say });

  let graphBaseUrl = local.metaGraphBaseUrl;
  if (!graphBaseUrl) {
    // Meta is out of reach from a laptop demo: replies go to a local sandbox that speaks the
    // Cloud API's wire format, so the whole path works. Set META_GRAPH_BASE_URL for the real one.
    const sandbox: FakeGraph = await startFakeGraph({ port: local.metaSandboxPort });
    stops.push({ name: 'Meta Graph sandbox', stop: () => sandbox.close() });
    graphBaseUrl = sandbox.url;
  }

  let demoChannel: string | undefined;
  if (!local.production) {
    const db = createDb(databaseUrl, { min: 0, max: 2 });
    try {
      demoChannel = (await seedDemo(db, local.demo)).whatsappChannelId;
    } finally {
      await db.destroy();
    }
  }

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_UI_URL: process.env.TEMPORAL_UI_URL ?? temporalUi,
    META_GRAPH_BASE_URL: graphBaseUrl,
    WORKFLOW_BUNDLE_PATH: bundle,
    PORT: String(local.webPort),
  };
  spawnApp('worker', path.join('workers', 'main.ts'), env);
  spawnApp('web', path.join('api', 'main.ts'), env);
  const webUrl = `http://127.0.0.1:${local.webPort}`;
  await waitForHealthy(`${webUrl}/healthz`);

  if (demoChannel) await sendDemoConversations(webUrl, databaseUrl);

  console.log(
    [
      '',
      'Kliovo Inbox is running.',
      `  Inbox        http://localhost:${local.webPort}`,
      `  Temporal UI  ${temporalUi}`,
      `  Meta Graph   ${graphBaseUrl}${local.metaGraphBaseUrl ? '' : '  (local sandbox: replies are recorded here, not sent)'}`,
      ...(local.production
        ? []
        : [
            '',
            `Demo sign-ins (password "${DEMO_PASSWORD}"):`,
            ...DEMO_USERS.map((u) => `  ${u.email.padEnd(20)} ${u.role}`),
          ]),
      '',
      'Press Ctrl-C to stop everything.',
      '',
    ].join('\n'),
  );
}

/** The sample conversations arrive the way real ones do: as signed webhooks, through Temporal. */
async function sendDemoConversations(webUrl: string, databaseUrl: string): Promise<void> {
  const db = createDb(databaseUrl, { min: 0, max: 1 });
  try {
    const existing = await db('conversations').count<{ count: string }[]>('* as count').first();
    if (Number(existing?.count ?? 0) > 0) return;
  } finally {
    await db.destroy();
  }
  const now = Math.floor(Date.now() / 1000);
  for (const [i, c] of DEMO_CONVERSATIONS.entries()) {
    const body = whatsappTextWebhook({
      ...c,
      phoneNumberId: local.demo.whatsappPhoneNumberId,
      timestamp: now - 600 + i * 60,
    });
    const res = await postWebhook(webUrl, body, local.whatsappAppSecret);
    if (!res.ok) say(`demo conversation ${i + 1} was refused: HTTP ${res.status}`);
  }
  say(`sent ${DEMO_CONVERSATIONS.length} demo conversations through the WhatsApp webhook`);
}

main().catch(async (err: unknown) => {
  console.error(
    err instanceof SetupError
      ? `\n${err.message}\n`
      : `[start] failed: ${err instanceof Error ? err.stack : String(err)}`,
  );
  await shutdown(1);
});
