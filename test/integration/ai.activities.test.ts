/**
 * draftAiResponse on real parts: the thread and the AI settings come from Postgres, the model
 * call goes through the openai SDK to a local server speaking the Chat Completions wire format.
 * Asserts the decisions and what arrived on the wire (model, thread, json_schema).
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createAiActivities } from '../../activities/ai/ai.activities';
import { FALLBACK_NO_MATCH_REASON, HUMAN_REQUEST_REASON } from '../../activities/ai/fallback';
import { AI_TRANSIENT } from '../../activities/ai/openai-responder';
import type { AiConfig, AiSettings } from '../../activities/ai/types';
import { ErrorType } from '../../workflows/shared/errors';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { upsertChannel } from '../support/factories';
import { startFakeOpenAi, type ChatRequest, type FakeOpenAi } from '../support/fake-openai';

const API_KEY = 'sk-test-kliovo-0123456789';
const MODEL = 'gpt-test-mini';
const FAQ: AiSettings['faq'] = [
  { keywords: ['opening hours', 'open'], answer: 'We are open 9:00 to 18:00, Monday to Friday.' },
];

type Line = { from: 'contact' | 'ai' | 'agent' | 'system'; body: string | null; type?: string };

describe('the AI first response activity', () => {
  let database: TestDatabase;
  let openai: FakeOpenAi;
  let channelId: string;

  beforeAll(async () => {
    [database, openai] = await Promise.all([createTestDatabase(), startFakeOpenAi({ apiKey: API_KEY })]);
    channelId = await upsertChannel(database.db, {
      kind: 'whatsapp',
      name: 'Test store',
      externalId: '100000000000001',
      accessToken: 'wa-token',
    });
  });

  afterAll(async () => {
    await openai?.close();
    await database?.drop();
  });

  beforeEach(async () => {
    openai.reset();
    await database.db('workspace_settings').delete();
  });

  const config = (overrides: Partial<AiConfig> = {}): AiConfig => ({
    apiKey: API_KEY,
    baseUrl: openai.baseUrl,
    model: MODEL,
    timeoutMs: 5_000,
    ...overrides,
  });
  const activities = (overrides: Partial<AiConfig> = {}) =>
    createAiActivities({ db: database.db, ai: config(overrides) });

  async function storeSettings(value: unknown): Promise<void> {
    await database.db('workspace_settings').insert({ key: 'ai', value: JSON.stringify(value) });
  }

  /** A conversation whose thread is `lines`, one second apart, oldest first. */
  async function conversationWith(lines: Line[]): Promise<string> {
    const db = database.db;
    const key = `wa_${randomUUID()}`;
    const [contact] = await db('contacts')
      .insert({ channel_id: channelId, external_key: key, wa_id: '34600000000', display_name: 'Ana' })
      .returning('id');
    const [conversation] = await db('conversations')
      .insert({
        workflow_id: `conv:${channelId}:${key}`,
        channel_id: channelId,
        contact_id: contact.id,
        status: 'bot',
        version: 1,
      })
      .returning('id');
    const start = Date.parse('2026-11-25T09:00:00Z');
    if (lines.length > 0) {
      await db('messages').insert(
        lines.map((line, i) => ({
          id: randomUUID(),
          conversation_id: conversation.id,
          channel_id: channelId,
          direction: line.from === 'contact' ? 'inbound' : 'outbound',
          author_kind: line.from,
          type: line.type ?? 'text',
          body: line.body,
          status: line.from === 'contact' ? 'received' : 'sent',
          sent_at: new Date(start + i * 1000),
        })),
      );
    }
    return conversation.id;
  }

  const sentBody = (i = 0) => openai.requests[i]?.body as ChatRequest;

  it('replies with the model answer and sends the model, the thread and the json_schema', async () => {
    await storeSettings({ instructions: 'We are Kliovo Coffee in Valencia.', faq: FAQ });
    const conversationId = await conversationWith([
      { from: 'contact', body: 'Hello!' },
      { from: 'ai', body: 'Hi! How can I help?' },
      { from: 'system', body: 'conversation reopened' },
      { from: 'contact', body: 'Do you deliver on Saturdays?' },
      { from: 'contact', body: null, type: 'image' },
    ]);

    const decision = await activities().draftAiResponse({ conversationId });

    expect(decision).toEqual({
      action: 'reply',
      reply: 'Thanks for your message! We are happy to help.',
      summary: 'Customer wrote: [image message]',
      intent: 'general',
      urgency: 'low',
      source: 'model',
    });
    expect(openai.requests).toHaveLength(1);
    expect(openai.requests[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    const body = sentBody();
    expect(body.model).toBe(MODEL);
    expect(body.messages[0]).toMatchObject({ role: 'system' });
    expect(body.messages[0]?.content).toContain('WhatsApp');
    expect(body.messages[0]?.content).toContain('We are open 9:00 to 18:00, Monday to Friday.');
    expect(body.messages[0]?.content).toContain('We are Kliovo Coffee in Valencia.');
    expect(body.messages.slice(1)).toEqual([
      { role: 'user', content: 'Hello!' },
      { role: 'assistant', content: 'Hi! How can I help?' },
      { role: 'user', content: 'Do you deliver on Saturdays?' },
      { role: 'user', content: '[image message]' },
    ]);
    expect(body.response_format).toMatchObject({
      type: 'json_schema',
      json_schema: {
        name: 'first_response',
        strict: true,
        schema: {
          type: 'object',
          additionalProperties: false,
          required: ['action', 'reply', 'reason', 'summary', 'intent', 'urgency'],
        },
      },
    });
  });

  it('hands over a pricing question with the model reason, summary and intent', async () => {
    const conversationId = await conversationWith([{ from: 'contact', body: 'What is the price of a 1 kg bag?' }]);

    const decision = await activities().draftAiResponse({ conversationId });

    expect(decision).toEqual({
      action: 'handover',
      reason: 'pricing questions go to the team',
      summary: 'Customer wrote: What is the price of a 1 kg bag?',
      intent: 'pricing',
      urgency: 'normal',
      source: 'model',
    });
  });

  it('hands over without calling the model when the customer asks for a human', async () => {
    const conversationId = await conversationWith([
      { from: 'contact', body: 'My order is late' },
      { from: 'ai', body: 'Sorry to hear that! What is your order number?' },
      { from: 'contact', body: 'I want a human' },
    ]);

    const decision = await activities().draftAiResponse({ conversationId });

    expect(decision).toEqual({
      action: 'handover',
      reason: HUMAN_REQUEST_REASON,
      summary: 'Customer wrote: I want a human',
      intent: 'human_request',
      urgency: 'normal',
      source: 'model',
    });
    expect(openai.requests).toHaveLength(0);
  });

  it('sends only the 20 most recent messages, oldest first', async () => {
    const lines: Line[] = Array.from({ length: 25 }, (_, i) => ({ from: 'contact', body: `message ${i + 1}` }));
    const conversationId = await conversationWith(lines);

    await activities().draftAiResponse({ conversationId });

    const thread = sentBody().messages.slice(1);
    expect(thread).toHaveLength(20);
    expect(thread[0]).toEqual({ role: 'user', content: 'message 6' });
    expect(thread[19]).toEqual({ role: 'user', content: 'message 25' });
  });

  it('answers from the FAQ without a model when no API key is configured', async () => {
    await storeSettings({ faq: FAQ });
    const conversationId = await conversationWith([{ from: 'contact', body: 'What are your OPENING hours?' }]);

    const decision = await activities({ apiKey: undefined }).draftAiResponse({ conversationId });

    expect(decision).toEqual({
      action: 'reply',
      reply: 'We are open 9:00 to 18:00, Monday to Friday.',
      summary: 'Customer wrote: What are your OPENING hours?',
      intent: 'faq',
      urgency: 'low',
      source: 'fallback',
    });
    expect(openai.requests).toHaveLength(0);
  });

  it('hands over and says so when no API key is configured and no FAQ entry matches', async () => {
    await storeSettings({ faq: FAQ });
    const conversationId = await conversationWith([{ from: 'contact', body: 'My parcel arrived broken' }]);

    const decision = await activities({ apiKey: undefined }).draftAiResponse({ conversationId });

    expect(decision).toEqual({
      action: 'handover',
      reason: FALLBACK_NO_MATCH_REASON,
      summary: 'Customer wrote: My parcel arrived broken',
      intent: 'unknown',
      urgency: 'normal',
      source: 'fallback',
    });
  });

  it('uses the default settings when the stored ones are invalid', async () => {
    await storeSettings({ enabled: 'yes please', faq: 'none' });
    const conversationId = await conversationWith([{ from: 'contact', body: 'Are you open today?' }]);

    const decision = await activities({ apiKey: undefined }).draftAiResponse({ conversationId });

    expect(decision).toMatchObject({ action: 'handover', reason: FALLBACK_NO_MATCH_REASON });
  });

  it('hands over without calling the model when the AI is turned off in the settings', async () => {
    await storeSettings({ enabled: false });
    const conversationId = await conversationWith([{ from: 'contact', body: 'Hello' }]);

    const decision = await activities().draftAiResponse({ conversationId });

    expect(decision).toMatchObject({ action: 'handover', intent: 'unknown', source: 'model' });
    expect(decision.reason).toMatch(/turned off/);
    expect(openai.requests).toHaveLength(0);
  });

  it('fails retryably with the Retry-After delay when the model is rate limited', async () => {
    openai.failNext(429, undefined, { 'retry-after': '7' });
    const conversationId = await conversationWith([{ from: 'contact', body: 'Do you have oat milk?' }]);

    const error = await activities()
      .draftAiResponse({ conversationId })
      .catch((err: unknown) => err);

    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: AI_TRANSIENT, nonRetryable: false, nextRetryDelay: 7000 });
    expect(openai.requests).toHaveLength(1);
  });

  it('fails retryably without a fixed delay on a server error', async () => {
    openai.failNext(503);
    const conversationId = await conversationWith([{ from: 'contact', body: 'Do you have oat milk?' }]);

    const error = await activities()
      .draftAiResponse({ conversationId })
      .catch((err: unknown) => err);

    expect(error).toMatchObject({ type: AI_TRANSIENT, nonRetryable: false, nextRetryDelay: undefined });
  });

  it('fails for good with AiUnavailable when the API key is refused, without quoting the key', async () => {
    const conversationId = await conversationWith([{ from: 'contact', body: 'Do you have oat milk?' }]);

    const error = await activities({ apiKey: 'sk-wrong-key-987' })
      .draftAiResponse({ conversationId })
      .catch((err: unknown) => err);

    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: ErrorType.AiUnavailable, nonRetryable: true });
    const message = (error as ApplicationFailure).message;
    expect(message).toBe('OpenAI chat completion failed with HTTP 401 (invalid_api_key)');
    expect(message).not.toContain('sk-wrong-key-987');
    expect(message).not.toContain('oat milk');
  });

  it('hands over when the model answer is not valid JSON', async () => {
    openai.respondWith(() => ({ content: 'Sure! We have oat milk.' }));
    const conversationId = await conversationWith([{ from: 'contact', body: 'Do you have oat milk?' }]);

    const decision = await activities().draftAiResponse({ conversationId });

    expect(decision).toEqual({
      action: 'handover',
      reason: 'the AI answer could not be used (not valid JSON)',
      summary: 'Customer wrote: Do you have oat milk?',
      intent: 'unknown',
      urgency: 'normal',
      source: 'model',
    });
  });

  it('hands over when the model refuses', async () => {
    openai.respondWith(() => ({ content: null, refusal: "I'm sorry, I can't help with that." }));
    const conversationId = await conversationWith([{ from: 'contact', body: 'Do you have oat milk?' }]);

    const decision = await activities().draftAiResponse({ conversationId });

    expect(decision).toMatchObject({
      action: 'handover',
      reason: 'the AI answer could not be used (the model refused)',
    });
  });

  it('aborts the model request when Temporal cancels the activity', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    openai.respondWith(async (request) => {
      await held;
      return {
        content: JSON.stringify({
          action: 'reply',
          reply: 'late',
          reason: null,
          summary: request.model,
          intent: 'x',
          urgency: 'low',
        }),
      };
    });
    const conversationId = await conversationWith([{ from: 'contact', body: 'Do you have oat milk?' }]);
    const env = new MockActivityEnvironment();
    const { draftAiResponse } = activities();

    try {
      const running = env.run(draftAiResponse, { conversationId }).catch((err: unknown) => err);
      await openai.waitForRequests(1);
      env.cancel();
      expect(await running).toBeInstanceOf(CancelledFailure);
    } finally {
      release();
    }
  });
});
