/**
 * The AI first response (DESIGN §3) on real parts, against a local server that speaks OpenAI's Chat
 * Completions format: a reply reaches the customer as author `ai`; a handover takes the same path
 * as a human's, lands in the routed team with its card and private note; "I want a human" hands
 * over without asking the model; once a human owns the conversation the bot stays silent; and
 * without an API key a labelled keyword-FAQ fallback answers.
 */
import { stateQuery } from '../../workflows/conversation/contract';
import { waitFor } from '../support/wait-for';
import { addAgent, startWorkflowStack, upsertTeam, type WorkflowStack } from '../support/workflow-stack';

const sentTexts = (stack: WorkflowStack, to: string) =>
  stack.graph.requests
    .filter((r) => r.operation === 'send' && (r.body as { to?: string })?.to === to)
    .map((r) => (r.body as { text?: { body?: string } }).text?.body);

describe('AI first response with a model', () => {
  let stack: WorkflowStack;
  let salesTeamId: string;
  let salesAgentId: string;

  beforeAll(async () => {
    stack = await startWorkflowStack({ ai: 'model', historyPrefix: 'ai-model' });
    salesTeamId = await upsertTeam(stack.database.db, 'Sales');
    salesAgentId = await addAgent(stack, { name: 'Sam Sales', teamId: salesTeamId });
    await addAgent(stack, { name: 'Sue Support', teamId: stack.supportTeamId });
    await stack.database.db('routing_rules').insert({
      position: 1,
      name: 'Pricing to Sales',
      match_kind: 'intent',
      match_value: 'pricing',
      routing_workflow: 'to-team',
      params: { teamId: salesTeamId },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('sends the model reply to the customer as the AI and keeps the conversation with the bot', async () => {
    const handle = await stack.deliver('6660001', 'Hi! Are you open on Sundays?');
    await waitFor(() => sentTexts(stack, '+6660001').length === 1, { what: 'the AI reply on the wire' });
    expect(sentTexts(stack, '+6660001')).toEqual(['Thanks for your message! We are happy to help.']);

    const row = (await stack.conversationRow('6660001'))!;
    const reply = await waitFor(
      () =>
        stack.database.db('messages').where({ conversation_id: row.id, direction: 'outbound', status: 'sent' }).first(),
      { what: 'the sent AI message' },
    );
    expect(reply).toMatchObject({ author_kind: 'ai', author_user_id: null });
    const event = await stack.database.db('events').where({ conversation_id: row.id, type: 'ai_replied' }).first();
    expect(event.data).toMatchObject({ source: 'model', intent: 'general' });
    expect(await handle.query(stateQuery)).toMatchObject({ status: 'bot', slaSince: null, aiPending: false });
    // The model saw the customer's words as a user message and was asked for the strict schema.
    const request = stack.openai.requests.at(-1)!.body as {
      model: string;
      messages: { role: string; content: string }[];
    };
    expect(request.model).toBe('gpt-test');
    expect(request.messages.at(-1)).toEqual({ role: 'user', content: 'Hi! Are you open on Sundays?' });
  });

  it('hands a pricing question over to the routed team with its card and a private note, and then stays silent', async () => {
    const handle = await stack.deliver('6660002', 'What is the price of the oak table?');
    const row = await waitFor(
      async () => {
        const r = await stack.conversationRow('6660002');
        return r?.team_id === salesTeamId ? r : undefined;
      },
      { what: 'the conversation in the Sales queue' },
    );
    expect(row).toMatchObject({ status: 'queued', intent: 'pricing' });

    const card = await stack.database
      .db('events')
      .where({ conversation_id: row.id, type: 'handover_requested' })
      .first();
    expect(card).toMatchObject({ actor_kind: 'ai' });
    expect(card.data).toMatchObject({
      to: { kind: 'routing' },
      reason: 'pricing questions go to the team',
      card: { intent: 'pricing', urgency: 'normal', summary: expect.stringContaining('price of the oak table') },
    });
    const note = await stack.database.db('notes').where({ conversation_id: row.id }).first();
    expect(note).toMatchObject({ author_kind: 'ai' });
    expect(note.body).toContain('Handover: pricing questions go to the team');
    const notified = await waitFor(
      async () => {
        const ids = await stack.database.db('notifications').where({ conversation_id: row.id }).pluck('user_id');
        return ids.length > 0 ? ids : undefined;
      },
      { what: 'the Sales team notification' },
    );
    expect(notified).toEqual([salesAgentId]);
    expect(sentTexts(stack, '+6660002')).toEqual([]);

    // The SLA clock now runs for the humans, and the bot never answers again.
    expect((await handle.query(stateQuery)).slaSince).not.toBeNull();
    const calls = stack.openai.requests.length;
    await stack.deliver('6660002', 'Hello? Also, what are your opening hours?');
    await waitFor(
      async () =>
        (await stack.database.db('messages').where({ conversation_id: row.id, direction: 'inbound' })).length === 2,
      { what: 'the second customer message' },
    );
    expect(await handle.query(stateQuery)).toMatchObject({ status: 'queued', aiPending: false });
    expect(stack.openai.requests.length).toBe(calls);
  });

  it('hands over at once, without asking the model, when the customer asks for a human', async () => {
    const calls = stack.openai.requests.length;
    const handle = await stack.deliver('6660003', 'I want to talk to a human please');
    await waitFor(async () => (await handle.query(stateQuery)).status === 'queued', { what: 'the handover' });
    const row = (await stack.conversationRow('6660003'))!;
    const card = await waitFor(
      () => stack.database.db('events').where({ conversation_id: row.id, type: 'handover_requested' }).first(),
      { what: 'the handover card' },
    );
    expect(card.data).toMatchObject({ reason: 'the customer asked for a human', card: { intent: 'human_request' } });
    expect(stack.openai.requests.length).toBe(calls);
    // No rule matches human_request: the channel's default team.
    expect((await stack.conversationRow('6660003'))?.team_id).toBe(stack.supportTeamId);
  });

  it('hands over with the reason shown when the model stays unavailable', async () => {
    stack.openai.failNext(401, {
      error: {
        message: 'Incorrect API key provided',
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_api_key',
      },
    });
    const handle = await stack.deliver('6660004', 'Do you deliver to Leeds?');
    await waitFor(async () => (await handle.query(stateQuery)).status === 'queued', { what: 'the handover' });
    const row = (await stack.conversationRow('6660004'))!;
    const card = await waitFor(
      () => stack.database.db('events').where({ conversation_id: row.id, type: 'handover_requested' }).first(),
      { what: 'the handover card' },
    );
    expect(card.data.reason).toMatch(/^the AI is unavailable: .*401/);
    expect(card.data.reason).not.toContain('stack-openai-key');
  });
});

describe('AI first response without an API key', () => {
  let stack: WorkflowStack;

  beforeAll(async () => {
    stack = await startWorkflowStack({ ai: 'fallback', historyPrefix: 'ai-fallback' });
    await stack.database
      .db('workspace_settings')
      .where({ key: 'ai' })
      .update({
        value: JSON.stringify({
          enabled: true,
          instructions: '',
          faq: [{ keywords: ['opening hours', 'open'], answer: 'We are open 9:00-18:00, Monday to Saturday.' }],
        }),
      });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('answers an FAQ from the keyword fallback and labels it as the fallback', async () => {
    const handle = await stack.deliver('7770001', 'What are your opening hours?');
    await waitFor(() => sentTexts(stack, '+7770001').length === 1, { what: 'the fallback reply' });
    expect(sentTexts(stack, '+7770001')).toEqual(['We are open 9:00-18:00, Monday to Saturday.']);
    const row = (await stack.conversationRow('7770001'))!;
    const event = await waitFor(
      () => stack.database.db('events').where({ conversation_id: row.id, type: 'ai_replied' }).first(),
      { what: 'the ai_replied event' },
    );
    expect(event.data).toMatchObject({ source: 'fallback', intent: 'faq' });
    expect((await handle.query(stateQuery)).status).toBe('bot');
    expect(stack.openai.requests).toHaveLength(0);
  });

  it('hands over, saying why, when no FAQ matches', async () => {
    const handle = await stack.deliver('7770002', 'My order arrived broken');
    await waitFor(async () => (await handle.query(stateQuery)).status === 'queued', { what: 'the handover' });
    const row = (await stack.conversationRow('7770002'))!;
    const card = await waitFor(
      () => stack.database.db('events').where({ conversation_id: row.id, type: 'handover_requested' }).first(),
      { what: 'the handover card' },
    );
    expect(card.data.reason).toBe('no FAQ answer matched (AI fallback, no API key configured)');
    expect(stack.openai.requests).toHaveLength(0);
  });
});
