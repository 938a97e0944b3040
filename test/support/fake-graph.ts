/**
 * A local stand-in for the Meta Graph API edges the inbox uses, speaking WIRE.md's formats:
 *
 * - `POST /:version/:node/messages` – WhatsApp Cloud API sends of every type (text, media,
 *   template, interactive buttons/list, reaction; WIRE.md §2.2) and read receipts / typing
 *   indicators (`status: read`), answered with §2.3's success shape or `{ success: true }`;
 *   Messenger/Instagram Send API messages and sender actions (WIRE.md §4.4) with the
 *   `messaging_type`/`tag` rules, answered with `{ recipient_id, message_id }`.
 * - `GET /:version/:media-id` and `GET <url>` – the WhatsApp media download of WIRE.md §2.5 (both
 *   need the bearer token; the URL expires), plus `GET /cdn/:id` standing in for the public,
 *   token-less Messenger/Instagram CDN. Tests register bytes with `addMedia`.
 *
 * - `GET /:version/:waba-id/message_templates` – a WhatsApp Business Account's templates, paged
 *   with `limit` and the `after` cursor (`{ data, paging: { cursors, next? } }`, Graph API reference);
 *   tests register them with `addTemplates`.
 *
 * Each request is checked the way Meta documents it, refused with Meta's §2.4 error envelope when
 * it breaks a rule, and recorded so tests assert what arrived on the wire.
 * Also the "Meta sandbox" behind the demo `npm start`, so it must not import Jest.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a request did: message sends, read receipts/typing/sender actions, media look-ups and downloads. */
export type FakeGraphOperation = 'send' | 'markRead' | 'media' | 'download' | 'templates' | 'other';

/** A template as the Business Management API lists it (`fields=name,language,status,category,components`). */
export interface FakeTemplate {
  name: string;
  language: string;
  /** APPROVED unless told otherwise. */
  status?: string;
  /** UTILITY unless told otherwise. */
  category?: string;
  /** Defaults to one BODY component with `body`. */
  components?: Record<string, unknown>[];
  /** Shorthand for a BODY component, e.g. 'Your order {{1}} has shipped.' */
  body?: string;
}

export interface FakeGraphRequest {
  method: string;
  path: string;
  /** Query parameters (last value wins). */
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or undefined when the body was not JSON. */
  body: unknown;
  rawBody: string;
  operation: FakeGraphOperation;
}

export interface FakeGraphError {
  httpStatus: number;
  code: number;
  message: string;
  details?: string;
  /** Graph `error_subcode`, e.g. 2018278 with code 10 for a Messenger send outside the window. */
  subcode?: number;
}

export interface FakeGraph {
  /** e.g. http://127.0.0.1:43121; pass as the adapter's graphBaseUrl. */
  readonly url: string;
  readonly requests: FakeGraphRequest[];
  /**
   * The next `count` otherwise valid requests of operation `on` (default: message sends) are
   * refused with `error` instead of accepted.
   */
  failNext(count: number, error: FakeGraphError, on?: FakeGraphOperation): void;
  /** Resolves once at least `n` requests arrived; rejects after `timeoutMs`. */
  waitForRequests(n: number, timeoutMs?: number): Promise<FakeGraphRequest[]>;
  /**
   * Registers media a webhook can point at: WhatsApp `GET /<version>/<id>` then the download
   * URL it returns (bearer token required), and the token-less CDN URL returned here (the
   * Messenger/Instagram `payload.url`).
   */
  addMedia(id: string, bytes: Buffer | Uint8Array | string, mimeType: string): string;
  /**
   * Registers templates of a WhatsApp Business Account for `GET /<version>/<wabaId>/message_templates`
   * (added to any registered before; the same name and language replaces).
   */
  addTemplates(wabaId: string, templates: FakeTemplate[]): void;
  /** Forgets requests and queued failures; registered media and templates stay. */
  reset(): void;
  close(): Promise<void>;
}

export interface FakeGraphOptions {
  /** 0 or omitted: a free port. */
  port?: number;
  /** When given, only these bearer tokens are accepted; otherwise any non-empty token is. */
  accessTokens?: string[];
  /** How long a WhatsApp media download URL works (Meta: 5 minutes, WIRE.md §2.5). */
  mediaUrlTtlMs?: number;
}

const VERSION = String.raw`v\d+\.\d+`;
const SEND_ROUTE = new RegExp(`^/${VERSION}/[^/]+/messages$`);
const MEDIA_ROUTE = new RegExp(`^/${VERSION}/([^/]+)$`);
const DOWNLOAD_ROUTE = /^\/whatsapp_business\/attachments\/?$/;
const CDN_ROUTE = /^\/cdn\/([^/]+)$/;
const TEMPLATES_ROUTE = new RegExp(`^/${VERSION}/([^/]+)/message_templates$`);
/** Graph's default page size when `limit` is absent. */
const DEFAULT_TEMPLATE_PAGE = 25;
const POLL_INTERVAL_MS = 10;
const DEFAULT_MEDIA_URL_TTL_MS = 5 * 60_000;

interface StoredMedia {
  bytes: Buffer;
  mimeType: string;
}

type Answer =
  | { kind: 'json'; status: number; payload: unknown }
  | { kind: 'bytes'; status: number; bytes: Buffer; mimeType: string };

export async function startFakeGraph(opts: FakeGraphOptions = {}): Promise<FakeGraph> {
  const requests: FakeGraphRequest[] = [];
  const failures: { on: FakeGraphOperation; error: FakeGraphError }[] = [];
  const media = new Map<string, StoredMedia>();
  const templates = new Map<string, FakeTemplate[]>();
  const ttlMs = opts.mediaUrlTtlMs ?? DEFAULT_MEDIA_URL_TTL_MS;
  let baseUrl = '';

  const takeFailure = (on: FakeGraphOperation): FakeGraphError | undefined => {
    const index = failures.findIndex((f) => f.on === on);
    return index < 0 ? undefined : failures.splice(index, 1)[0]?.error;
  };

  const answer = (req: IncomingMessage, rawBody: string): { operation: FakeGraphOperation; answer: Answer } => {
    const url = new URL(req.url ?? '/', 'http://fake-graph');
    const path = url.pathname;
    const method = req.method ?? '';
    const body = parseJson(rawBody);
    const auth = () => authError(req.headers, opts.accessTokens);

    if (method === 'POST' && SEND_ROUTE.test(path)) {
      const family = isRecord(body) && 'recipient' in body && !('messaging_product' in body) ? 'meta' : 'whatsapp';
      const operation = isMarkRead(body) ? 'markRead' : 'send';
      const refusal =
        auth() ??
        (family === 'whatsapp' ? whatsAppBodyError(req.headers, body) : metaBodyError(req.headers, body)) ??
        takeFailure(operation);
      if (refusal) return { operation, answer: errorAnswer(refusal, family) };
      return { operation, answer: { kind: 'json', status: 200, payload: acceptedResponse(family, body) } };
    }

    if (method === 'GET' && DOWNLOAD_ROUTE.test(path)) {
      const refusal = auth();
      if (refusal) return { operation: 'download', answer: errorAnswer(refusal, 'whatsapp') };
      const stored = media.get(url.searchParams.get('mid') ?? '');
      const expiresAt = Number(url.searchParams.get('ext') ?? 0) * 1000;
      // An expired or unknown link answers 404: fetch a fresh URL (WIRE.md §2.5).
      if (!stored || expiresAt < Date.now()) return { operation: 'download', answer: notFound(path) };
      return { operation: 'download', answer: { kind: 'bytes', status: 200, ...stored } };
    }

    const cdn = CDN_ROUTE.exec(path);
    if (method === 'GET' && cdn) {
      const stored = media.get(decodeURIComponent(cdn[1] ?? ''));
      if (!stored) return { operation: 'download', answer: notFound(path) };
      return { operation: 'download', answer: { kind: 'bytes', status: 200, ...stored } };
    }

    const mediaRoute = MEDIA_ROUTE.exec(path);
    if ((method === 'GET' || method === 'DELETE') && mediaRoute) {
      const id = decodeURIComponent(mediaRoute[1] ?? '');
      const stored = media.get(id);
      const refusal =
        auth() ??
        (stored ? undefined : unknownObject(method, id)) ??
        (method === 'GET' ? takeFailure('media') : undefined);
      if (refusal) return { operation: 'media', answer: errorAnswer(refusal, 'whatsapp') };
      if (method === 'DELETE') {
        media.delete(id);
        return { operation: 'other', answer: { kind: 'json', status: 200, payload: { success: true } } };
      }
      return { operation: 'media', answer: { kind: 'json', status: 200, payload: mediaInfo(id, stored!) } };
    }

    const templatesRoute = TEMPLATES_ROUTE.exec(path);
    if (method === 'GET' && templatesRoute) {
      const wabaId = decodeURIComponent(templatesRoute[1] ?? '');
      const listed = templates.get(wabaId);
      const refusal = auth() ?? (listed ? undefined : unknownObject(method, wabaId)) ?? takeFailure('templates');
      if (refusal) return { operation: 'templates', answer: errorAnswer(refusal, 'whatsapp') };
      return {
        operation: 'templates',
        answer: { kind: 'json', status: 200, payload: templatePage(url, listed!) },
      };
    }

    return { operation: 'other', answer: errorAnswer(routeError(method, path), 'whatsapp') };
  };

  /** One page from `after` (an opaque cursor: the offset, base64) of `limit` templates. */
  function templatePage(url: URL, listed: FakeTemplate[]): unknown {
    const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? DEFAULT_TEMPLATE_PAGE) || 1, 1), 1000);
    const after = url.searchParams.get('after');
    const start = after ? Number(Buffer.from(after, 'base64url').toString('utf8')) || 0 : 0;
    const fields = (url.searchParams.get('fields') ?? 'name,language,status,category,components').split(',');
    const slice = listed.slice(start, start + limit);
    const cursor = (offset: number) => Buffer.from(String(offset)).toString('base64url');
    const data = slice.map((t, i) => {
      const full: Record<string, unknown> = {
        name: t.name,
        language: t.language,
        status: t.status ?? 'APPROVED',
        category: t.category ?? 'UTILITY',
        components: t.components ?? [{ type: 'BODY', text: t.body ?? '' }],
        id: String(900000000000000 + start + i),
      };
      // Graph answers the requested fields plus the id.
      return Object.fromEntries(Object.entries(full).filter(([k]) => k === 'id' || fields.includes(k)));
    });
    const hasNext = start + limit < listed.length;
    const next = new URL(`${baseUrl}${url.pathname}`);
    for (const [k, v] of url.searchParams) if (k !== 'after') next.searchParams.set(k, v);
    next.searchParams.set('after', cursor(start + limit));
    return {
      data,
      paging: {
        cursors: { before: cursor(start), after: cursor(start + Math.max(slice.length, 1)) },
        ...(hasNext && { next: next.toString() }),
      },
    };
  }

  function mediaInfo(id: string, stored: StoredMedia): unknown {
    const ext = Math.floor((Date.now() + ttlMs) / 1000);
    const hash = randomBytes(8).toString('base64url');
    return {
      messaging_product: 'whatsapp',
      url: `${baseUrl}/whatsapp_business/attachments/?mid=${encodeURIComponent(id)}&ext=${ext}&hash=${hash}`,
      mime_type: stored.mimeType,
      sha256: createHash('sha256').update(stored.bytes).digest('hex'),
      // A string, as in WIRE.md §2.5's example; clients accept numbers too.
      file_size: String(stored.bytes.length),
      id,
    };
  }

  const server = createServer((req, res) => {
    readBody(req)
      .then((rawBody) => {
        const { operation, answer: result } = answer(req, rawBody);
        const url = new URL(req.url ?? '/', 'http://fake-graph');
        requests.push({
          method: req.method ?? '',
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers: req.headers,
          body: parseJson(rawBody),
          rawBody,
          operation,
        });
        if (result.kind === 'json') sendJson(res, result.status, result.payload);
        else sendBytes(res, result.status, result.bytes, result.mimeType);
      })
      .catch(() => res.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;

  return {
    url: baseUrl,
    requests,
    failNext(count, error, on = 'send') {
      for (let i = 0; i < count; i++) failures.push({ on, error });
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
    addMedia(id, bytes, mimeType) {
      media.set(id, { bytes: Buffer.from(bytes), mimeType });
      return `${baseUrl}/cdn/${encodeURIComponent(id)}`;
    },
    addTemplates(wabaId, added) {
      const listed = templates.get(wabaId) ?? [];
      for (const t of added) {
        const at = listed.findIndex((l) => l.name === t.name && l.language === t.language);
        if (at >= 0) listed[at] = t;
        else listed.push(t);
      }
      templates.set(wabaId, listed);
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isMarkRead(body: unknown): boolean {
  return isRecord(body) && (body.status === 'read' || 'sender_action' in body);
}

/** Graph answers unknown objects/edges with code 100 ("Unsupported post request"). */
function routeError(method: string, path: string): FakeGraphError {
  return {
    httpStatus: 404,
    code: 100,
    message: `Unsupported ${method.toLowerCase()} request`,
    details: `No route ${method} ${path} on this fake Graph API`,
  };
}

function unknownObject(method: string, id: string): FakeGraphError {
  return {
    httpStatus: 400,
    code: 100,
    subcode: 33,
    message: `Unsupported ${method.toLowerCase()} request. Object with ID '${id}' does not exist`,
  };
}

function notFound(path: string): Answer {
  return { kind: 'json', status: 404, payload: { error: { message: `Not found: ${path}`, code: 404 } } };
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

// ---------------------------------------------------------------------------------------------
// WhatsApp Cloud API bodies (WIRE.md §2.2)

const MAX_TEXT_LENGTH = 4096;
const MEDIA_TYPES = ['image', 'audio', 'video', 'document', 'sticker'];
const BSUID = /^[A-Z]{2}\.[A-Za-z0-9.]{1,140}$/;

type Check = FakeGraphError | undefined;

const invalid = (message: string, code = 100): FakeGraphError => ({ httpStatus: 400, code, message });
const missing = (param: string): FakeGraphError => invalid(`The parameter ${param} is required.`, 131008);
const chars = (text: string): number => [...text].length;

/** A string of 1..max characters (or absent when optional). */
function checkString(value: unknown, param: string, max: number, required: boolean, code = 131009): Check {
  if (value === undefined || value === '') return required ? missing(param) : undefined;
  if (typeof value !== 'string') return invalid(`Param ${param} must be a string.`, code);
  if (chars(value) > max) return invalid(`Param ${param} must be at most ${max} characters long.`, code);
  return undefined;
}

function firstError(...checks: (() => Check)[]): Check {
  for (const check of checks) {
    const error = check();
    if (error) return error;
  }
  return undefined;
}

function whatsAppBodyError(headers: IncomingHttpHeaders, body: unknown): Check {
  if (!headers['content-type']?.startsWith('application/json') || !isRecord(body)) {
    return invalid('Invalid parameter: the body must be a JSON object');
  }
  if (body.messaging_product !== 'whatsapp') return invalid('The parameter messaging_product is required');
  if (body.status === 'read') return markReadError(body);
  if (body.recipient_type !== undefined && body.recipient_type !== 'individual' && body.recipient_type !== 'group') {
    return invalid("Invalid parameter: recipient_type must be 'individual' or 'group'");
  }
  // `to` wins when both are sent (WIRE.md §2.2); `recipient` is a business-scoped user id (§1.4).
  if (body.to !== undefined || body.recipient === undefined) {
    if (typeof body.to !== 'string' || !body.to.startsWith('+') || !/\d/.test(body.to)) {
      return invalid("Invalid parameter: 'to' must be a phone number with '+' and country code");
    }
  } else if (typeof body.recipient !== 'string' || !BSUID.test(body.recipient)) {
    return invalid("Invalid parameter: 'recipient' must be a business-scoped user id");
  }
  if (body.context !== undefined && (!isRecord(body.context) || typeof body.context.message_id !== 'string')) {
    return missing("context['message_id']");
  }
  const type = body.type;
  if (type === 'text') return textError(body.text);
  if (typeof type === 'string' && MEDIA_TYPES.includes(type)) return mediaError(type, body[type]);
  if (type === 'template') return templateError(body.template);
  if (type === 'interactive') return interactiveError(body.interactive);
  if (type === 'reaction') return reactionError(body.reaction);
  return invalid(`Invalid parameter: unsupported message type '${String(type)}'`);
}

function textError(text: unknown): Check {
  const value = isRecord(text) ? text.body : undefined;
  if (typeof value !== 'string' || value.length === 0) return missing("text['body']");
  if (chars(value) > MAX_TEXT_LENGTH)
    return invalid(`Param text['body'] must be at most ${MAX_TEXT_LENGTH} characters long.`);
  return undefined;
}

/** By `id` or `link`, never both; no caption for audio/sticker; filename for documents only. */
function mediaError(type: string, media: unknown): Check {
  if (!isRecord(media)) return missing(`${type}`);
  const hasId = typeof media.id === 'string' && media.id !== '';
  const hasLink = typeof media.link === 'string' && /^https?:\/\//.test(media.link);
  if (hasId === hasLink) return invalid(`Param ${type} must have exactly one of 'id' or a http(s) 'link'.`, 131009);
  if (media.caption !== undefined && (type === 'audio' || type === 'sticker')) {
    return invalid(`Param ${type}['caption'] is not allowed for ${type}.`, 131009);
  }
  if (media.filename !== undefined && type !== 'document') {
    return invalid(`Param ${type}['filename'] is only allowed for documents.`, 131009);
  }
  return firstError(
    () => checkString(media.caption, `${type}['caption']`, 1024, false),
    () => checkString(media.filename, `${type}['filename']`, 240, false),
  );
}

function templateError(template: unknown): Check {
  if (!isRecord(template)) return missing('template');
  if (typeof template.name !== 'string' || !/^[a-z0-9_]+$/.test(template.name)) return missing("template['name']");
  if (!isRecord(template.language) || typeof template.language.code !== 'string' || !template.language.code) {
    return missing("template['language']['code']");
  }
  if (template.components === undefined) return undefined;
  if (!Array.isArray(template.components)) return invalid("Param template['components'] must be an array.");
  for (const component of template.components) {
    const error = componentError(component);
    if (error) return error;
  }
  return undefined;
}

function componentError(component: unknown): Check {
  if (!isRecord(component) || !Array.isArray(component.parameters)) {
    return invalid("Param template['components'] entries need a type and parameters.", 131008);
  }
  const parameters = component.parameters as unknown[];
  switch (component.type) {
    case 'header':
      return parameters.length === 1
        ? parameterError(parameters[0], ['text', 'image', 'video', 'document'])
        : invalid('A header takes one parameter.', 132000);
    case 'body':
      for (const p of parameters) {
        const error = parameterError(p, ['text', 'currency', 'date_time']);
        if (error) return error;
      }
      return undefined;
    case 'button': {
      if (typeof component.sub_type !== 'string') return missing("components['sub_type']");
      // `index` is a string position, 0-based (WIRE.md §2.2).
      if (typeof component.index !== 'string' || !/^\d+$/.test(component.index)) {
        return invalid("Param components['index'] must be a string position.", 131009);
      }
      const kind = component.sub_type === 'quick_reply' ? ['payload'] : ['text'];
      return parameters.length === 1
        ? parameterError(parameters[0], kind)
        : invalid('A button takes one parameter.', 132000);
    }
    default:
      return invalid(`Invalid component type '${String(component.type)}'.`, 131009);
  }
}

function parameterError(parameter: unknown, types: string[]): Check {
  if (!isRecord(parameter) || typeof parameter.type !== 'string' || !types.includes(parameter.type)) {
    return invalid(`A template parameter must have a type of ${types.join(', ')}.`, 132012);
  }
  const value = parameter[parameter.type];
  if (parameter.type === 'text' || parameter.type === 'payload') {
    return typeof value === 'string' && value !== '' ? undefined : invalid('A template parameter is empty.', 132000);
  }
  if (['image', 'video', 'document'].includes(parameter.type)) return mediaError(parameter.type, value);
  return undefined;
}

/** Reply buttons and lists with the limits of WIRE.md §2.2. */
function interactiveError(interactive: unknown): Check {
  if (!isRecord(interactive)) return missing('interactive');
  const body = isRecord(interactive.body) ? interactive.body.text : undefined;
  const footer = isRecord(interactive.footer) ? interactive.footer.text : undefined;
  const header = interactive.header;
  const action = isRecord(interactive.action) ? interactive.action : undefined;
  if (!action) return missing("interactive['action']");
  if (interactive.type === 'button') {
    const buttons = Array.isArray(action.buttons) ? (action.buttons as unknown[]) : [];
    if (buttons.length < 1 || buttons.length > 3) return invalid('Interactive buttons: 1 to 3 buttons.', 131009);
    const titles = new Set<string>();
    for (const button of buttons) {
      const reply = isRecord(button) && button.type === 'reply' && isRecord(button.reply) ? button.reply : undefined;
      if (!reply) return missing("action['buttons'][]['reply']");
      const error = firstError(
        () => checkString(reply.id, "reply['id']", 256, true),
        () => checkString(reply.title, "reply['title']", 20, true),
      );
      if (error) return error;
      if (titles.has(reply.title as string)) return invalid('Interactive buttons: titles must be unique.', 131009);
      titles.add(reply.title as string);
    }
    return firstError(
      () => checkString(body, "body['text']", 1024, true),
      () => checkString(footer, "footer['text']", 60, false),
      () => headerError(header, ['text', 'image', 'video', 'document']),
    );
  }
  if (interactive.type === 'list') {
    const sections = Array.isArray(action.sections) ? (action.sections as unknown[]) : [];
    if (sections.length < 1 || sections.length > 10) return invalid('Interactive list: 1 to 10 sections.', 131009);
    let rows = 0;
    for (const section of sections) {
      if (!isRecord(section) || !Array.isArray(section.rows) || section.rows.length === 0) {
        return missing("sections[]['rows']");
      }
      const error = checkString(section.title, "section['title']", 24, false);
      if (error) return error;
      for (const row of section.rows as unknown[]) {
        rows += 1;
        if (!isRecord(row)) return missing("rows[]['id']");
        const rowError = firstError(
          () => checkString(row.id, "row['id']", 200, true),
          () => checkString(row.title, "row['title']", 24, true),
          () => checkString(row.description, "row['description']", 72, false),
        );
        if (rowError) return rowError;
      }
    }
    if (rows > 10) return invalid('Interactive list: at most 10 rows in total.', 131009);
    return firstError(
      () => checkString(action.button, "action['button']", 20, true),
      () => checkString(body, "body['text']", 4096, true),
      () => checkString(footer, "footer['text']", 60, false),
      () => headerError(header, ['text']),
    );
  }
  return invalid(`Invalid interactive type '${String(interactive.type)}'.`, 131009);
}

function headerError(header: unknown, types: string[]): Check {
  if (header === undefined) return undefined;
  if (!isRecord(header) || typeof header.type !== 'string' || !types.includes(header.type)) {
    return invalid(`Interactive header type must be one of ${types.join(', ')}.`, 131009);
  }
  if (header.type === 'text') return checkString(header.text, "header['text']", 60, true);
  return mediaError(header.type, header[header.type]);
}

function reactionError(reaction: unknown): Check {
  if (!isRecord(reaction) || typeof reaction.message_id !== 'string' || !reaction.message_id) {
    return missing("reaction['message_id']");
  }
  // An empty emoji removes the reaction (WIRE.md §2.2).
  return typeof reaction.emoji === 'string' ? undefined : missing("reaction['emoji']");
}

function markReadError(body: Record<string, unknown>): Check {
  if (typeof body.message_id !== 'string' || !body.message_id) return missing('message_id');
  if (
    body.typing_indicator !== undefined &&
    !(isRecord(body.typing_indicator) && body.typing_indicator.type === 'text')
  ) {
    return invalid("Param typing_indicator['type'] must be 'text'.", 131009);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Messenger / Instagram Send API bodies (WIRE.md §4.4)

const MESSAGING_TYPES = ['RESPONSE', 'UPDATE', 'MESSAGE_TAG', 'UTILITY'];
/** Retired since Apr 27 2026: requests using them return error 100 (WIRE.md §4.4). */
const RETIRED_TAGS = ['CONFIRMED_EVENT_UPDATE', 'ACCOUNT_UPDATE', 'POST_PURCHASE_UPDATE'];
const SENDER_ACTIONS = ['typing_on', 'typing_off', 'mark_seen'];
const ATTACHMENT_TYPES = ['image', 'video', 'audio', 'file'];
const MESSENGER_TEXT_LENGTH = 2000;

function metaBodyError(headers: IncomingHttpHeaders, body: unknown): Check {
  if (!headers['content-type']?.startsWith('application/json') || !isRecord(body)) {
    return invalid('Invalid parameter: the body must be a JSON object');
  }
  if (!isRecord(body.recipient) || typeof body.recipient.id !== 'string' || !body.recipient.id) {
    return invalid('(#100) The parameter recipient is required');
  }
  if (body.sender_action !== undefined) {
    if (typeof body.sender_action !== 'string' || !SENDER_ACTIONS.includes(body.sender_action)) {
      return invalid('(#100) Param sender_action must be one of typing_on, typing_off, mark_seen');
    }
    return body.message === undefined ? undefined : invalid('(#100) A sender action is sent without a message');
  }
  if (typeof body.messaging_type !== 'string' || !MESSAGING_TYPES.includes(body.messaging_type)) {
    return invalid('(#100) Param messaging_type must be one of RESPONSE, UPDATE, MESSAGE_TAG, UTILITY');
  }
  if (body.messaging_type === 'MESSAGE_TAG') {
    if (typeof body.tag !== 'string') return invalid('(#100) A MESSAGE_TAG message requires a tag');
    if (RETIRED_TAGS.includes(body.tag)) return invalid(`(#100) The tag ${body.tag} is no longer supported`);
    if (body.tag !== 'HUMAN_AGENT') return invalid(`(#100) Unsupported message tag ${body.tag}`);
  } else if (body.tag !== undefined) {
    return invalid('(#100) A tag is only sent with messaging_type MESSAGE_TAG');
  }
  return messageError(body.message);
}

function messageError(message: unknown): Check {
  if (!isRecord(message)) return invalid('(#100) The parameter message is required');
  const hasText = message.text !== undefined;
  const hasAttachment = message.attachment !== undefined;
  if (hasText === hasAttachment) return invalid('(#100) A message has exactly one of text or attachment');
  if (hasText) {
    if (typeof message.text !== 'string' || !message.text)
      return invalid('(#100) Param message[text] must be a non-empty string');
    if (chars(message.text) > MESSENGER_TEXT_LENGTH) {
      return invalid(`(#100) Param message[text] must be at most ${MESSENGER_TEXT_LENGTH} characters`);
    }
  } else {
    const attachment = message.attachment;
    if (!isRecord(attachment) || typeof attachment.type !== 'string' || !ATTACHMENT_TYPES.includes(attachment.type)) {
      return invalid('(#100) Param message[attachment][type] must be image, video, audio or file');
    }
    const payload = isRecord(attachment.payload) ? attachment.payload : {};
    const hasUrl = typeof payload.url === 'string' && /^https?:\/\//.test(payload.url);
    const hasId = typeof payload.attachment_id === 'string' && payload.attachment_id !== '';
    if (hasUrl === hasId) return invalid('(#100) An attachment payload has exactly one of url or attachment_id');
  }
  if (message.quick_replies !== undefined) {
    if (!Array.isArray(message.quick_replies) || message.quick_replies.length > 13) {
      return invalid('(#100) At most 13 quick replies');
    }
    for (const reply of message.quick_replies as unknown[]) {
      if (!isRecord(reply) || reply.content_type !== 'text')
        return invalid('(#100) Quick replies need content_type text');
      const error = firstError(
        () => checkString(reply.title, 'quick_replies[title]', 20, true, 100),
        () => checkString(reply.payload, 'quick_replies[payload]', 1000, true, 100),
      );
      if (error) return error;
    }
  }
  return checkString(message.metadata, 'message[metadata]', 1000, false, 100);
}

// ---------------------------------------------------------------------------------------------
// Answers

/** Meta's error envelope (WIRE.md §2.4), including its "(#code)" message prefix. */
function errorAnswer(error: FakeGraphError, family: 'whatsapp' | 'meta'): Answer {
  const message = error.message.startsWith('(#') ? error.message : `(#${error.code}) ${error.message}`;
  return {
    kind: 'json',
    status: error.httpStatus,
    payload: {
      error: {
        message,
        type: 'OAuthException',
        code: error.code,
        ...(error.subcode !== undefined && { error_subcode: error.subcode }),
        ...(family === 'whatsapp' && {
          error_data: { messaging_product: 'whatsapp', details: error.details ?? error.message },
        }),
        fbtrace_id: randomBytes(12).toString('base64url'),
      },
    },
  };
}

/**
 * WhatsApp: the §2.3 shape (`message_status` appears only for paced templates, so not here) or
 * `{ success: true }` for a read receipt. Messenger/Instagram: `{ recipient_id, message_id }`, or
 * `{ recipient_id }` for a sender action (WIRE.md §4.4).
 */
function acceptedResponse(family: 'whatsapp' | 'meta', body: unknown): unknown {
  const record = isRecord(body) ? body : {};
  if (family === 'meta') {
    const recipientId = isRecord(record.recipient) ? record.recipient.id : undefined;
    if (record.sender_action !== undefined) return { recipient_id: recipientId };
    return { recipient_id: recipientId, message_id: `m_${randomBytes(18).toString('base64url')}` };
  }
  if (record.status === 'read') return { success: true };
  const input =
    typeof record.to === 'string' ? record.to : typeof record.recipient === 'string' ? record.recipient : '';
  const contact =
    typeof record.to === 'string' ? { input, wa_id: input.replace(/\D/g, '') } : { input, user_id: input };
  return {
    messaging_product: 'whatsapp',
    contacts: [contact],
    messages: [{ id: `wamid.${randomBytes(24).toString('base64')}` }],
  };
}

function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendBytes(res: ServerResponse, status: number, bytes: Buffer, mimeType: string): void {
  res.writeHead(status, { 'Content-Type': mimeType, 'Content-Length': bytes.length });
  res.end(bytes);
}
