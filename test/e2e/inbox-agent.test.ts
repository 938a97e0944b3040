/**
 * An agent's day in the browser, at desktop and phone widths (DESIGN §5, issue #5): only their
 * teams' queues, claim, reply, private note, tag, resolve; the reply reaches the (fake) Graph API
 * and the note never does. A teammate's browser sees the claim, the reply and a handover toast
 * live, without reloading.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import type { Browser, Locator, Page } from 'playwright-core';
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

const APP_SECRET = 'e2e-agent-secret';
const SUPPORT_NUMBER_ID = '100000000000081';
const SALES_NUMBER_ID = '100000000000082';
const PASSWORD = 'e2e agent password';
const ADA = { email: 'ada@e2e.dev', password: PASSWORD };
const BEN = { email: 'ben@e2e.dev', password: PASSWORD };

const CUSTOMERS = {
  desktop: { from: '447700900123', name: 'Priya Shah', text: 'Hi! Is my order #8812 shipped yet?' },
  phone: { from: '212600000002', name: 'Leila Haddad', text: 'Bonjour, can I change my delivery address?' },
  live: { from: '447700900555', name: 'Omar Live', text: 'Is anyone there? I need help with a refund.' },
  sales: { from: '447700900777', name: 'Quentin Quote', text: 'I want a quote for 50 units.' },
  long: { from: '447700900888', name: 'Tessa Thousands', text: 'Me again, about everything.' },
  // Wrote 25 hours ago: WhatsApp's 24-hour window has closed (WIRE.md §3.1).
  old: { from: '447700900444', name: 'Walter Window', text: 'Any news on my order?', hoursAgo: 25 },
} as const;

describe('an agent in the inbox', () => {
  let temporal: TestWorkflowEnvironment;
  let database: TestDatabase;
  let graph: FakeGraph;
  let app: RunningApp;
  let browser: Browser;
  const conversationIds: Record<string, string> = {};

  beforeAll(async () => {
    [temporal, database, graph, browser] = await Promise.all([
      startTestTemporal(),
      createTestDatabase(),
      startFakeGraph(),
      launchBrowser(),
    ]);
    const db = database.db;
    const support = await upsertTeam(db, 'Support');
    const sales = await upsertTeam(db, 'Sales');
    const user = (email: string, name: string) => upsertUser(db, { email, name, role: 'agent', password: PASSWORD });
    await addMember(db, support, await user(ADA.email, 'Ada Agent'));
    await addMember(db, support, await user(BEN.email, 'Ben Teammate'));
    await addMember(db, sales, await user('sam@e2e.dev', 'Sam Sales'));
    await upsertChannel(db, {
      kind: 'whatsapp',
      name: 'Support line',
      externalId: SUPPORT_NUMBER_ID,
      accessToken: 'e2e-support-token',
      defaultTeamId: support,
    });
    await upsertChannel(db, {
      kind: 'whatsapp',
      name: 'Sales line',
      externalId: SALES_NUMBER_ID,
      accessToken: 'e2e-sales-token',
      defaultTeamId: sales,
    });
    await db('canned_responses').insert({ title: 'Thanks', body: 'Thanks {{name}}, we are on it!', team_id: null });
    const supportChannel = await db('channels').where({ external_id: SUPPORT_NUMBER_ID }).first('id');
    await db('message_templates').insert({
      channel_id: supportChannel.id,
      name: 'order_update',
      language: 'en',
      category: 'UTILITY',
      status: 'APPROVED',
      components: JSON.stringify([{ type: 'BODY', text: 'Update on your order: {{1}}' }]),
      parameter_count: 1,
    });
    app = await startApp({
      databaseUrl: database.url,
      temporalAddress: temporal.connection.options.address,
      taskQueue: uniqueTaskQueue('e2e-agent'),
      graphBaseUrl: graph.url,
      appSecret: APP_SECRET,
      verifyToken: 'e2e-verify',
    });
    for (const [key, c] of Object.entries(CUSTOMERS)) {
      const res = await postWebhook(
        app.baseUrl,
        whatsappTextWebhook({
          ...c,
          phoneNumberId: key === 'sales' ? SALES_NUMBER_ID : SUPPORT_NUMBER_ID,
          id: `wamid.e2e-agent-${key}`,
          ...('hoursAgo' in c && { timestamp: Math.floor(Date.now() / 1000) - c.hoursAgo * 3600 }),
        }),
        APP_SECRET,
      );
      expect(res.status).toBe(200);
    }
    // The AI fallback hands each over; routing queues it in its channel's team.
    await waitFor(
      async () => {
        const rows = await db('conversations as cv')
          .join('contacts as ct', 'ct.id', 'cv.contact_id')
          .where('cv.status', 'queued')
          .whereNotNull('cv.team_id')
          .select('cv.id', 'ct.display_name');
        for (const r of rows) conversationIds[r.display_name] = r.id;
        return rows.length === Object.keys(CUSTOMERS).length;
      },
      { what: 'every conversation queued in its team', timeoutMs: 30_000 },
    );
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await graph?.close();
    await database?.drop();
    await temporal?.teardown();
  });

  const row = (id: string) => database.db('conversations').where({ id }).first();

  for (const [label, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    it(`lets an agent claim, reply, note, tag and resolve from their team queue (${label})`, async () => {
      const customer = CUSTOMERS[label];
      const id = conversationIds[customer.name]!;
      const { context, page, problems } = await signedInContext(browser, app.baseUrl, ADA, viewport);
      const fail = failWith(page, label, problems, app);

      await page.goto(`${app.baseUrl}/inbox`);
      await pageReady(page);
      await page.waitForURL(/\/inbox\/unassigned/);
      // Only their teams' queues: Support, not Sales, and no "All" (that is for owners and admins).
      const queues = page.getByRole('navigation', { name: 'Queues' });
      await queues.getByRole('link', { name: /^Support/ }).waitFor();
      await expect(queues.getByRole('link', { name: /^Sales/ }).count()).resolves.toBe(0);
      await expect(queues.getByRole('link', { name: /^All/ }).count()).resolves.toBe(0);
      const list = page.getByRole('region', { name: 'Conversations' });
      await list.getByRole('link', { name: new RegExp(customer.name) }).waitFor();
      await expect(list.getByRole('link', { name: /Quentin Quote/ }).count()).resolves.toBe(0);
      await screenshot(page, `agent-inbox-${label}`);

      await list.getByRole('link', { name: new RegExp(customer.name) }).click();
      const transcript = page.getByRole('region', { name: customer.name });
      await transcript.getByText(customer.text, { exact: true }).waitFor().catch(fail);

      // Claim: from the header toolbar on desktop, from the bottom sheet on a phone.
      const actions =
        label === 'phone' ? await openSheet(page) : page.getByRole('group', { name: 'Conversation actions' });
      await actions.getByRole('button', { name: 'Claim' }).click();
      await waitFor(async () => (await row(id))?.assignee_id !== null, { what: 'the claim in the projection' });
      await actions.getByRole('button', { name: 'Claim' }).waitFor({ state: 'detached' }).catch(fail);
      if (label === 'phone')
        await page.getByRole('dialog', { name: 'Actions' }).getByRole('button', { name: 'Close' }).click();
      else await page.getByText('Owner: Ada Agent').waitFor();

      // A canned response fills the reply; the agent edits and sends it.
      await page.getByRole('combobox', { name: 'Insert a canned response' }).selectOption({ label: 'Thanks' });
      const replyBox = page.getByRole('textbox', { name: `Reply to ${customer.name}` });
      await expect(replyBox.inputValue()).resolves.toBe(`Thanks ${customer.name.split(' ')[0]}, we are on it!`);
      const reply = `It ships tomorrow (${label})`;
      await replyBox.fill(reply);
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      await transcript.getByText(reply, { exact: true }).waitFor().catch(fail);

      // A private note: set apart in the thread, never sent.
      const note = `Customer is VIP, double-check the courier (${label})`;
      await page.getByRole('radio', { name: 'Note' }).click();
      await page.getByRole('textbox', { name: `Private note on ${customer.name}` }).fill(note);
      await page.getByRole('button', { name: 'Add note' }).click();
      const noteItem = transcript.getByRole('listitem').filter({ hasText: note });
      await noteItem.waitFor().catch(fail);
      await expect(noteItem.textContent()).resolves.toContain('Private note — never sent');
      await screenshot(page, `agent-thread-${label}`);
      await expect(horizontalOverflow(page)).resolves.toEqual([]);

      // Tag: in the details panel on desktop, in the bottom sheet on a phone.
      const tagArea =
        label === 'phone'
          ? await openSheet(page)
          : await (async () => {
              await page.getByRole('button', { name: 'Details' }).click();
              return page.getByRole('complementary', { name: 'Details' });
            })();
      await tagArea.getByRole('textbox', { name: 'New tag' }).fill('cod');
      await tagArea.getByRole('button', { name: 'Add tag' }).click();
      await tagArea.getByRole('list', { name: 'Conversation tags' }).getByText('cod').waitFor().catch(fail);
      await expect(row(id).then((r) => r.tags)).resolves.toEqual(['cod']);
      await screenshot(page, label === 'phone' ? 'agent-actions-sheet-phone' : 'agent-details-desktop');

      // Snooze for an hour (desktop), then resolve.
      if (label === 'desktop') {
        await page
          .getByRole('group', { name: 'Conversation actions' })
          .getByRole('button', { name: 'Snooze…' })
          .click();
        const snooze = page.getByRole('dialog', { name: 'Snooze until' });
        await snooze.getByRole('button', { name: 'In 1 hour' }).click();
        await snooze.waitFor({ state: 'hidden' }).catch(fail);
        await expect(row(id).then((r) => r.status)).resolves.toBe('snoozed');
        const until = (await row(id)).snoozed_until as Date;
        expect(Math.abs(until.getTime() - (Date.now() + 3_600_000))).toBeLessThan(60_000);
      }

      // Resolve.
      const resolveArea = label === 'phone' ? tagArea : page.getByRole('group', { name: 'Conversation actions' });
      if (label === 'desktop') await page.getByRole('button', { name: 'Close details' }).click();
      await resolveArea.getByRole('button', { name: 'Resolve' }).click();
      await resolveArea.getByRole('button', { name: 'Reopen' }).waitFor().catch(fail);
      await expect(row(id).then((r) => r.status)).resolves.toBe('resolved');

      // The reply went to Meta; the note never left the building.
      const sent = await waitFor(
        () => graph.requests.find((r) => (r.body as { text?: { body?: string } }).text?.body === reply),
        { what: 'the reply at the Graph API' },
      );
      expect(sent.body).toMatchObject({ messaging_product: 'whatsapp', to: `+${customer.from}`, type: 'text' });
      expect(graph.requests.filter((r) => r.rawBody.includes('double-check the courier'))).toEqual([]);
      expect(problems).toEqual([]);
      await context.close();
    });
  }

  it('offers only approved templates once the 24-hour window has closed, and sends one', async () => {
    const customer = CUSTOMERS.old;
    const id = conversationIds[customer.name]!;
    const { context, page, problems } = await signedInContext(browser, app.baseUrl, ADA, DESKTOP);
    await page.goto(`${app.baseUrl}/inbox/all/${id}`);
    await pageReady(page);
    await page.getByRole('region', { name: customer.name }).getByText(customer.text, { exact: true }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Window closed: use a template' }).waitFor();
    await expect(page.getByRole('textbox', { name: `Reply to ${customer.name}` }).isDisabled()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Choose a template' }).click();
    const dialog = page.getByRole('dialog', { name: 'Send a template' });
    await dialog.getByRole('textbox', { name: 'Placeholder {{1}}' }).fill('it left the warehouse today');
    await dialog.getByText('Update on your order: it left the warehouse today').waitFor();
    await screenshot(page, 'agent-template-desktop');
    await dialog.getByRole('button', { name: 'Send template' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const sent = await waitFor(
      () => graph.requests.find((r) => (r.body as { type?: string; to?: string }).to === `+${customer.from}`),
      { what: 'the template at the Graph API' },
    );
    expect(sent.body).toMatchObject({
      type: 'template',
      template: {
        name: 'order_update',
        language: { code: 'en' },
        components: [{ type: 'body', parameters: [{ type: 'text', text: 'it left the warehouse today' }] }],
      },
    });
    expect(problems).toEqual([]);
    await context.close();
  });

  it('renders a message that looks like HTML as plain text, running nothing', async () => {
    const text = '<img src=x onerror=alert(1)>';
    expect(
      (
        await postWebhook(
          app.baseUrl,
          whatsappTextWebhook({
            phoneNumberId: SUPPORT_NUMBER_ID,
            from: '447700900666',
            name: 'Xavier Script',
            text,
            id: 'wamid.e2e-xss',
          }),
          APP_SECRET,
        )
      ).status,
    ).toBe(200);
    const conversation = await waitFor(
      async () => {
        const m = await database.db('messages').where({ external_id: 'wamid.e2e-xss' }).first('conversation_id');
        const c = m && (await row(m.conversation_id));
        return c?.team_id ? c : undefined;
      },
      { what: 'the conversation in its team queue' },
    );
    const { context, page, problems } = await signedInContext(browser, app.baseUrl, ADA, DESKTOP);
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`${app.baseUrl}/inbox/all/${conversation.id}`);
    await pageReady(page);
    await page.getByRole('region', { name: 'Xavier Script' }).getByText(text, { exact: true }).waitFor();
    // The list preview shows it as text too.
    await page.goto(`${app.baseUrl}/inbox/all`);
    await pageReady(page);
    await page.getByText(text).first().waitFor();
    await expect(page.locator('img[src="x"]').count()).resolves.toBe(0);
    expect(dialogs).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('keeps a 10,000-message thread usable: the newest page first, "Load earlier" for more', async () => {
    const customer = CUSTOMERS.long;
    const id = conversationIds[customer.name]!;
    const conv = await row(id);
    const firstAt = (
      (await database.db('messages').where({ conversation_id: id }).first('sent_at')).sent_at as Date
    ).getTime();
    // History straight into the projection (a long-running customer), oldest 10,000 ms-steps back.
    for (let batch = 0; batch < 10; batch++) {
      await database.db('messages').insert(
        Array.from({ length: 1000 }, (_, i) => {
          const n = batch * 1000 + i;
          return {
            id: randomUUID(),
            conversation_id: id,
            channel_id: conv.channel_id,
            direction: n % 2 ? 'outbound' : 'inbound',
            author_kind: n % 2 ? 'agent' : 'contact',
            type: 'text',
            body: `History message ${n}`,
            status: n % 2 ? 'read' : 'received',
            sent_at: new Date(firstAt - (10_000 - n) * 60_000),
          };
        }),
      );
    }
    const { context, page, problems } = await signedInContext(browser, app.baseUrl, ADA, DESKTOP);
    const started = Date.now();
    await page.goto(`${app.baseUrl}/inbox/all/${id}`);
    await pageReady(page);
    const messages = page.getByRole('region', { name: customer.name }).getByRole('list', { name: 'Messages' });
    await messages.getByText(customer.text, { exact: true }).waitFor();
    const loadMs = Date.now() - started;
    await expect(messages.locator('li.message').count()).resolves.toBe(50);
    await messages.getByText('History message 9999', { exact: true }).waitFor();
    await messages.getByRole('button', { name: 'Load earlier messages' }).click();
    await messages.getByText('History message 9950', { exact: true }).waitFor();
    await expect(messages.locator('li.message').count()).resolves.toBe(100);
    await expect(page.getByText('History message 9900', { exact: true }).count()).resolves.toBe(0);
    await screenshot(page, 'agent-long-thread-desktop');
    console.log(`10,001-message thread: first page in ${loadMs} ms`);
    expect(loadMs).toBeLessThan(5000);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows a teammate the claim, the reply and a handover toast live, without reloading', async () => {
    const customer = CUSTOMERS.live;
    const id = conversationIds[customer.name]!;
    const url = `${app.baseUrl}/inbox/unassigned/${id}`;
    const ada = await signedInContext(browser, app.baseUrl, ADA, DESKTOP);
    const ben = await signedInContext(browser, app.baseUrl, BEN, DESKTOP);
    const fail = failWith(ben.page, 'live', ben.problems, app);

    await ben.page.goto(url);
    await pageReady(ben.page);
    const benTranscript = ben.page.getByRole('region', { name: customer.name });
    await benTranscript.getByText(customer.text, { exact: true }).waitFor();
    await ben.page.getByRole('img', { name: 'Live updates on' }).waitFor().catch(fail);
    const unassigned = ben.page.getByRole('navigation', { name: 'Queues' }).getByRole('link', { name: /^Unassigned/ });
    const countBefore = Number(await unassigned.getByLabel(/open$/).textContent());
    // A marker that a reload would wipe.
    await ben.page.evaluate(() => Object.assign(window, { kliovoNoReload: true }));

    await ada.page.goto(url);
    await pageReady(ada.page);
    await ada.page.getByRole('group', { name: 'Conversation actions' }).getByRole('button', { name: 'Claim' }).click();
    const claimedAt = Date.now();
    await ben.page.getByText('Owner: Ada Agent').waitFor({ timeout: 5000 }).catch(fail);
    const claimSeenMs = Date.now() - claimedAt;
    await expect(unassigned.getByLabel(/open$/).textContent()).resolves.toBe(String(countBefore - 1));

    const reply = 'Hi Omar, I am looking at your refund now.';
    await ada.page.getByRole('textbox', { name: `Reply to ${customer.name}` }).fill(reply);
    await ada.page.getByRole('button', { name: 'Send', exact: true }).click();
    await ada.page.getByRole('region', { name: customer.name }).getByText(reply, { exact: true }).waitFor();
    const repliedAt = Date.now();
    await benTranscript.getByText(reply, { exact: true }).waitFor({ timeout: 5000 }).catch(fail);
    const replySeenMs = Date.now() - repliedAt;

    // Ada hands it over to Ben: Ben gets a toast in the live region and his Alerts count rises.
    await ada.page.getByRole('button', { name: 'Hand over…' }).click();
    const dialog = ada.page.getByRole('dialog', { name: 'Hand over' });
    const benId = (await database.db('users').where({ email: BEN.email }).first('id')).id as string;
    await dialog.getByRole('combobox', { name: 'Agent' }).selectOption(benId);
    await dialog.getByRole('textbox', { name: 'Reason (required)' }).fill('Ben handles refunds');
    await dialog.getByRole('button', { name: 'Hand over', exact: true }).click();
    const toast = ben.page.getByRole('region', { name: 'Live alerts' }).getByRole('listitem');
    await toast.first().waitFor({ timeout: 5000 }).catch(fail);
    await expect(toast.first().textContent()).resolves.toMatch(/handed over/i);
    await ben.page.getByText('Owner: Ben Teammate').waitFor({ timeout: 5000 }).catch(fail);
    await screenshot(ben.page, 'live-teammate-desktop');

    await expect(ben.page.evaluate(() => (window as { kliovoNoReload?: boolean }).kliovoNoReload)).resolves.toBe(true);
    // DESIGN §5: within a second. Measured including the browser's own work; reported, and held to 2 s.
    console.log(`live: claim seen after ${claimSeenMs} ms, reply seen after ${replySeenMs} ms`);
    expect(claimSeenMs).toBeLessThan(2000);
    expect(replySeenMs).toBeLessThan(2000);
    expect(ben.problems).toEqual([]);
    expect(ada.problems).toEqual([]);
    await ada.context.close();
    await ben.context.close();
  });
});

/** Opens the thread's bottom sheet (phone) and returns it. */
async function openSheet(page: Page): Promise<Locator> {
  const sheet = page.getByRole('dialog', { name: 'Actions' });
  if (!(await sheet.isVisible())) await page.getByRole('button', { name: 'Actions', exact: true }).click();
  await sheet.waitFor();
  return sheet;
}

/** Turns a timed-out wait into a failure with a screenshot, browser problems and server logs. */
function failWith(page: Page, label: string, problems: string[], app: RunningApp) {
  return async (err: unknown): Promise<never> => {
    await screenshot(page, `failed-${label}`).catch(() => undefined);
    throw new Error(`${String(err)}\nbrowser problems: ${problems.join('\n')}\n${app.output().slice(-3000)}`);
  };
}
