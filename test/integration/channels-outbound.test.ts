/**
 * The outbound half of the channels issue on real parts (Temporal, Postgres, the worker's real
 * activities) against the fake Graph API: the 24-hour window enforced before anything is written,
 * template replies in the documented body, provider refusals as failed messages without retries,
 * throughput refusals retried and sent once, HUMAN_AGENT tagging on Messenger, the send-time window
 * re-check, template sync from Meta's paged list through /api/v1/channels, and agents' WhatsApp
 * alerts on handover.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import express from 'express';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import pino from 'pino';
import { randomUUID } from 'node:crypto';
import { createChannelRegistry } from '../../activities/channels/registry';
import { createSendActivities } from '../../activities/channels/send.activities';
import { errorMiddleware } from '../../api/http/error-middleware';
import { actorResolver } from '../../api/routes/v1/actor';
import { createChannelsRouter } from '../../api/routes/v1/channels.router';
import { deliverInbound } from '../../api/temporal';
import { createAuthService } from '../../api/services/auth.service';
import { createChannelsService } from '../../api/services/channels.service';
import { handoverSignal, replyUpdate, stateQuery, type ReplyInput } from '../../workflows/conversation/contract';
import { ErrorType } from '../../workflows/shared/errors';
import type { FakeGraphRequest } from '../support/fake-graph';
import { upsertChannel, upsertUser } from '../support/factories';
import { waitFor } from '../support/wait-for';
import { ACCESS_TOKEN, addAgent, startWorkflowStack, upsertTeam, type WorkflowStack } from '../support/workflow-stack';

const HOUR = 3_600_000;
const PASSWORD = 'outbound-password';

/** The fields of a send these tests look at (WhatsApp §2.2 and Messenger §4.4 bodies). */
interface SentBody {
  to?: string;
  recipient?: { id?: string };
  text?: { body?: string };
  template?: { name?: string };
}
const body = (r: FakeGraphRequest) => (r.body ?? {}) as SentBody;

describe('outbound messages', () => {
  let stack: WorkflowStack;
  let agentId: string;
  let contactCounter = 0;

  /** A fresh customer per test, so sends and failures never mix. */
  const nextContact = () => `4477009${String(++contactCounter).padStart(5, '0')}`;

  const sendsTo = (to: string) =>
    stack.graph.requests.filter((r) => r.operation === 'send' && (body(r).to === to || body(r).recipient?.id === to));

  async function openConversation(contactKey: string, sentAt = Date.now()) {
    const handle = await stack.deliver(contactKey, 'Hello, is my order shipped?', { sentAt });
    // The customer's message is projected (last_inbound_at), not only the conversation opened.
    const row = await waitFor(
      async () => {
        const r = await stack.conversationRow(contactKey);
        return r?.last_inbound_at ? r : undefined;
      },
      { what: 'the conversation row with its first message' },
    );
    await waitFor(async () => (await handle.query(stateQuery)).conversationId === row.id, { what: 'the opened state' });
    return { handle, row };
  }

  const reply = (
    handle: Awaited<ReturnType<typeof openConversation>>['handle'],
    input: Omit<ReplyInput, 'authorUserId'>,
  ) => handle.executeUpdate(replyUpdate, { args: [{ authorUserId: agentId, ...input } as ReplyInput] });

  beforeAll(async () => {
    stack = await startWorkflowStack({ ai: 'off', historyPrefix: 'channels-outbound' });
    agentId = await addAgent(stack, { name: 'Ada Agent', teamId: stack.supportTeamId });
    // The stack's number has synced templates: a template must be listed APPROVED to be sent.
    await stack.database.db('message_templates').insert(
      [
        { name: 'order_update', body: 'Update on your order: {{1}}', count: 1 },
        { name: 'agent_alert', body: 'Kliovo Inbox: {{1}}. {{2}}', count: 2 },
      ].map((t) => ({
        channel_id: stack.channelId,
        name: t.name,
        language: 'en',
        category: 'UTILITY',
        status: 'APPROVED',
        components: JSON.stringify([{ type: 'BODY', text: t.body }]),
        parameter_count: t.count,
      })),
    );
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('sends a reply inside the 24-hour window to the Graph API', async () => {
    const contact = nextContact();
    const { handle } = await openConversation(contact, Date.now() - 23 * HOUR);
    expect((await handle.query(stateQuery)).replyWindow).toMatchObject({ freeForm: true, templatesOnly: false });

    const result = await reply(handle, { text: 'Yes, it left this morning.' });

    expect(result.status).toBe('sent');
    const [sent] = sendsTo(`+${contact}`);
    expect(body(sent!)).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: `+${contact}`,
      type: 'text',
      text: { preview_url: false, body: 'Yes, it left this morning.' },
      biz_opaque_callback_data: result.messageId,
    });
  });

  it('rejects a free-form reply 25 hours after the customer wrote, writing nothing, and sends a template instead', async () => {
    const contact = nextContact();
    const lastInboundAt = Date.now() - 25 * HOUR;
    const { handle, row } = await openConversation(contact, lastInboundAt);
    const view = await handle.query(stateQuery);
    expect(view.replyWindow).toEqual({ freeForm: false, closesAt: lastInboundAt + 24 * HOUR, templatesOnly: true });

    const attempt = reply(handle, { text: 'Sorry for the wait!' });
    await expect(attempt).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    await expect(attempt).rejects.toMatchObject({
      cause: {
        type: ErrorType.ReplyWindowClosed,
        message: `The 24-hour WhatsApp window closed at ${new Date(lastInboundAt + 24 * HOUR).toISOString()}; send an approved template instead`,
      },
    });
    expect(sendsTo(`+${contact}`)).toHaveLength(0);
    const outbound = () => stack.database.db('messages').where({ conversation_id: row.id, direction: 'outbound' });
    expect(await outbound()).toHaveLength(0);
    const updates = (await handle.fetchHistory()).events?.filter(
      (e) => e.workflowExecutionUpdateAcceptedEventAttributes,
    );
    expect(updates).toHaveLength(0);

    const result = await reply(handle, {
      template: { name: 'order_update', language: 'en', parameters: ['#8812 left the warehouse'] },
    });

    expect(result.status).toBe('sent');
    const [sent] = sendsTo(`+${contact}`);
    // WIRE.md §2.2's template body, key for key.
    expect(body(sent!)).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: `+${contact}`,
      type: 'template',
      template: {
        name: 'order_update',
        language: { code: 'en' },
        components: [{ type: 'body', parameters: [{ type: 'text', text: '#8812 left the warehouse' }] }],
      },
      biz_opaque_callback_data: result.messageId,
    });
    const [stored] = await outbound();
    expect(stored).toMatchObject({
      type: 'template',
      status: 'sent',
      external_id: result.externalId,
      // The thread shows what the customer read, filled in from the synced template.
      body: 'Update on your order: #8812 left the warehouse',
      content: { type: 'template', name: 'order_update', language: 'en', parameters: ['#8812 left the warehouse'] },
    });
  });

  it('refuses a template the synced list does not have, before any request', async () => {
    const contact = nextContact();
    const { handle } = await openConversation(contact);

    const result = await reply(handle, { template: { name: 'spring_sale', language: 'en', parameters: [] } });

    expect(result).toMatchObject({
      status: 'failed',
      error: 'The template spring_sale (en) does not exist in this language.',
    });
    expect(sendsTo(`+${contact}`)).toHaveLength(0);
  });

  it.each([
    [
      131047,
      { text: 'Hello again' },
      'More than 24 hours since the customer last wrote: only an approved template can be sent.',
    ],
    [
      131026,
      { text: 'Hello again' },
      'WhatsApp could not deliver to this customer (not on WhatsApp, old app or blocked).',
    ],
    [
      132001,
      { template: { name: 'order_update', language: 'en', parameters: ['#8812'] } },
      'The template does not exist in this language or is not approved.',
    ],
  ] as const)(
    'shows a %s refusal as a failed message with its reason, without retrying',
    async (code, input, reason) => {
      const contact = nextContact();
      const { handle } = await openConversation(contact);
      stack.graph.failNext(1, { httpStatus: code === 132001 ? 404 : 400, code, message: `refused with ${code}` });

      const result = await reply(handle, input as Omit<ReplyInput, 'authorUserId'>);

      expect(result).toMatchObject({ status: 'failed', error: reason });
      const stored = await stack.database.db('messages').where({ id: result.messageId }).first();
      expect(stored).toMatchObject({ status: 'failed', error_code: code, error_reason: reason, external_id: null });
      expect(sendsTo(`+${contact}`)).toHaveLength(1);
    },
  );

  it('retries a throughput refusal (130429) and sends the message once', async () => {
    const contact = nextContact();
    const { handle } = await openConversation(contact);
    stack.graph.failNext(1, { httpStatus: 400, code: 130429, message: 'Rate limit hit' });

    const result = await reply(handle, { text: 'Your refund is on its way.' });

    expect(result.status).toBe('sent');
    const sends = sendsTo(`+${contact}`);
    expect(sends).toHaveLength(2);
    expect(sends.every((s) => body(s).text?.body === 'Your refund is on its way.')).toBe(true);
    const stored = await stack.database.db('messages').where({ id: result.messageId }).first();
    expect(stored).toMatchObject({ status: 'sent', external_id: result.externalId });
  });

  it('tags a Messenger reply HUMAN_AGENT between 24 hours and 7 days, and refuses one after 7 days', async () => {
    const pageId = `3000${Date.now()}`;
    const messengerId = await upsertChannel(stack.database.db, {
      kind: 'messenger',
      name: 'Stack page',
      externalId: pageId,
      accessToken: ACCESS_TOKEN,
      defaultTeamId: stack.supportTeamId,
    });
    const deliver = async (psid: string, sentAt: number) => {
      const workflowId = await deliverInbound(stack.client, {
        taskQueue: stack.taskQueue,
        channel: { id: messengerId, kind: 'messenger' },
        message: {
          externalId: `m_${psid}_${sentAt}`,
          sentAt,
          contact: { key: psid },
          content: { type: 'text', text: 'Any news on my refund?' },
        },
      });
      const handle = stack.client.workflow.getHandle(workflowId);
      await waitFor(async () => (await handle.query(stateQuery)).conversationId, {
        what: 'the Messenger conversation',
      });
      return handle;
    };

    const tagged = await deliver('6254419087700001', Date.now() - 2 * 24 * HOUR);
    expect((await tagged.query(stateQuery)).replyWindow).toMatchObject({ freeForm: true, tag: 'HUMAN_AGENT' });
    const result = await tagged.executeUpdate(replyUpdate, {
      args: [{ authorUserId: agentId, text: 'Your refund was approved today.' }],
    });
    expect(result.status).toBe('sent');
    const [sent] = sendsTo('6254419087700001');
    expect(sent!.path).toBe(`/v25.0/${pageId}/messages`);
    expect(body(sent!)).toEqual({
      recipient: { id: '6254419087700001' },
      messaging_type: 'MESSAGE_TAG',
      tag: 'HUMAN_AGENT',
      message: { text: 'Your refund was approved today.', metadata: result.messageId },
    });

    const closed = await deliver('6254419087700002', Date.now() - 8 * 24 * HOUR);
    const attempt = closed.executeUpdate(replyUpdate, { args: [{ authorUserId: agentId, text: 'Hello?' }] });
    await expect(attempt).rejects.toMatchObject({ cause: { type: ErrorType.ReplyWindowClosed } });
    expect(sendsTo('6254419087700002')).toHaveLength(0);
  });

  it('re-checks the window at send time, and never sends a stored message twice', async () => {
    const contact = nextContact();
    const { row } = await openConversation(contact, Date.now() - 23 * HOUR - 59 * 60_000);
    const db = stack.database.db;
    const messageId = randomUUID();
    await db('messages').insert({
      id: messageId,
      conversation_id: row.id,
      channel_id: stack.channelId,
      direction: 'outbound',
      author_kind: 'agent',
      type: 'text',
      body: 'Queued for a long time',
      content: JSON.stringify({ type: 'text', text: 'Queued for a long time' }),
      status: 'pending',
      sent_at: new Date(),
    });
    const channels = createChannelRegistry({ graphBaseUrl: stack.graph.url, graphVersion: 'v25.0' });
    // Two minutes later the 24-hour window has closed under the queued message.
    const late = createSendActivities({ db, channels, clock: () => Date.now() + 2 * 60_000 });
    const refusal = await late.sendChannelMessage({ messageId }).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(ApplicationFailure);
    expect(refusal).toMatchObject({ type: ErrorType.ReplyWindowClosed, nonRetryable: true });
    expect((refusal as Error).message).toMatch(/^The 24-hour WhatsApp window closed at /);
    expect(sendsTo(`+${contact}`)).toHaveLength(0);

    const inTime = createSendActivities({ db, channels });
    const first = await inTime.sendChannelMessage({ messageId });
    const again = await inTime.sendChannelMessage({ messageId });
    expect(again).toEqual(first);
    expect(sendsTo(`+${contact}`)).toHaveLength(1);
  });

  it('lets only one of two attempts in flight at once send a message, and a crashed attempt’s claim lapse', async () => {
    const contact = nextContact();
    const { row } = await openConversation(contact);
    const db = stack.database.db;
    const storeReply = async (text: string) => {
      const id = randomUUID();
      await db('messages').insert({
        id,
        conversation_id: row.id,
        channel_id: stack.channelId,
        direction: 'outbound',
        author_kind: 'agent',
        type: 'text',
        body: text,
        content: JSON.stringify({ type: 'text', text }),
        status: 'pending',
        sent_at: new Date(),
      });
      return id;
    };
    // The first attempt is held just before the provider call, as a timed-out attempt still waiting
    // on the Graph API is, while Temporal runs the next one.
    const channels = createChannelRegistry({ graphBaseUrl: stack.graph.url, graphVersion: 'v25.0' });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const whatsapp = channels.whatsapp!;
    const slow = createSendActivities({
      db,
      channels: {
        ...channels,
        whatsapp: { ...whatsapp, send: async (...args) => (await held, whatsapp.send(...args)) },
      },
    });
    const fast = createSendActivities({ db, channels });

    const messageId = await storeReply('Sent once, whatever happens');
    const first = slow.sendChannelMessage({ messageId });
    // (waitFor takes null for an answer: only a set claim may end the wait.)
    await waitFor(async () => (await db('messages').where({ id: messageId }).first()).send_claimed_until ?? undefined, {
      what: 'the first attempt to claim the send',
    });
    const second = await fast.sendChannelMessage({ messageId }).catch((err: unknown) => err);
    // Retryable (a plain Error), so Temporal comes back after the first attempt has finished.
    expect(second).toBeInstanceOf(Error);
    expect(second).not.toBeInstanceOf(ApplicationFailure);
    expect((second as Error).message).toMatch(/being sent by another attempt/);
    release();
    const sent = await first;
    await expect(fast.sendChannelMessage({ messageId })).resolves.toEqual(sent);
    expect(sendsTo(`+${contact}`).filter((r) => body(r).text?.body === 'Sent once, whatever happens')).toHaveLength(1);
    expect((await db('messages').where({ id: messageId }).first()).send_claimed_until).toBeNull();

    // An attempt that died holding the claim: once the claim has lapsed, a retry sends.
    const orphanId = await storeReply('Sent after the claim lapsed');
    await db('messages')
      .where({ id: orphanId })
      .update({ send_claimed_until: db.raw(`now() - interval '1 second'`) });
    await expect(fast.sendChannelMessage({ messageId: orphanId })).resolves.toMatchObject({
      externalId: expect.stringMatching(/^wamid\./),
    });
    expect(sendsTo(`+${contact}`).filter((r) => body(r).text?.body === 'Sent after the claim lapsed')).toHaveLength(1);
  });

  describe('/api/v1/channels', () => {
    let server: Server;
    let baseUrl: string;
    let syncedChannelId: string;
    const tokens: Record<string, string> = {};
    const WABA_ID = '318204567712345';

    beforeAll(async () => {
      const db = stack.database.db;
      syncedChannelId = await upsertChannel(db, {
        kind: 'whatsapp',
        name: 'Synced number',
        externalId: `2000${Date.now()}`,
        accessToken: ACCESS_TOKEN,
      });
      await db('channels')
        .where({ id: syncedChannelId })
        .update({ credentials: JSON.stringify({ accessToken: ACCESS_TOKEN, wabaId: WABA_ID }) });
      const auth = createAuthService({ db });
      for (const [email, role] of [
        ['owner@outbound.test', 'owner'],
        ['agent@outbound.test', 'agent'],
      ] as const) {
        await upsertUser(db, { email, name: role, role, password: PASSWORD });
        tokens[role] = (await auth.issueApiToken(email, PASSWORD))!;
      }
      const app = express();
      app.use(
        '/api/v1/channels',
        createChannelsRouter({
          channels: createChannelsService({ db, graph: { graphBaseUrl: stack.graph.url, graphVersion: 'v25.0' } }),
          actorOf: actorResolver(auth),
        }),
      );
      app.use(errorMiddleware(pino({ level: 'silent' })));
      server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/channels`;
    });
    afterAll(async () => {
      await new Promise((resolve) => server?.close(resolve));
    });

    const call = (path: string, role: 'owner' | 'agent', method = 'GET') =>
      fetch(`${baseUrl}${path}`, { method, headers: { authorization: `Bearer ${tokens[role]}` } });

    it('lists channels by id, kind and name, never their credentials', async () => {
      const res = await call('/', 'agent');
      expect(res.status).toBe(200);
      const { data } = (await res.json()) as { data: Record<string, unknown>[] };
      expect(data).toContainEqual({ id: syncedChannelId, kind: 'whatsapp', name: 'Synced number' });
      for (const channel of data) expect(Object.keys(channel).sort()).toEqual(['id', 'kind', 'name']);
      expect((await fetch(`${baseUrl}/`)).status).toBe(401);
    });

    it('syncs the approved templates from Meta’s list across two pages (owners and admins only)', async () => {
      stack.graph.addTemplates(WABA_ID, [
        ...Array.from({ length: 99 }, (_, i) => ({
          name: `notice_${String(i).padStart(2, '0')}`,
          language: 'en',
          body: 'Notice {{1}}',
        })),
        { name: 'order_update', language: 'en', body: 'Update on your order: {{1}}' },
        { name: 'appointment_reminder', language: 'en_GB', body: 'Reminder: {{1}} at {{2}}.' },
        { name: 'spring_sale', language: 'en', status: 'REJECTED', category: 'MARKETING', body: 'Sale!' },
        { name: 'paused_one', language: 'en', status: 'PAUSED', body: 'Paused {{1}}' },
      ]);
      const before = stack.graph.requests.length;

      expect((await call(`/${syncedChannelId}/templates/sync`, 'agent', 'POST')).status).toBe(403);
      const res = await call(`/${syncedChannelId}/templates/sync`, 'owner', 'POST');

      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ data: { synced: 103, approved: 101, removed: 0 } });
      const pages = stack.graph.requests.slice(before).filter((r) => r.operation === 'templates');
      expect(pages).toHaveLength(2);
      expect(pages.map((p) => p.path)).toEqual([
        `/v25.0/${WABA_ID}/message_templates`,
        `/v25.0/${WABA_ID}/message_templates`,
      ]);
      const stored = await stack.database.db('message_templates').where({ channel_id: syncedChannelId });
      expect(stored).toHaveLength(103);
      expect(stored.find((t) => t.name === 'paused_one')).toMatchObject({ status: 'PAUSED', parameter_count: 1 });

      const list = await call(`/${syncedChannelId}/templates`, 'agent');
      const { data } = (await list.json()) as { data: { name: string; language: string; parameterCount: number }[] };
      expect(data).toHaveLength(101);
      expect(data.map((t) => t.name)).not.toContain('spring_sale');
      expect(data.find((t) => t.name === 'appointment_reminder')).toMatchObject({
        language: 'en_GB',
        parameterCount: 2,
        category: 'UTILITY',
        body: 'Reminder: {{1}} at {{2}}.',
      });
    });

    it('answers 400 for a channel without a WhatsApp Business Account id and 404 for an unknown one', async () => {
      expect((await call(`/${stack.channelId}/templates/sync`, 'owner', 'POST')).status).toBe(400);
      expect((await call(`/${randomUUID()}/templates`, 'agent')).status).toBe(404);
    });
  });

  it('sends an opted-in agent the agent_alert template on their own number when a handover targets them', async () => {
    const db = stack.database.db;
    // In a team of his own: the Support queue's notifications (also `handover`) are not his.
    const vipTeamId = await upsertTeam(db, 'VIP desk');
    const samId = await addAgent(stack, { name: 'Sam Senior', teamId: vipTeamId });
    await db('users').where({ id: samId }).update({ whatsapp_number: '+44 7700 900555', notify_whatsapp: true });
    const contact = nextContact();
    const { handle, row } = await openConversation(contact);

    await handle.signal(handoverSignal, {
      to: { kind: 'agent', userId: samId },
      reason: 'VIP customer asks for Sam',
      by: { kind: 'user', userId: agentId },
    });

    const alert = await waitFor(
      () => stack.graph.requests.find((r) => r.operation === 'send' && body(r).to === '+447700900555'),
      { what: 'the agent alert on the wire' },
    );
    expect(body(alert)).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '+447700900555',
      type: 'template',
      template: {
        name: 'agent_alert',
        language: { code: 'en' },
        components: [
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'A conversation was handed over' },
              { type: 'text', text: 'VIP customer asks for Sam' },
            ],
          },
        ],
      },
    });
    const notification = await waitFor(
      async () => {
        const n = await db('notifications').where({ conversation_id: row.id, user_id: samId }).first();
        return n?.data?.whatsapp?.status === 'sent' ? n : undefined;
      },
      { what: 'the alert recorded on the notification' },
    );
    expect(notification.data.whatsapp.externalId).toMatch(/^wamid\./);
    // The customer's thread is untouched and nobody else was alerted.
    expect(sendsTo(`+${contact}`)).toHaveLength(0);
    expect(stack.graph.requests.filter((r) => body(r).template?.name === 'agent_alert')).toHaveLength(1);
    expect(await alertActivities(handle)).toBe(1);
  });

  it('spends no alert activity on a handover whose receiver has WhatsApp alerts off', async () => {
    const db = stack.database.db;
    const quietTeamId = await upsertTeam(db, 'Quiet desk');
    const quinnId = await addAgent(stack, { name: 'Quinn Quiet', teamId: quietTeamId });
    await db('users').where({ id: quinnId }).update({ whatsapp_number: '+44 7700 900556', notify_whatsapp: false });
    const { handle, row } = await openConversation(nextContact());

    await handle.signal(handoverSignal, {
      to: { kind: 'agent', userId: quinnId },
      reason: 'Quinn knows this order',
      by: { kind: 'user', userId: agentId },
    });
    // The in-app notification is there; the workflow went on without asking the notifier.
    await waitFor(
      () => db('notifications').where({ conversation_id: row.id, user_id: quinnId, kind: 'handover' }).first(),
      {
        what: 'the in-app handover notification',
      },
    );
    await waitFor(async () => (await handle.query(stateQuery)).assigneeId === quinnId, {
      what: 'the handover applied',
    });
    expect(await alertActivities(handle)).toBe(0);
    expect(stack.graph.requests.filter((r) => body(r).to === '+447700900556')).toHaveLength(0);
  });

  /** notifyAgentsOnWhatsApp activities the conversation's run has scheduled. */
  async function alertActivities(handle: Awaited<ReturnType<typeof openConversation>>['handle']): Promise<number> {
    const history = await handle.fetchHistory();
    return (history.events ?? []).filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'notifyAgentsOnWhatsApp',
    ).length;
  }
});
