/**
 * A manager in the browser (DESIGN §5, issue #5): the dashboard shows an escalated conversation
 * with its Temporal UI link; settings save an SLA policy (with field errors for bad tiers) and a
 * routing rule; the notification centre lists the escalation; an agent is kept out of it all.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Browser } from 'playwright-core';
import { addMember, upsertChannel, upsertTeam, upsertUser } from '../support/factories';
import {
  DESKTOP,
  PHONE,
  horizontalOverflow,
  launchBrowser,
  pageReady,
  screenshot,
  signedInContext,
} from '../support/browser';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { startApp, type RunningApp } from '../support/app-processes';
import { startTestTemporal, uniqueTaskQueue } from '../support/temporal';
import { postWebhook, whatsappTextWebhook } from '../support/webhooks';
import { waitFor } from '../support/wait-for';

const APP_SECRET = 'e2e-manager-secret';
const PHONE_NUMBER_ID = '100000000000091';
const PASSWORD = 'e2e manager password';
const OWNER = { email: 'olivia@e2e.dev', password: PASSWORD };
const AGENT = { email: 'andy@e2e.dev', password: PASSWORD };
const TEMPORAL_UI_URL = 'http://temporal-ui.e2e.test:8233';
const CUSTOMER = { from: '447700900999', name: 'Edith Escalated', text: 'My parcel never arrived and nobody answers!' };

describe('a manager', () => {
  let temporal: TestWorkflowEnvironment;
  let database: TestDatabase;
  let graph: FakeGraph;
  let app: RunningApp;
  let browser: Browser;
  let supportId: string;
  let conversation: { id: string; workflow_id: string };

  beforeAll(async () => {
    [temporal, database, graph, browser] = await Promise.all([
      startTestTemporal(),
      createTestDatabase(),
      startFakeGraph(),
      launchBrowser(),
    ]);
    const db = database.db;
    supportId = await upsertTeam(db, 'Support');
    await upsertUser(db, { email: OWNER.email, name: 'Olivia Owner', role: 'owner', password: PASSWORD });
    await addMember(
      db,
      supportId,
      await upsertUser(db, { email: AGENT.email, name: 'Andy Agent', role: 'agent', password: PASSWORD }),
    );
    await upsertChannel(db, {
      kind: 'whatsapp',
      name: 'Store WhatsApp',
      externalId: PHONE_NUMBER_ID,
      accessToken: 'e2e-manager-token',
      defaultTeamId: supportId,
    });
    app = await startApp({
      databaseUrl: database.url,
      temporalAddress: temporal.connection.options.address,
      taskQueue: uniqueTaskQueue('e2e-manager'),
      graphBaseUrl: graph.url,
      appSecret: APP_SECRET,
      verifyToken: 'e2e-verify',
      // Tiers in seconds, so the unanswered customer reaches the escalation lane during the test.
      extraEnv: { SLA_DEFAULT_TIERS: '2s,4s,6s', TEMPORAL_UI_URL },
    });
    const res = await postWebhook(
      app.baseUrl,
      whatsappTextWebhook({ ...CUSTOMER, phoneNumberId: PHONE_NUMBER_ID, id: 'wamid.e2e-manager-1' }),
      APP_SECRET,
    );
    expect(res.status).toBe(200);
    conversation = await waitFor(
      () => db('conversations').where('escalation_level', '>=', 2).first('id', 'workflow_id'),
      { what: 'the conversation in the escalation lane', timeoutMs: 40_000 },
    );
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
    it(`sees the escalated conversation on the dashboard with its Temporal UI link (${label})`, async () => {
      const { context, page, problems } = await signedInContext(browser, app.baseUrl, OWNER, viewport);
      if (label === 'phone') {
        await page.goto(`${app.baseUrl}/inbox`);
        await pageReady(page);
        await page.getByRole('navigation', { name: 'Tabs' }).getByRole('link', { name: 'Dashboard' }).click();
      } else {
        await page.goto(`${app.baseUrl}/dashboard`);
        await pageReady(page);
      }
      await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
      const lane = page.getByRole('region', { name: 'Escalation lane' });
      await lane.getByRole('link', { name: CUSTOMER.name, exact: true }).waitFor();
      const temporalLink = lane.getByRole('link', { name: `Open ${CUSTOMER.name} in Temporal UI` });
      await expect(temporalLink.getAttribute('href')).resolves.toBe(
        `${TEMPORAL_UI_URL}/namespaces/default/workflows/${encodeURIComponent(conversation.workflow_id)}`,
      );
      const health = page.getByRole('region', { name: 'Queue health' });
      await expect(health.getByRole('row', { name: /Support/ }).textContent()).resolves.toMatch(/Support\s*1\s*1\s*1/);
      await screenshot(page, `manager-dashboard-${label}`);

      // The lane's conversation opens with the same Temporal UI link in its details.
      await lane.getByRole('link', { name: CUSTOMER.name, exact: true }).click();
      await page.getByRole('region', { name: CUSTOMER.name }).getByText(CUSTOMER.text, { exact: true }).waitFor();
      if (label === 'desktop') await page.getByRole('button', { name: 'Details' }).click();
      else await page.getByRole('button', { name: 'Actions', exact: true }).click();
      const link = page.getByRole('link', { name: 'Open in Temporal UI' });
      await expect(link.getAttribute('href')).resolves.toContain(encodeURIComponent(conversation.workflow_id));
      await screenshot(page, `manager-thread-${label}`);
      // Nothing sticks out sideways on a phone (the page never scrolls horizontally).
      if (label === 'phone') await expect(horizontalOverflow(page)).resolves.toEqual([]);
      expect(problems).toEqual([]);
      await context.close();
    });
  }

  it('saves an SLA policy, with errors next to the fields for tiers out of order', async () => {
    const { context, page, problems } = await signedInContext(browser, app.baseUrl, OWNER, DESKTOP);
    await page.goto(`${app.baseUrl}/settings/sla`);
    await pageReady(page);
    const support = page.getByRole('group', { name: 'Support tiers' });
    await support.getByRole('spinbutton', { name: 'Standard tier (minutes)' }).fill('10');
    await support.getByRole('spinbutton', { name: 'Priority tier (minutes)' }).fill('5');
    await support.getByRole('spinbutton', { name: 'Manager tier (minutes)' }).fill('30');
    await page.getByRole('button', { name: 'Save Support policy' }).click();
    await page.getByText('Must be later than the standard tier').waitFor();
    await expect(
      support.getByRole('spinbutton', { name: 'Priority tier (minutes)' }).getAttribute('aria-invalid'),
    ).resolves.toBe('true');
    await screenshot(page, 'manager-sla-error-desktop');

    await support.getByRole('spinbutton', { name: 'Priority tier (minutes)' }).fill('20');
    await page.getByRole('button', { name: 'Save Support policy' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    await expect(database.db('sla_policies').where({ team_id: supportId }).first()).resolves.toMatchObject({
      standard_seconds: 600,
      priority_seconds: 1200,
      manager_seconds: 1800,
      requeue_at_priority: false,
    });
    await expect(
      database.db('audit_log').where({ action: 'sla_policy.update', target_id: supportId }).count('* as n').first(),
    ).resolves.toMatchObject({ n: '1' });
    await screenshot(page, 'manager-sla-desktop');
    // The 400 of the refused first try is the expected answer to a bad form.
    expect(problems.filter((p) => !p.startsWith('HTTP 400'))).toEqual([]);
    await context.close();
  });

  it('adds a routing rule with a team picker and lists the escalation in the notification centre', async () => {
    const { context, page, problems } = await signedInContext(browser, app.baseUrl, OWNER, DESKTOP);
    await page.goto(`${app.baseUrl}/settings/routing`);
    await pageReady(page);
    const form = page.getByRole('region', { name: 'Add a rule' });
    await form.getByRole('textbox', { name: 'Rule name' }).fill('Pricing to Support');
    await form.getByRole('combobox', { name: 'Match on' }).selectOption('keyword');
    await form.getByRole('textbox', { name: 'Keywords (comma-separated)' }).fill('price, quote');
    await form.getByRole('combobox', { name: 'Routing workflow' }).selectOption('least-loaded');
    await form.getByRole('combobox', { name: 'Team' }).selectOption(supportId);
    await form.getByRole('button', { name: 'Add rule' }).click();
    await page.getByRole('region', { name: 'Rules in order' }).getByText('Pricing to Support').waitFor();
    await expect(database.db('routing_rules').first()).resolves.toMatchObject({
      name: 'Pricing to Support',
      match_kind: 'keyword',
      match_value: 'price, quote',
      routing_workflow: 'least-loaded',
      params: { teamId: supportId },
      enabled: true,
    });
    await screenshot(page, 'manager-routing-desktop');

    for (const section of ['teams', 'users', 'channels', 'canned', 'ai']) {
      await page.goto(`${app.baseUrl}/settings/${section}`);
      await pageReady(page);
      await page.getByRole('heading', { level: 1 }).waitFor();
      await screenshot(page, `manager-settings-${section}-desktop`);
    }

    // Managers hear the manager tier (DESIGN §3): the notification centre lists it.
    await page.goto(`${app.baseUrl}/alerts`);
    await pageReady(page);
    await waitFor(
      async () => {
        await page.reload();
        return (
          (await page
            .getByRole('region', { name: 'Notifications' })
            .getByText(/SLA manager tier/)
            .count()) > 0
        );
      },
      { what: 'the manager-tier alert', timeoutMs: 20_000 },
    );
    await screenshot(page, 'manager-alerts-desktop');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('is an installable app with an offline page on a phone', async () => {
    const { context, page, problems } = await signedInContext(browser, app.baseUrl, AGENT, PHONE);
    await page.goto(`${app.baseUrl}/inbox`);
    await pageReady(page);
    const manifestHref = await page.locator('link[rel="manifest"]').getAttribute('href');
    const manifest = (await (await fetch(`${app.baseUrl}${manifestHref}`)).json()) as {
      display: string;
      theme_color: string;
      start_url: string;
      icons: Array<{ src: string; sizes: string; purpose: string }>;
    };
    expect(manifest).toMatchObject({ display: 'standalone', theme_color: '#0f5c4d', start_url: '/inbox' });
    for (const [sizes, purpose] of [
      ['192x192', 'any'],
      ['512x512', 'any'],
      ['192x192', 'maskable'],
      ['512x512', 'maskable'],
    ]) {
      const icon = manifest.icons.find((i) => i.sizes === sizes && i.purpose === purpose);
      expect(icon).toBeDefined();
      const res = await fetch(`${app.baseUrl}${icon!.src}`);
      expect([res.status, res.headers.get('content-type')]).toEqual([200, 'image/png']);
    }
    // The service worker takes control, and keeps an offline page for when the network is gone.
    await expect(
      page.evaluate(() => navigator.serviceWorker.ready.then((r) => r.active?.scriptURL ?? null)),
    ).resolves.toBe(`${app.baseUrl}/sw.js`);
    await page.reload();
    await context.setOffline(true);
    await page.goto(`${app.baseUrl}/inbox/mine`).catch(() => undefined);
    await page.getByRole('heading', { name: 'You are offline' }).waitFor();
    await screenshot(page, 'offline-phone');
    await context.setOffline(false);
    expect(problems.filter((p) => !/ERR_INTERNET_DISCONNECTED/.test(p))).toEqual([]);
    await context.close();
  });

  it('keeps an agent out of the dashboard and settings', async () => {
    const { context, page } = await signedInContext(browser, app.baseUrl, AGENT, PHONE);
    for (const path of ['/dashboard', '/settings/sla']) {
      const res = await page.goto(`${app.baseUrl}${path}`);
      expect(res?.status()).toBe(403);
      await page.getByRole('heading', { name: 'Only owners and admins can open this page' }).waitFor();
    }
    // An agent's fourth tab is Contacts, not Dashboard.
    const tabs = page.getByRole('navigation', { name: 'Tabs' });
    await expect(tabs.getByRole('link', { name: 'Dashboard' }).count()).resolves.toBe(0);
    await tabs.getByRole('link', { name: 'Contacts' }).click();
    await page
      .getByRole('region', { name: 'Customers' })
      .getByRole('link', { name: CUSTOMER.name, exact: true })
      .waitFor();
    await screenshot(page, 'agent-contacts-phone');
    await page.getByRole('navigation', { name: 'Tabs' }).getByRole('link', { name: 'Me' }).click();
    await page.getByRole('heading', { name: 'Me', level: 1 }).waitFor();
    await page.getByRole('radio', { name: /Away/ }).check();
    await page.getByRole('button', { name: 'Save availability' }).click();
    await page.getByRole('status').filter({ hasText: 'You are away' }).waitFor();
    await expect(database.db('users').where({ email: AGENT.email }).first()).resolves.toMatchObject({
      availability: 'away',
    });
    await screenshot(page, 'agent-me-phone');
    await context.close();
  });

  it('assigns the escalated conversation to an agent from the thread', async () => {
    const { context, page, problems } = await signedInContext(browser, app.baseUrl, OWNER, DESKTOP);
    await page.goto(`${app.baseUrl}/inbox/escalated/${conversation.id}`);
    await pageReady(page);
    await page.getByRole('region', { name: CUSTOMER.name }).getByText(CUSTOMER.text, { exact: true }).waitFor();
    await page.getByRole('group', { name: 'Conversation actions' }).getByRole('button', { name: 'Assign…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Assign conversation' });
    const andy = (await database.db('users').where({ email: AGENT.email }).first('id')).id as string;
    await dialog.getByRole('combobox', { name: 'Person' }).selectOption(andy);
    await screenshot(page, 'manager-assign-desktop');
    await dialog.getByRole('button', { name: 'Assign', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByText('Owner: Andy Agent').waitFor();
    await expect(database.db('conversations').where({ id: conversation.id }).first()).resolves.toMatchObject({
      assignee_id: andy,
    });
    expect(problems).toEqual([]);
    await context.close();
  });
});
