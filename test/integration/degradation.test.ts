/**
 * Degradation (issue #7): with the OpenAI endpoint down or slow, or the Graph API answering 500s,
 * conversations still reach humans with the failure written in their timeline, the SLA tiers still
 * fire, the inbox stays usable (notes, claims, lists answer while a send is retrying), and a send
 * that fails surfaces in the thread as a failed message with the reason, never silently.
 *
 * On the workflow stack (test/support/workflow-stack.ts): a real Temporal dev server, Postgres, the
 * real activities, and the fake OpenAI and Graph servers, whose failures each test scripts.
 */
import { stateQuery } from '../../workflows/conversation/contract';
import { createInboxService } from '../../api/services/inbox.service';
import { addAgent, startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';
import { waitFor } from '../support/wait-for';

const TIERS_MS: [number, number, number] = [2_000, 4_000, 6_000];

describe('when OpenAI or the Graph API fail', () => {
  let stack: WorkflowStack;
  let agentId: string;
  let inbox: ReturnType<typeof createInboxService>;
  let contacts = 0;

  beforeAll(async () => {
    stack = await startWorkflowStack({ ai: 'model', slaTiersMs: TIERS_MS });
    agentId = await addAgent(stack, { name: 'Dana Degraded', teamId: stack.supportTeamId, lead: true });
    inbox = createInboxService({ db: stack.database.db, temporal: stack.client, slaDefaultTiersMs: TIERS_MS });
  });

  afterAll(async () => {
    await stack?.close();
  });

  beforeEach(() => {
    stack.openai.reset();
    stack.graph.reset();
  });

  /** The agent as the API's services see a signed-in user. */
  const actor = async () => {
    const row = await stack.database.db('users').where({ id: agentId }).first();
    return { id: row.id as string, email: row.email as string, name: row.name as string, role: 'agent' as const };
  };
  const events = (conversationId: string, type: string) =>
    stack.database.db('events').where({ conversation_id: conversationId, type }).orderBy('created_at');

  async function customerWrites(text: string) {
    contacts += 1;
    const key = `44770055${String(contacts).padStart(4, '0')}`;
    await stack.deliver(key, text);
    const row = await waitFor(() => stack.conversationRow(key), { what: 'the conversation row' });
    return { key, row };
  }

  it('hands the customer to humans when OpenAI answers 503, with the failure in the timeline, and the SLA tiers still fire', async () => {
    for (let i = 0; i < 10; i++) stack.openai.failNext(503);
    const { row } = await customerWrites('Hello, is anyone there?');
    const [handover] = await waitFor(
      async () => {
        const found = await events(row.id, 'handover_requested');
        return found.length > 0 ? found : undefined;
      },
      { what: 'the handover to humans', timeoutMs: 30_000 },
    );
    expect(handover.actor_kind).toBe('ai');
    expect(handover.data.reason).toMatch(/the AI is unavailable: OpenAI chat completion failed with HTTP 503/);
    // Three attempts, then humans: no reply went to the customer.
    expect(stack.openai.requests.length).toBeGreaterThanOrEqual(3);
    expect(await stack.database.db('messages').where({ conversation_id: row.id, author_kind: 'ai' })).toEqual([]);
    // The private note tells the team why, and the waiting customer climbs the SLA tiers.
    const note = await waitFor(() => stack.database.db('notes').where({ conversation_id: row.id }).first(), {
      what: 'the handover note',
    });
    expect(note.body).toContain('the AI is unavailable');
    const breached = await waitFor(
      async () => {
        const found = await stack.database
          .db('events')
          .where({ conversation_id: row.id })
          .whereIn('type', ['sla_breached', 'escalated']);
        return found.length >= 2 ? found : undefined;
      },
      { what: 'the first two SLA tiers', timeoutMs: 30_000 },
    );
    for (const e of breached) expect(e.data.firedAt - e.data.dueAt).toBeLessThan(5_000);
    const current = await stack.database.db('conversations').where({ id: row.id }).first();
    expect(current.status).toMatch(/queued|assigned/);
    expect(current.escalation_level).toBeGreaterThanOrEqual(2);
  });

  it('hands over when OpenAI is too slow to answer within its timeout', async () => {
    stack.openai.respondWith(async () => {
      await new Promise((r) => setTimeout(r, 7_000));
      return { content: 'too late' };
    });
    const { row } = await customerWrites('Do you deliver on Sundays?');
    const [handover] = await waitFor(
      async () => {
        const found = await events(row.id, 'handover_requested');
        return found.length > 0 ? found : undefined;
      },
      { what: 'the handover after timeouts', timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(handover.data.reason).toMatch(/the AI is unavailable/);
    expect(await stack.database.db('messages').where({ conversation_id: row.id, author_kind: 'ai' })).toEqual([]);
  });

  it('retries a reply through Graph API 500s until it is sent, while the inbox keeps answering', async () => {
    const { key, row } = await customerWrites('Where is my order?');
    // The AI's own reply is out first, so the scripted Graph failures hit the agent's reply.
    await waitFor(
      () => stack.database.db('messages').where({ conversation_id: row.id, author_kind: 'ai', status: 'sent' }).first(),
      { what: 'the AI reply to be sent', timeoutMs: 30_000 },
    );
    stack.graph.failNext(3, { httpStatus: 500, code: 2, message: 'Service temporarily unavailable' });
    const me = await actor();
    const sending = inbox.reply(me, row.id, { text: 'Let me check that for you.' });
    // While the send retries, notes, lists and the live state answer at once.
    const started = Date.now();
    const note = await inbox.addNote(me, row.id, { text: 'Graph is flaky right now' });
    expect(note.noteId).toBeTruthy();
    expect((await inbox.listConversations(me, { queue: 'all' })).data.some((c) => c.id === row.id)).toBe(true);
    expect((await stack.handle(key).query(stateQuery)).status).toBeTruthy();
    expect(Date.now() - started).toBeLessThan(5_000);
    const result = await sending;
    expect(result.status).toBe('sent');
    const sends = stack.graph.requests.filter((r) => r.operation === 'send' && r.rawBody.includes('Let me check'));
    expect(sends.length).toBe(4);
    const stored = await stack.database.db('messages').where({ id: result.messageId }).first();
    expect(stored.status).toBe('sent');
  });

  it('shows a reply the Graph API refuses as failed in the thread, with the reason', async () => {
    const { row } = await customerWrites('Can you send me the invoice?');
    // The AI's own reply is out first, so the scripted Graph failures hit the agent's reply.
    await waitFor(
      () => stack.database.db('messages').where({ conversation_id: row.id, author_kind: 'ai', status: 'sent' }).first(),
      { what: 'the AI reply to be sent', timeoutMs: 30_000 },
    );
    stack.graph.failNext(1, { httpStatus: 400, code: 131026, message: 'Message undeliverable' });
    const me = await actor();
    const result = await inbox.reply(me, row.id, { text: 'Here it is.' });
    expect(result.status).toBe('failed');
    expect(result.error).toBeTruthy();
    const thread = await inbox.listMessages(me, row.id);
    const failed = thread.data.find((m) => m.id === result.messageId)!;
    expect(failed.status).toBe('failed');
    expect(failed.error).toEqual({ code: 131026, reason: expect.stringMatching(/\S/) });
  });

  it('marks an AI reply the Graph API keeps refusing as failed in the thread instead of dropping it', async () => {
    stack.graph.failNext(1, { httpStatus: 400, code: 131026, message: 'Message undeliverable' });
    const { row } = await customerWrites('Hi, quick question');
    const failed = await waitFor(
      () =>
        stack.database.db('messages').where({ conversation_id: row.id, author_kind: 'ai', status: 'failed' }).first(),
      { what: 'the failed AI reply', timeoutMs: 30_000 },
    );
    expect(failed.error_reason).toMatch(/\S/);
    expect(failed.error_code).toBe(131026);
  });
});
