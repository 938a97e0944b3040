import { ApplicationFailure } from '@temporalio/common';
import OpenAI from 'openai';
import {
  AI_TRANSIENT,
  interpretAnswer,
  retryAfterMs,
  systemPrompt,
  threadMessages,
  toFailure,
} from '../../../activities/ai/openai-responder';
import type { ThreadMessage } from '../../../activities/ai/thread';
import type { AiConfig } from '../../../activities/ai/types';
import { ErrorType } from '../../../workflows/shared/errors';

const thread: ThreadMessage[] = [{ authorKind: 'contact', type: 'text', body: 'Do you ship to Spain?' }];
const config: AiConfig = { apiKey: 'sk-secret', baseUrl: 'http://127.0.0.1:1/v1', model: 'gpt-test', timeoutMs: 1000 };
const answer = (fields: Record<string, unknown>) =>
  JSON.stringify({
    action: 'reply',
    reply: 'Yes, we do.',
    reason: null,
    summary: 'Asks about shipping to Spain.',
    intent: 'shipping',
    urgency: 'low',
    ...fields,
  });

describe('reading the model answer', () => {
  it('turns a valid reply into a model decision', () => {
    expect(interpretAnswer(answer({}), null, thread)).toEqual({
      decision: {
        action: 'reply',
        reply: 'Yes, we do.',
        summary: 'Asks about shipping to Spain.',
        intent: 'shipping',
        urgency: 'low',
        source: 'model',
      },
    });
  });

  it('keeps the model reason and normalises the intent of a handover', () => {
    const { decision } = interpretAnswer(
      answer({ action: 'handover', reply: null, reason: 'Asks for a quote', intent: 'Price Quote', urgency: 'normal' }),
      null,
      thread,
    );
    expect(decision).toMatchObject({ action: 'handover', reason: 'Asks for a quote', intent: 'price_quote' });
  });

  it.each([
    ['a refusal', null, "I'm sorry, I can't help with that.", 'the model refused'],
    ['empty content', '', null, 'empty answer'],
    ['content that is not JSON', 'Sure! Here you go', null, 'not valid JSON'],
    ['JSON off the schema', JSON.stringify({ action: 'maybe' }), null, 'answer does not match the schema'],
    ['a reply action without a reply', answer({ reply: '  ' }), null, 'empty reply'],
    ['a reply longer than WhatsApp allows', answer({ reply: 'a'.repeat(4097) }), null, 'reply too long for WhatsApp'],
  ])('hands over when the model returns %s', (_label, content, refusal, problem) => {
    expect(interpretAnswer(content, refusal, thread)).toEqual({
      decision: {
        action: 'handover',
        reason: `the AI answer could not be used (${problem})`,
        summary: 'Customer wrote: Do you ship to Spain?',
        intent: 'unknown',
        urgency: 'normal',
        source: 'model',
      },
      unusable: problem,
    });
  });
});

describe('the prompt', () => {
  it('maps the customer to user and the business to assistant, skipping system notices', () => {
    const messages = threadMessages([
      { authorKind: 'contact', type: 'text', body: 'hi' },
      { authorKind: 'system', type: 'text', body: 'conversation reopened' },
      { authorKind: 'ai', type: 'text', body: 'Hello!' },
      { authorKind: 'agent', type: 'text', body: 'Sara here' },
      { authorKind: 'contact', type: 'image', body: null },
    ]);
    expect(messages).toEqual([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'Hello!' },
      { role: 'assistant', content: 'Sara here' },
      { role: 'user', content: '[image message]' },
    ]);
  });

  it('includes the FAQ answers and appends the workspace instructions', () => {
    const prompt = systemPrompt({
      enabled: true,
      instructions: 'We are Kliovo Coffee. Be brief.',
      faq: [{ keywords: ['hours'], answer: 'Open 8 to 18.' }],
    });
    expect(prompt).toContain('- About hours: Open 8 to 18.');
    expect(prompt.trimEnd().endsWith('We are Kliovo Coffee. Be brief.')).toBe(true);
  });
});

describe('classifying provider errors', () => {
  const apiError = (status: number, headers: Record<string, string> = {}, code = 'some_code') =>
    OpenAI.APIError.generate(
      status,
      { error: { message: 'Incorrect API key provided: sk-sec***ret', type: 'x', param: null, code } },
      undefined,
      new Headers(headers),
    );

  it.each([429, 500, 503, 408])('retries HTTP %i', (status) => {
    const failure = toFailure(apiError(status), config) as ApplicationFailure;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: AI_TRANSIENT, nonRetryable: false });
  });

  it.each([400, 401, 403, 404, 422])('gives up on HTTP %i as AiUnavailable', (status) => {
    expect(toFailure(apiError(status), config)).toMatchObject({ type: ErrorType.AiUnavailable, nonRetryable: true });
  });

  it('treats an exhausted quota as a configuration problem, not a rate limit', () => {
    expect(toFailure(apiError(429, {}, 'insufficient_quota'), config)).toMatchObject({
      type: ErrorType.AiUnavailable,
      nonRetryable: true,
    });
  });

  it('never quotes the provider message, which can contain the key', () => {
    const failure = toFailure(apiError(401, {}, 'invalid_api_key'), config) as ApplicationFailure;
    expect(failure.message).toBe('OpenAI chat completion failed with HTTP 401 (invalid_api_key)');
  });

  it('retries timeouts and connection errors', () => {
    expect(toFailure(new OpenAI.APIConnectionTimeoutError(), config)).toMatchObject({
      type: AI_TRANSIENT,
      message: 'OpenAI request timed out after 1000 ms',
    });
    expect(toFailure(new OpenAI.APIConnectionError({ message: 'ECONNREFUSED' }), config)).toMatchObject({
      type: AI_TRANSIENT,
      nonRetryable: false,
    });
  });

  it('surfaces the cancellation when the activity was cancelled', () => {
    const controller = new AbortController();
    const reason = new Error('cancelled by Temporal');
    controller.abort(reason);
    expect(toFailure(new OpenAI.APIUserAbortError(), config, controller.signal)).toBe(reason);
  });

  it('reads Retry-After in milliseconds, seconds or as an HTTP date', () => {
    const now = Date.parse('2026-11-25T10:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '1500', 'retry-after': '9' }), now)).toBe(1500);
    expect(retryAfterMs(new Headers({ 'retry-after': '7' }), now)).toBe(7000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'Wed, 25 Nov 2026 10:00:30 GMT' }), now)).toBe(30_000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(retryAfterMs(new Headers(), now)).toBeUndefined();
    expect(retryAfterMs(new Headers({ 'retry-after': '86400' }), now)).toBe(600_000);
  });
});
