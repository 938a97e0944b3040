/**
 * A local stand-in for OpenAI's Chat Completions endpoint, `POST /v1/chat/completions`, speaking
 * its wire format: the documented `chat.completion` object on success and OpenAI's error envelope
 * `{ error: { message, type, param, code } }` otherwise. It records every request (also refused
 * ones) so tests assert what arrived on the wire, and answers with scripted first-response
 * decisions (JSON in `message.content`, as Structured Outputs would).
 *
 * Checks, in order: route (404), bearer key (401), body (400: model, messages and a strict
 * `json_schema` response_format are required, since that is all this product sends), then a
 * queued failNext() failure, then the responder. Also usable outside Jest (no Jest imports).
 *
 *   const openai = await startFakeOpenAi({ apiKey: 'test-key' });
 *   const ai = { apiKey: 'test-key', baseUrl: openai.baseUrl, model: 'gpt-test', timeoutMs: 5_000 };
 *   openai.failNext(429, undefined, { 'retry-after': '3' });
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatCompletion } from 'openai/resources/chat/completions';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or undefined when the body was not JSON. */
  body: unknown;
  rawBody: string;
}

/** The parts of a valid request body a responder gets (the rest is in `requests`). */
export interface ChatRequest {
  model: string;
  messages: { role: string; content: unknown }[];
  response_format: { type: 'json_schema'; json_schema: { name: string; strict?: boolean; schema: unknown } };
}

/** A first-response decision as the model would write it (strict schema: nullable, not optional). */
export interface ScriptedDecision {
  action: 'reply' | 'handover';
  reply: string | null;
  reason: string | null;
  summary: string;
  intent: string;
  urgency: 'low' | 'normal' | 'high' | 'urgent';
}

/**
 * What the assistant message carries: a decision (serialised as the JSON content), raw `content`
 * (e.g. 'not json' to test parsing), or a `refusal`.
 */
export type FakeAnswer =
  | ScriptedDecision
  | { content: string | null; refusal?: string | null; finishReason?: ChatCompletion.Choice['finish_reason'] };

/** May be async, e.g. to hold an answer back while a test cancels or times out the caller. */
export type Responder = (request: ChatRequest) => FakeAnswer | Promise<FakeAnswer>;

export interface FakeOpenAi {
  /** e.g. http://127.0.0.1:43121/v1; pass as the SDK's baseURL (AiConfig.baseUrl). */
  readonly baseUrl: string;
  /** Every request received, in order, including refused ones. */
  readonly requests: ReceivedRequest[];
  /** Replaces the responder for the following valid requests (until reset()). */
  respondWith(responder: Responder): void;
  /**
   * The next valid request is refused with `status`; `body` defaults to OpenAI's error envelope for
   * that status, `headers` are added to the response (e.g. `{ 'retry-after': '3' }`). Queues.
   */
  failNext(status: number, body?: unknown, headers?: Record<string, string>): void;
  /** Resolves once at least `n` requests arrived; rejects after `timeoutMs`. */
  waitForRequests(n: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  /** Forgets requests and queued failures and restores the default responder. */
  reset(): void;
  close(): Promise<void>;
}

export interface FakeOpenAiOptions {
  /** 0 or omitted: a free port. */
  port?: number;
  /** When given, only this key is accepted; otherwise any non-empty bearer token is. */
  apiKey?: string;
}

interface Refusal {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const COMPLETIONS_PATH = '/v1/chat/completions';
const POLL_INTERVAL_MS = 10;

export async function startFakeOpenAi(opts: FakeOpenAiOptions = {}): Promise<FakeOpenAi> {
  const requests: ReceivedRequest[] = [];
  const failures: Refusal[] = [];
  let responder: Responder = defaultResponder;

  const answer = async (req: IncomingMessage, res: ServerResponse, rawBody: string): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://fake-openai').pathname;
    const body = parseJson(rawBody);
    requests.push({ method: req.method ?? '', path, headers: req.headers, body, rawBody });
    const refusal =
      routeError(req.method, path) ?? authError(req.headers, opts.apiKey) ?? bodyError(body) ?? failures.shift();
    if (refusal) {
      sendJson(res, refusal.status, refusal.body, refusal.headers);
      return;
    }
    let completion: ChatCompletion;
    try {
      completion = chatCompletion(body as ChatRequest, await responder(body as ChatRequest));
    } catch (err) {
      sendJson(res, 500, openAiError(`fake OpenAI responder threw: ${String(err)}`, 'server_error'));
      return;
    }
    sendJson(res, 200, completion);
  };
  const server = createServer((req, res) => {
    readBody(req)
      .then((rawBody) => answer(req, res, rawBody))
      .catch(() => res.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    respondWith(fn) {
      responder = fn;
    },
    failNext(status, body, headers) {
      failures.push({ status, body: body ?? defaultErrorBody(status), headers });
    },
    async waitForRequests(n, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < n) {
        if (Date.now() > deadline) {
          throw new Error(`fake OpenAI: expected ${n} requests within ${timeoutMs} ms, got ${requests.length}`);
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
      }
      return [...requests];
    },
    reset() {
      requests.length = 0;
      failures.length = 0;
      responder = defaultResponder;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // The SDK keeps connections alive; without this close() waits for them to idle out.
        server.closeAllConnections();
      }),
  };
}

/**
 * The default script, keyed on the last user message (case-insensitive):
 * price/pricing → handover 'pricing'; refund/complaint → handover 'complaint'; sales → handover
 * 'sales'; anything else → a reply "Thanks for your message! …" with intent 'general'.
 */
export function defaultResponder(request: ChatRequest): ScriptedDecision {
  const text = lastUserText(request).toLowerCase();
  const summary = `Customer wrote: ${lastUserText(request).replace(/\s+/g, ' ').trim().slice(0, 150)}`;
  const handover = (intent: string, reason: string, urgency: ScriptedDecision['urgency']): ScriptedDecision => ({
    action: 'handover',
    reply: null,
    reason,
    summary,
    intent,
    urgency,
  });
  if (/\b(price|prices|pricing)\b/.test(text)) return handover('pricing', 'pricing questions go to the team', 'normal');
  if (/\b(refund|refunds|complaint|complaints)\b/.test(text)) {
    return handover('complaint', 'complaints and refunds need a person', 'high');
  }
  if (/\bsales\b/.test(text)) return handover('sales', 'the customer wants to talk to sales', 'normal');
  return {
    action: 'reply',
    reply: 'Thanks for your message! We are happy to help.',
    reason: null,
    summary,
    intent: 'general',
    urgency: 'low',
  };
}

/** The text of the last `user` message (string content or text parts). */
export function lastUserText(request: ChatRequest): string {
  const last = [...request.messages].reverse().find((message) => message.role === 'user');
  if (typeof last?.content === 'string') return last.content;
  if (Array.isArray(last?.content)) {
    return last.content
      .map((part: unknown) => (isRecord(part) && typeof part.text === 'string' ? part.text : ''))
      .join(' ');
  }
  return '';
}

/** The documented chat.completion object (one choice). */
function chatCompletion(request: ChatRequest, answer: FakeAnswer): ChatCompletion {
  const { content, refusal, finishReason } =
    'action' in answer
      ? { content: JSON.stringify(answer), refusal: null, finishReason: 'stop' as const }
      : { content: answer.content, refusal: answer.refusal ?? null, finishReason: answer.finishReason ?? 'stop' };
  const promptTokens = Math.ceil(JSON.stringify(request.messages).length / 4);
  const completionTokens = Math.ceil((content ?? refusal ?? '').length / 4);
  return {
    id: `chatcmpl-${randomBytes(15).toString('base64url')}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: request.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: refusal ? null : content, refusal, annotations: [] },
        logprobs: null,
        finish_reason: finishReason,
      },
    ],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
    service_tier: 'default',
  };
}

function routeError(method: string | undefined, path: string): Refusal | undefined {
  if (method === 'POST' && path === COMPLETIONS_PATH) return undefined;
  // OpenAI's answer for an unknown route.
  return { status: 404, body: openAiError(`Invalid URL (${method ?? ''} ${path})`, 'invalid_request_error') };
}

function authError(headers: IncomingHttpHeaders, apiKey: string | undefined): Refusal | undefined {
  const token = /^Bearer (\S+)$/.exec(headers.authorization ?? '')?.[1];
  if (token === undefined) {
    return {
      status: 401,
      body: openAiError(
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        'invalid_request_error',
      ),
    };
  }
  if (apiKey !== undefined && token !== apiKey) {
    // OpenAI quotes a masked key; the fake masks all of it.
    return {
      status: 401,
      body: openAiError('Incorrect API key provided: ********.', 'invalid_request_error', null, 'invalid_api_key'),
    };
  }
  return undefined;
}

/** What this product must send; the messages mirror OpenAI's wording for the same mistakes. */
function bodyError(body: unknown): Refusal | undefined {
  const invalid = (message: string, param: string | null, code: string | null = null): Refusal => ({
    status: 400,
    body: openAiError(message, 'invalid_request_error', param, code),
  });
  if (!isRecord(body)) return invalid('We could not parse the JSON body of your request.', null);
  if (typeof body.model !== 'string' || !body.model) {
    return invalid("Missing required parameter: 'model'.", 'model', 'missing_required_parameter');
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return invalid("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
  }
  for (const [i, message] of body.messages.entries()) {
    if (!isRecord(message) || !['system', 'developer', 'user', 'assistant', 'tool'].includes(String(message.role))) {
      return invalid(`Invalid value for 'messages[${i}].role'.`, `messages[${i}].role`, 'invalid_value');
    }
    if (message.content === undefined || message.content === null) {
      return invalid(`Missing required parameter: 'messages[${i}].content'.`, `messages[${i}].content`);
    }
  }
  if (body.stream === true) return invalid('This fake OpenAI server does not stream.', 'stream');
  const format = body.response_format;
  if (!isRecord(format) || format.type !== 'json_schema' || !isRecord(format.json_schema)) {
    return invalid('This fake expects response_format of type json_schema.', 'response_format');
  }
  const { name, schema, strict } = format.json_schema;
  if (typeof name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
    return invalid("Invalid 'response_format.json_schema.name'.", 'response_format.json_schema.name', 'invalid_value');
  }
  if (!isRecord(schema)) {
    return invalid("Missing required parameter: 'response_format.json_schema.schema'.", 'response_format');
  }
  const schemaProblem = strict === true ? strictSchemaProblem(schema, []) : undefined;
  if (schemaProblem) {
    return invalid(
      `Invalid schema for response_format '${name}': ${schemaProblem}`,
      'response_format',
      'invalid_json_schema',
    );
  }
  return undefined;
}

/**
 * Structured Outputs' strict-mode rules for objects: `additionalProperties: false` and every
 * property listed in `required` (optional fields are expressed as nullable types instead).
 */
function strictSchemaProblem(schema: Record<string, unknown>, path: string[]): string | undefined {
  const where = `In context=(${path.map((p) => `'${p}'`).join(', ')})`;
  if (schema.type === 'object' || isRecord(schema.properties)) {
    const properties = isRecord(schema.properties) ? schema.properties : {};
    if (schema.additionalProperties !== false) {
      return `${where}, 'additionalProperties' is required to be supplied and to be false.`;
    }
    const required = Array.isArray(schema.required) ? schema.required : [];
    const missing = Object.keys(properties).find((key) => !required.includes(key));
    if (missing !== undefined) {
      return `${where}, 'required' is required to be supplied and to be an array including every key in properties. Missing '${missing}'.`;
    }
    for (const [key, value] of Object.entries(properties)) {
      const problem = isRecord(value) ? strictSchemaProblem(value, [...path, 'properties', key]) : undefined;
      if (problem) return problem;
    }
  }
  if (isRecord(schema.items)) return strictSchemaProblem(schema.items, [...path, 'items']);
  return undefined;
}

/** The body OpenAI sends with each status, for failNext() without a body. */
function defaultErrorBody(status: number): unknown {
  if (status === 401) {
    return openAiError('Incorrect API key provided: ********.', 'invalid_request_error', null, 'invalid_api_key');
  }
  if (status === 403) return openAiError('You are not allowed to sample from this model', 'invalid_request_error');
  if (status === 404) {
    return openAiError(
      'The model does not exist or you do not have access to it.',
      'invalid_request_error',
      null,
      'model_not_found',
    );
  }
  if (status === 429) {
    return openAiError(
      'Rate limit reached for requests. Please try again later.',
      'requests',
      null,
      'rate_limit_exceeded',
    );
  }
  if (status >= 500) {
    return openAiError('The server had an error while processing your request. Sorry about that!', 'server_error');
  }
  return openAiError(`Request failed with status ${status}.`, 'invalid_request_error');
}

function openAiError(message: string, type: string, param: string | null = null, code: string | null = null) {
  return { error: { message, type, param, code } };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sendJson(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'x-request-id': `req_${randomBytes(16).toString('hex')}`,
  });
  res.end(text);
}
