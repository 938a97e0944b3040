/**
 * `npm run test:chaos`: crash consistency under load (issue #7). Not part of `npm test`.
 *
 * Prepares its own world (test/chaos/lib/world.ts: an embedded Postgres, a Temporal dev server on
 * a file database, the real worker and web processes, the fake Graph and OpenAI servers), puts
 * steady signed-webhook load on it (lib/load.ts), injects each fault kind at random moments
 * (lib/faults.ts), drains, and lets the reconciler (lib/reconcile.ts) prove that every
 * acknowledged webhook was projected exactly once, nothing was done twice, and every SLA tier
 * due during an outage fired within 5 s after recovery. Prints the report per fault kind and, for
 * a full run, writes it into RELIABILITY.md.
 *
 *   npm run test:chaos                     two rounds of the five faults (6–8 minutes here)
 *   npm run test:chaos -- --quick          one round, shorter gaps, a 10 s pause (development)
 *   npm run test:chaos -- --seed 42        the same fault order and timings again
 *   npm run test:chaos -- --keep           keep the run directory (.data/chaos/<run>) afterwards
 *
 * Exits 1 when anything was lost, duplicated, late or never fired, or a process crashed.
 */
import { appendFileSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createDb } from '../../db/knexfile';
import { DATA_DIR, ROOT } from '../../scripts/lib/local-env';
import { addMember, upsertChannel, upsertTeam, upsertUser } from '../support/factories';
import { startFakeGraph } from '../support/fake-graph';
import { startFakeOpenAi } from '../support/fake-openai';
import { FAULT_KINDS, injectFault, type FaultKind, type FaultRecord } from './lib/faults';
import { createLoad } from './lib/load';
import { passed, reconcile } from './lib/reconcile';
import { renderReport, writeIntoReliability } from './lib/report';
import {
  ChaosPostgres,
  ChaosTemporal,
  ProductProcess,
  freePorts,
  loadAverage,
  sleep,
  snapshotBuilds,
  temporalCli,
  until,
} from './lib/world';
import { seededRandom } from '../support/seeded-random';

const APP_SECRET = 'chaos-app-secret';
const VERIFY_TOKEN = 'chaos-verify-token';
const PHONE_NUMBER_ID = '100000000000999';
const ACCESS_TOKEN = 'chaos-wa-token';
const OPENAI_KEY = 'chaos-openai-key';
const PASSWORD = 'chaos-password';
const TIERS_MS = [3_000, 6_000, 9_000] as const;

interface Profile {
  rounds: number;
  warmupMs: number;
  gapMs: [number, number];
  downMs: [number, number];
  pauseMs: number;
  newCustomerEveryMs: number;
}

const FULL: Profile = {
  rounds: 2,
  warmupMs: 20_000,
  gapMs: [8_000, 20_000],
  downMs: [2_000, 6_000],
  pauseMs: 30_000,
  newCustomerEveryMs: 1_500,
};
const QUICK: Profile = {
  rounds: 1,
  warmupMs: 10_000,
  gapMs: [5_000, 10_000],
  downMs: [2_000, 4_000],
  pauseMs: 10_000,
  newCustomerEveryMs: 1_500,
};

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<number> {
  const quick = process.argv.includes('--quick');
  const keep = process.argv.includes('--keep');
  const seed = Number(argValue('--seed') ?? Math.floor(Math.random() * 1_000_000));
  const profile = quick ? QUICK : FULL;
  const rng = seededRandom(seed);
  const between = ([min, max]: [number, number]) => min + Math.floor(rng() * (max - min + 1));
  const runId = `${Date.now().toString(36)}`;
  const runDir = path.join(DATA_DIR, 'chaos', runId);
  mkdirSync(runDir, { recursive: true });
  const log = (line: string) => {
    const stamped = `[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`;
    console.log(stamped);
    appendFileSync(path.join(runDir, 'chaos.log'), `${stamped}\n`);
  };
  const startedAt = new Date();
  const loadBefore = loadAverage();
  log(`run ${runId}, seed ${seed}, ${quick ? 'quick' : 'full'} profile; load ${loadBefore}; logs in ${runDir}`);

  const cli = await temporalCli(log);
  const [pgPort, temporalPort, uiPort, webPort] = await freePorts(4);
  const postgres = new ChaosPostgres(path.join(runDir, 'postgres'), pgPort!, log);
  const temporal = new ChaosTemporal(cli, path.join(runDir, 'temporal', 'dev.db'), temporalPort!, uiPort!, log);
  const graph = await startFakeGraph({ accessTokens: [ACCESS_TOKEN] });
  const openai = await startFakeOpenAi({ apiKey: OPENAI_KEY });
  const cleanups: Array<() => Promise<unknown>> = [() => graph.close(), () => openai.close()];
  let worker: ProductProcess | undefined;
  let web: ProductProcess | undefined;
  try {
    await postgres.start();
    cleanups.unshift(() => postgres.stop());
    const databaseUrl = await postgres.createDatabase('kliovo_chaos');
    const builds = await snapshotBuilds(runDir, log);
    await temporal.start();
    cleanups.unshift(() => temporal.stop());
    const db = createDb(databaseUrl, { min: 0, max: 4 });
    cleanups.unshift(() => db.destroy());

    // The workspace: one team of online agents, an owner who answers some customers, the AI on.
    const teamId = await upsertTeam(db, 'Support');
    const ownerEmail = 'owner@chaos.test';
    await upsertUser(db, { email: ownerEmail, name: 'Chaos Owner', role: 'owner', password: PASSWORD });
    for (let i = 1; i <= 3; i++) {
      const id = await upsertUser(db, {
        email: `agent${i}@chaos.test`,
        name: `Agent ${i}`,
        role: 'agent',
        password: PASSWORD,
        availability: 'online',
        capacity: 1000,
      });
      await addMember(db, teamId, id, i === 1);
    }
    const channelId = await upsertChannel(db, {
      kind: 'whatsapp',
      name: 'Chaos store',
      externalId: PHONE_NUMBER_ID,
      accessToken: ACCESS_TOKEN,
      defaultTeamId: teamId,
    });
    await db('workspace_settings')
      .insert({ key: 'ai', value: JSON.stringify({ enabled: true, instructions: '', faq: [] }) })
      .onConflict('key')
      .merge();

    const appEnv = {
      runDir,
      port: webPort!,
      databaseUrl,
      temporalAddress: temporal.address,
      bundlePath: builds.bundlePath,
      webBuildDir: builds.webBuildDir,
      extraEnv: {
        TEMPORAL_TASK_QUEUE: 'kliovo-chaos',
        META_GRAPH_BASE_URL: graph.url,
        WHATSAPP_APP_SECRET: APP_SECRET,
        WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN,
        OPENAI_BASE_URL: openai.baseUrl,
        OPENAI_API_KEY: OPENAI_KEY,
        OPENAI_MODEL: 'gpt-test',
        OPENAI_TIMEOUT: '5s',
        SLA_DEFAULT_TIERS: TIERS_MS.map((t) => `${t / 1000}s`).join(','),
        // The customer pair rate (1 per 6 s) would hold AI replies back; not what this run measures.
        WHATSAPP_PAIR_GAP: '100ms',
      },
    };
    worker = new ProductProcess('workers/main.ts', 'worker', appEnv);
    web = new ProductProcess('api/main.ts', 'web', appEnv);
    const w = worker;
    const wb = web;
    cleanups.unshift(() => Promise.all([w.stop(), wb.stop()]));
    await Promise.all([worker.start(), web.start()]);
    const baseUrl = `http://127.0.0.1:${webPort}`;
    await until(async () => (await fetch(`${baseUrl}/healthz`)).ok, 'the web process to be healthy', 60_000);
    const tokenRes = await fetch(`${baseUrl}/api/v1/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: ownerEmail, password: PASSWORD }),
    });
    const { token } = (await tokenRes.json()) as { token: string };
    log('world ready: load starts');

    const load = createLoad({
      baseUrl,
      appSecret: APP_SECRET,
      phoneNumberId: PHONE_NUMBER_ID,
      agentToken: token,
      db,
      channelId,
      rng,
      newCustomerEveryMs: profile.newCustomerEveryMs,
      redeliverShare: 0.15,
      runId,
      log,
    });
    load.start();

    // A process that dies without being told to is a finding; it is restarted so the run goes on.
    const crashes: string[] = [];
    let watching = true;
    const watchdog = (async () => {
      while (watching) {
        for (const p of [w, wb]) {
          if (!p.alive && !p.downOnPurpose) {
            crashes.push(`${p.label} crashed (${p.crashes.at(-1) ?? 'unknown'}); see ${p.logFile}`);
            log(`!! ${p.label} crashed: restarting it`);
            await p.start().catch((err: unknown) => log(`restart failed: ${String(err)}`));
          }
        }
        await sleep(500);
      }
    })();

    await sleep(profile.warmupMs);
    const plan: FaultKind[] = [];
    for (let round = 0; round < profile.rounds; round++) {
      const kinds = [...FAULT_KINDS];
      for (let i = kinds.length - 1; i > 0; i--) {
        const j = Math.floor(rng() * (i + 1));
        [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
      }
      plan.push(...kinds);
    }
    const faults: FaultRecord[] = [];
    for (const kind of plan) {
      await sleep(between(profile.gapMs));
      log(`inject ${kind}`);
      const record = await injectFault(
        kind,
        { worker, web, temporal, postgres },
        {
          downMs: between(profile.downMs),
          pauseMs: profile.pauseMs,
        },
      );
      faults.push(record);
      log(`${kind} recovered after ${((record.recoveredAt - record.injectedAt) / 1000).toFixed(1)} s`);
      await until(async () => (await fetch(`${baseUrl}/healthz`)).ok, 'the web process to be healthy', 60_000).catch(
        (err: unknown) => log(`not healthy after ${kind}: ${String(err)}`),
      );
    }

    // Drain: no new customers; every webhook acknowledged; every acknowledged message projected;
    // the last waiting periods' tiers come due.
    await sleep(between(profile.gapMs));
    load.stopProducing();
    log('load stopped; draining');
    const drained = await load.drain(180_000);
    log(drained ? 'every webhook acknowledged' : `${load.unacknowledged().length} webhooks still unacknowledged`);
    const acked = [...load.messages.values()].filter((m) => m.ackedAt !== undefined).map((m) => m.externalId);
    await until(
      async () => {
        const [row] = await db('messages').whereIn('external_id', acked).count({ n: '*' });
        return Number(row?.n ?? 0) >= acked.length;
      },
      'every acknowledged message to be projected',
      120_000,
      1_000,
    ).catch((err: unknown) => log(String(err)));
    await sleep(TIERS_MS[2] + 6_000);
    watching = false;
    await watchdog;

    log('reconciling');
    const result = await reconcile({
      db,
      temporalAddress: temporal.address,
      channelId,
      messages: [...load.messages.values()],
      faults,
      graph,
      tiersMs: TIERS_MS,
    });
    load.stop();
    const command = `npm run test:chaos${quick ? ' -- --quick' : ''}`;
    const report = renderReport({
      command,
      seed,
      startedAt,
      durationMs: Date.now() - startedAt.getTime(),
      loadBefore,
      loadAfter: loadAverage(),
      faults,
      load: load.stats,
      crashes,
      result,
    });
    console.log(`\n${report}\n`);
    appendFileSync(path.join(runDir, 'report.md'), `${report}\n`);
    if (!quick) {
      await writeIntoReliability(path.join(ROOT, 'RELIABILITY.md'), report);
      log('report written to RELIABILITY.md');
    }
    return passed(result) && crashes.length === 0 ? 0 : 1;
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
    if (!keep) {
      // Data only: the logs and the report stay for a look afterwards.
      rmSync(path.join(runDir, 'postgres'), { recursive: true, force: true });
      rmSync(path.join(runDir, 'temporal'), { recursive: true, force: true });
      rmSync(path.join(runDir, 'web-build'), { recursive: true, force: true });
      rmSync(path.join(runDir, 'media'), { recursive: true, force: true });
    }
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
