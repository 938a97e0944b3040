/**
 * The model half of the AI first response (DESIGN §3): one Chat Completions call through the
 * official `openai` SDK with Structured Outputs (a strict JSON schema), its answer validated and
 * turned into an AiDecision.
 *
 * Temporal owns retries (TECH-NOTES §3.8), so the SDK's are off and each failure is classified
 * once: rate limits, 5xx and network trouble are retryable (honouring Retry-After); a refused key,
 * an unknown model or a rejected request is AiUnavailable and not retried. An answer that cannot
 * be used (refusal, not JSON, off-schema, an empty reply) is not an error at all: it becomes a
 * handover, because a human can always take over. No key and no message text in errors or logs.
 */
import { ApplicationFailure } from '@temporalio/common';
import OpenAI from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { z } from 'zod';
import { ErrorType } from '../../workflows/shared/errors';
import { messageText, summaryExcerpt, type ThreadMessage } from './thread';
import type { AiConfig, AiDecision, AiSettings } from './types';

/** ApplicationFailure type of a retryable provider failure (not in ErrorType: nobody matches on it). */
export const AI_TRANSIENT = 'AiTransient';

/** WhatsApp's text limit (WIRE.md §2): a longer reply could not be sent as one message. */
const MAX_REPLY_CHARS = 4096;
/** A Retry-After beyond this is treated as this, so a misbehaving proxy cannot park a conversation. */
const MAX_RETRY_DELAY_MS = 10 * 60_000;

const URGENCIES = ['low', 'normal', 'high', 'urgent'] as const;

/** The Structured Outputs schema. Strict mode: every property required, optional ones nullable. */
export const FIRST_RESPONSE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['action', 'reply', 'reason', 'summary', 'intent', 'urgency'],
  properties: {
    action: {
      type: 'string',
      enum: ['reply', 'handover'],
      description: 'reply: answer the customer yourself; handover: a human agent takes over.',
    },
    reply: {
      type: ['string', 'null'],
      description: 'The message to send to the customer, in their language; null when handing over.',
    },
    reason: {
      type: ['string', 'null'],
      description: 'Why a human should take over, for the agent; null when replying.',
    },
    summary: {
      type: 'string',
      description: 'One or two sentences for the agent who may pick the conversation up.',
    },
    intent: {
      type: 'string',
      description: 'A short snake_case label such as order_status, opening_hours, pricing, complaint, refund.',
    },
    urgency: { type: 'string', enum: [...URGENCIES] },
  },
} as const;

const modelAnswerSchema = z.object({
  action: z.enum(['reply', 'handover']),
  reply: z.string().nullable(),
  reason: z.string().nullable(),
  summary: z.string(),
  intent: z.string(),
  urgency: z.enum(URGENCIES),
});

export interface DecideOptions {
  /** The activity's cancellationSignal(): aborts the HTTP request when Temporal cancels. */
  signal?: AbortSignal;
  /** The activity logger; gets problem kinds and codes only, never the key or message text (STYLE §9). */
  log?: { warn(message: string, meta?: Record<string, unknown>): void };
}

export interface OpenAiResponder {
  decide(thread: readonly ThreadMessage[], settings: AiSettings, options?: DecideOptions): Promise<AiDecision>;
}

/** One SDK client per activity group (STYLE §4: no module-level clients). */
export function createOpenAiResponder(config: AiConfig & { apiKey: string }): OpenAiResponder {
  const client = new OpenAI({
    apiKey: config.apiKey,
    baseURL: config.baseUrl,
    maxRetries: 0,
    timeout: config.timeoutMs,
  });

  return {
    async decide(thread, settings, { signal, log } = {}) {
      let completion: OpenAI.Chat.Completions.ChatCompletion;
      try {
        completion = await client.chat.completions.create(
          {
            model: config.model,
            messages: [{ role: 'system', content: systemPrompt(settings) }, ...threadMessages(thread)],
            response_format: {
              type: 'json_schema',
              json_schema: { name: 'first_response', strict: true, schema: FIRST_RESPONSE_SCHEMA },
            },
          },
          { signal },
        );
      } catch (err) {
        throw toFailure(err, config, signal);
      }
      const message = completion.choices[0]?.message;
      const outcome = interpretAnswer(message?.content, message?.refusal, thread);
      if (outcome.unusable) {
        log?.warn('AI answer unusable, handing over', {
          problem: outcome.unusable,
          finishReason: completion.choices[0]?.finish_reason ?? null,
        });
      }
      return outcome.decision;
    },
  };
}

/** The product's role, the FAQ it may quote and the workspace's own instructions. */
export function systemPrompt(settings: AiSettings): string {
  const lines = [
    'You write the first response for a business in its WhatsApp inbox. A team of human agents works behind you.',
    'Answer only simple questions you are sure about from the information below. Never invent facts: no prices, dates, stock, policies or promises that are not written here.',
    'Hand over to a human (action "handover", with a short reason for the agent) for pricing or quotes, complaints, refunds, anything you are unsure of, and whenever the customer asks for a person.',
    'When you reply, write a short, friendly WhatsApp message in the language the customer used.',
    'Always fill summary (one or two sentences for the agent), intent (a snake_case label) and urgency (low, normal, high or urgent).',
  ];
  const faq = settings.faq.filter((entry) => entry.answer.trim());
  if (faq.length > 0) {
    lines.push('', 'Known answers (FAQ) you may give, in your own words:');
    for (const entry of faq) lines.push(`- About ${entry.keywords.join(', ')}: ${entry.answer.trim()}`);
  }
  if (settings.instructions.trim()) {
    lines.push('', "The business's own instructions:", settings.instructions.trim());
  }
  return lines.join('\n');
}

/** The thread as chat turns: the customer is the user; the business (agents and AI) the assistant. */
export function threadMessages(thread: readonly ThreadMessage[]): ChatCompletionMessageParam[] {
  const turns: ChatCompletionMessageParam[] = [];
  for (const message of thread) {
    if (message.authorKind === 'contact') turns.push({ role: 'user', content: messageText(message) });
    else if (message.authorKind === 'agent' || message.authorKind === 'ai')
      turns.push({ role: 'assistant', content: messageText(message) });
    // System messages (notices the product wrote) are not part of the dialogue the model continues.
  }
  return turns;
}

type Outcome = { decision: AiDecision; unusable?: string };

/** The model's JSON as a decision; anything unusable becomes a handover naming the problem. */
export function interpretAnswer(
  content: string | null | undefined,
  refusal: string | null | undefined,
  thread: readonly ThreadMessage[],
): Outcome {
  const handover = (problem: string): Outcome => ({
    decision: {
      action: 'handover',
      reason: `the AI answer could not be used (${problem})`,
      summary: summaryExcerpt(thread),
      intent: 'unknown',
      urgency: 'normal',
      source: 'model',
    },
    unusable: problem,
  });

  if (refusal) return handover('the model refused');
  if (!content?.trim()) return handover('empty answer');
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch {
    return handover('not valid JSON');
  }
  const parsed = modelAnswerSchema.safeParse(json);
  if (!parsed.success) return handover('answer does not match the schema');
  const answer = parsed.data;

  const summary = singleLine(answer.summary) || summaryExcerpt(thread);
  const intent = snakeCase(answer.intent) || 'unknown';
  if (answer.action === 'reply') {
    const reply = answer.reply?.trim() ?? '';
    if (!reply) return handover('empty reply');
    if (Array.from(reply).length > MAX_REPLY_CHARS) return handover('reply too long for WhatsApp');
    return { decision: { action: 'reply', reply, summary, intent, urgency: answer.urgency, source: 'model' } };
  }
  return {
    decision: {
      action: 'handover',
      reason: singleLine(answer.reason ?? '') || 'the AI chose to hand over',
      summary,
      intent,
      urgency: answer.urgency,
      source: 'model',
    },
  };
}

/**
 * Classifies an SDK error as a Temporal failure. Messages carry only the status and OpenAI's error
 * code: the SDK's own message can quote the (masked) key or parts of the request.
 */
export function toFailure(err: unknown, config: AiConfig, signal?: AbortSignal): unknown {
  // Cancelled by Temporal: surface the cancellation itself, not an SDK abort error.
  if (signal?.aborted) return signal.reason instanceof Error ? signal.reason : err;
  if (err instanceof OpenAI.APIConnectionTimeoutError) {
    return transient(`OpenAI request timed out after ${config.timeoutMs} ms`);
  }
  if (err instanceof OpenAI.APIConnectionError) return transient('could not reach the OpenAI API');
  if (!(err instanceof OpenAI.APIError) || err.status === undefined) return err;

  const code = safeCode(err.code);
  const message = `OpenAI chat completion failed with HTTP ${err.status}${code ? ` (${code})` : ''}`;
  // A 429 for an exhausted quota or billing limit is a configuration problem, not a rate.
  if (err.status === 429 && code === 'insufficient_quota') {
    return ApplicationFailure.nonRetryable(message, ErrorType.AiUnavailable);
  }
  if (err.status === 408 || err.status === 409 || err.status === 429 || err.status >= 500) {
    return transient(message, retryAfterMs(err.headers));
  }
  return ApplicationFailure.nonRetryable(message, ErrorType.AiUnavailable);
}

function transient(message: string, nextRetryDelay?: number): ApplicationFailure {
  return ApplicationFailure.create({ message, type: AI_TRANSIENT, nonRetryable: false, nextRetryDelay });
}

/** OpenAI sends `retry-after-ms` (its own) and the standard `retry-after` (seconds or an HTTP date). */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | undefined {
  const ms = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms > 0) return Math.min(Math.ceil(ms), MAX_RETRY_DELAY_MS);
  const value = headers?.get('retry-after')?.trim();
  if (!value) return undefined;
  const seconds = Number(value);
  const delay = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now;
  return Number.isFinite(delay) && delay > 0 ? Math.min(Math.ceil(delay), MAX_RETRY_DELAY_MS) : undefined;
}

function safeCode(code: string | null | undefined): string | undefined {
  return code && /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? code : undefined;
}

function singleLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function snakeCase(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 40);
}
