/**
 * A local stand-in for the WhatsApp Cloud API send endpoint, `POST /:version/:phoneNumberId/messages`
 * (WIRE.md §2). It checks each request the way Meta documents it, answers the §2.3 success shape or
 * Meta's §2.4 error envelope, and records every request so tests assert what arrived on the wire.
 * Also the "Meta sandbox" behind the demo `npm start`, so it must not import Jest.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeGraphRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or undefined when the body was not JSON. */
  body: unknown;
  rawBody: string;
}

export interface FakeGraphError {
  httpStatus: number;
  code: number;
  message: string;
  details?: string;
}

export interface FakeGraph {
  /** e.g. http://127.0.0.1:43121; pass as the adapter's graphBaseUrl. */
  readonly url: string;
  readonly requests: FakeGraphRequest[];
  /** The next `count` valid sends are refused with `error` instead of accepted. */
  failNext(count: number, error: FakeGraphError): void;
  /** Resolves once at least `n` requests arrived; rejects after `timeoutMs`. */
  waitForRequests(n: number, timeoutMs?: number): Promise<FakeGraphRequest[]>;
  reset(): void;
  close(): Promise<void>;
}

export interface FakeGraphOptions {
  /** 0 or omitted: a free port. */
  port?: number;
  /** When given, only these bearer tokens are accepted; otherwise any non-empty token is. */
  accessTokens?: string[];
}

const SEND_ROUTE = /^\/v\d+\.\d+\/[^/]+\/messages$/;
const MAX_TEXT_LENGTH = 4096;
const POLL_INTERVAL_MS = 10;

export async function startFakeGraph(opts: FakeGraphOptions = {}): Promise<FakeGraph> {
  const requests: FakeGraphRequest[] = [];
  const failures: FakeGraphError[] = [];

  const answer = (req: IncomingMessage, res: ServerResponse, rawBody: string): void => {
    const path = new URL(req.url ?? '/', 'http://fake-graph').pathname;
    const body = parseJson(rawBody);
    requests.push({ method: req.method ?? '', path, headers: req.headers, body, rawBody });
    // Route, then token, then body; a queued failure only replaces an otherwise valid send.
    const refusal =
      routeError(req.method, path) ??
      authError(req.headers, opts.accessTokens) ??
      bodyError(req.headers, body) ??
      failures.shift();
    if (refusal) sendJson(res, refusal.httpStatus, graphErrorEnvelope(refusal));
    else sendJson(res, 200, acceptedResponse(body));
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
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext(count, error) {
      for (let i = 0; i < count; i++) failures.push(error);
    },
    async waitForRequests(n, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < n) {
        if (Date.now() > deadline) {
          throw new Error(`fake Graph: expected ${n} requests within ${timeoutMs} ms, got ${requests.length}`);
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
      }
      return [...requests];
    },
    reset() {
      requests.length = 0;
      failures.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // fetch keeps connections alive; without this close() waits for them to idle out.
        server.closeAllConnections();
      }),
  };
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

/** Graph answers unknown objects/edges with code 100 ("Unsupported post request"). */
function routeError(method: string | undefined, path: string): FakeGraphError | undefined {
  if (method === 'POST' && SEND_ROUTE.test(path)) return undefined;
  return {
    httpStatus: 404,
    code: 100,
    message: `Unsupported ${method?.toLowerCase() ?? ''} request`,
    details: `No route ${method ?? ''} ${path} on this fake Graph API`,
  };
}

function authError(headers: IncomingHttpHeaders, accessTokens: string[] | undefined): FakeGraphError | undefined {
  const token = /^Bearer (\S+)$/.exec(headers.authorization ?? '')?.[1];
  if (token === undefined) {
    return { httpStatus: 401, code: 190, message: 'Invalid OAuth access token - Cannot parse access token' };
  }
  if (accessTokens && !accessTokens.includes(token)) {
    return { httpStatus: 401, code: 190, message: 'Error validating access token: Session has expired' };
  }
  return undefined;
}

/** The documented text send (WIRE.md §2.2); this fake speaks text only. */
function bodyError(headers: IncomingHttpHeaders, body: unknown): FakeGraphError | undefined {
  const invalid = (message: string, code = 100): FakeGraphError => ({ httpStatus: 400, code, message });
  if (!headers['content-type']?.startsWith('application/json') || !isRecord(body)) {
    return invalid('Invalid parameter: the body must be a JSON object');
  }
  if (body.messaging_product !== 'whatsapp') return invalid('The parameter messaging_product is required');
  if (typeof body.to !== 'string' || !body.to.startsWith('+') || !/\d/.test(body.to)) {
    return invalid("Invalid parameter: 'to' must be a phone number with '+' and country code");
  }
  if (body.type !== 'text') return invalid(`Invalid parameter: this fake only accepts type 'text'`);
  const text = isRecord(body.text) ? body.text.body : undefined;
  if (typeof text !== 'string' || text.length === 0) {
    return invalid("The parameter text['body'] is required.", 131008);
  }
  if ([...text].length > MAX_TEXT_LENGTH) {
    return invalid(`Param text['body'] must be at most ${MAX_TEXT_LENGTH} characters long.`);
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Meta's error envelope (WIRE.md §2.4), including its "(#code)" message prefix. */
function graphErrorEnvelope(error: FakeGraphError): unknown {
  return {
    error: {
      message: `(#${error.code}) ${error.message}`,
      type: 'OAuthException',
      code: error.code,
      error_data: { messaging_product: 'whatsapp', details: error.details ?? error.message },
      fbtrace_id: randomBytes(12).toString('base64url'),
    },
  };
}

/** The §2.3 success shape; `message_status` appears only for paced templates, so not here. */
function acceptedResponse(body: unknown): unknown {
  const to = isRecord(body) && typeof body.to === 'string' ? body.to : '';
  return {
    messaging_product: 'whatsapp',
    contacts: [{ input: to, wa_id: to.replace(/\D/g, '') }],
    messages: [{ id: `wamid.${randomBytes(24).toString('base64')}` }],
  };
}

function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
