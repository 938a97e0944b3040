/**
 * The first slice in a real browser, at desktop and phone widths: an agent signs in through the
 * form, finds the WhatsApp conversation in the inbox, opens it and replies from the composer.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Browser } from 'playwright-core';
import path from 'node:path';
import { addMember, upsertChannel, upsertTeam, upsertUser } from '../support/factories';
import { ARTIFACTS, DESKTOP, PHONE, launchBrowser } from '../support/browser';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { startApp, type RunningApp } from '../support/app-processes';
import { startTestTemporal, uniqueTaskQueue } from '../support/temporal';
import { postWebhook, whatsappTextWebhook } from '../support/webhooks';
import { waitFor } from '../support/wait-for';

const APP_SECRET = 'e2e-app-secret';
const PHONE_NUMBER_ID = '100000000000077';
const PASSWORD = 'e2e password';

describe('the inbox in a browser', () => {
  let temporal: TestWorkflowEnvironment;
  let database: TestDatabase;
  let graph: FakeGraph;
  let app: RunningApp;
  let browser: Browser;

  beforeAll(async () => {
    [temporal, database, graph, browser] = await Promise.all([
      startTestTemporal(),
      createTestDatabase(),
      startFakeGraph(),
      launchBrowser(),
    ]);
    const team = await upsertTeam(database.db, 'Support');
    await addMember(
      database.db,
      team,
      await upsertUser(database.db, { email: 'agent@e2e.dev', name: 'Ada Agent', role: 'agent', password: PASSWORD }),
    );
    await upsertChannel(database.db, {
      kind: 'whatsapp',
      name: 'E2E store',
      externalId: PHONE_NUMBER_ID,
      accessToken: 'e2e-token',
      defaultTeamId: team,
    });
    app = await startApp({
      databaseUrl: database.url,
      temporalAddress: temporal.connection.options.address,
      taskQueue: uniqueTaskQueue('e2e'),
      graphBaseUrl: graph.url,
      appSecret: APP_SECRET,
      verifyToken: 'e2e-verify',
    });
    for (const [i, c] of [
      { from: '447700900123', name: 'Priya Shah', text: 'Hi! Is my order #8812 shipped yet?' },
      { from: '212600000001', name: 'Youssef Amrani', text: 'Salam, I want to confirm my COD order for tomorrow.' },
    ].entries()) {
      const res = await postWebhook(
        app.baseUrl,
        whatsappTextWebhook({ ...c, phoneNumberId: PHONE_NUMBER_ID, id: `wamid.e2e-${i}` }),
        APP_SECRET,
      );
      expect(res.status).toBe(200);
    }
    await waitFor(async () => Number((await database.db('messages').count('* as n').first())?.n) === 2, {
      what: 'both messages',
    });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await graph?.close();
    await database?.drop();
    await temporal?.teardown();
  });

  for (const [label, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    it(`lets an agent sign in, open a conversation and reply (${label})`, async () => {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (err) => problems.push(err.message));
      page.on(
        'console',
        (msg) =>
          msg.type() === 'error' && !msg.text().startsWith('Failed to load resource') && problems.push(msg.text()),
      );
      page.on(
        'response',
        (res) => res.status() >= 400 && problems.push(`HTTP ${res.status()} ${new URL(res.url()).pathname}`),
      );
      await page.goto(`${app.baseUrl}/inbox/all`);
      await expect(page.getByRole('heading', { name: 'Kliovo Inbox' }).isVisible()).resolves.toBe(true);
      await page.screenshot({ path: path.join(ARTIFACTS, `sign-in-${label}.png`) });
      await page.getByLabel('Email').fill('agent@e2e.dev');
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();

      const list = page.getByRole('region', { name: 'Conversations' });
      await list.getByRole('link', { name: /Priya Shah/ }).waitFor();
      await expect(list.getByRole('link').count()).resolves.toBe(2);
      await page.screenshot({ path: path.join(ARTIFACTS, `inbox-${label}.png`) });

      await list.getByRole('link', { name: /Priya Shah/ }).click();
      const thread = page.getByRole('region', { name: 'Priya Shah' });
      await thread.getByText('Hi! Is my order #8812 shipped yet?').waitFor();
      const text = `On its way (${label})`;
      await page.getByLabel('Reply to Priya Shah').fill(text);
      await page.getByRole('button', { name: 'Send' }).click();
      await thread
        .getByText(text)
        .waitFor()
        .catch(async (err: unknown) => {
          await page.screenshot({ path: path.join(ARTIFACTS, `thread-${label}-failed.png`) });
          throw new Error(`${String(err)}\nbrowser errors: ${problems.join('\n')}\n${app.output().slice(-3000)}`);
        });
      await page.screenshot({ path: path.join(ARTIFACTS, `thread-${label}.png`) });
      expect(problems).toEqual([]);

      const sent = await waitFor(
        () => graph.requests.find((r) => (r.body as { text?: { body?: string } }).text?.body === text),
        {
          what: 'the reply at the Graph API',
        },
      );
      expect(sent.body).toMatchObject({ messaging_product: 'whatsapp', to: '+447700900123', type: 'text' });
      await context.close();
    });
  }
});
