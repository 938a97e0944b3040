/**
 * WhatsApp message templates (WIRE.md §2.2, §3.2), independent of any adapter: a WhatsApp
 * Business Account's templates are read from the Graph API, kept in `message_templates`, and
 * checked before a template is sent (an agent's template reply, an agent's WhatsApp alert).
 *
 * Sync: `GET /<version>/<WABA_ID>/message_templates?fields=name,language,status,category,components&limit=100`
 * with the channel's bearer token, answered `{ data: [template…], paging: { cursors: { before, after },
 * next? } }` (Graph API reference, "WhatsApp Business Account Message Templates"); a page with
 * `paging.next` has a successor, fetched with `after=<cursors.after>`. The WABA id is the channel
 * credentials' `wabaId`. Every template is stored with its status; only APPROVED ones can be picked
 * or sent. Templates gone from Meta's list are kept as DELETED (old messages still name them).
 */
import type { Knex } from 'knex';
import { z } from 'zod';
import { classifyByHttpStatus, graphFetch, graphRefusal, graphVersionUrl, type GraphOptions } from './meta-messaging';

export const TEMPLATE_FIELDS = 'name,language,status,category,components';
export const TEMPLATE_PAGE_SIZE = 100;
/** A runaway `paging.next` loop stops here (10,000 templates; Meta allows 250 per WABA by default). */
const MAX_PAGES = 100;

/** Template statuses Meta documents; anything else is stored verbatim and never picked. */
export type TemplateStatus =
  | 'APPROVED'
  | 'IN_APPEAL'
  | 'PENDING'
  | 'REJECTED'
  | 'PENDING_DELETION'
  | 'DELETED'
  | 'DISABLED'
  | 'PAUSED'
  | 'LIMIT_EXCEEDED';

export interface SyncedTemplate {
  name: string;
  language: string;
  status: string;
  category: string;
  /** Meta's components (HEADER, BODY, FOOTER, BUTTONS) as given. */
  components: Record<string, unknown>[];
  /** How many body parameters a send must give ({{1}}…{{n}}, or distinct named ones). */
  parameterCount: number;
}

export interface TemplatePage {
  templates: SyncedTemplate[];
  /** The cursor of the next page, when Meta says there is one. */
  after: string | null;
}

const componentSchema = z.looseObject({ type: z.string(), text: z.string().optional() });

const templateSchema = z.looseObject({
  name: z.string().min(1),
  language: z.string().min(1),
  status: z.string().min(1),
  category: z.string().default(''),
  components: z.array(componentSchema).default([]),
});

const pageSchema = z.looseObject({
  data: z.array(z.unknown()),
  paging: z
    .looseObject({
      cursors: z.looseObject({ after: z.string().optional() }).optional(),
      next: z.string().optional(),
    })
    .optional(),
});

/** Thrown for a channel that cannot be synced or an answer that is not Meta's template list. */
export class TemplateSyncError extends Error {
  override readonly name = 'TemplateSyncError';
  constructor(
    message: string,
    /** `config`: fix the channel (no WABA id, not WhatsApp); `provider`: Meta refused or answered nonsense. */
    readonly kind: 'config' | 'provider',
    /** A refusal Meta may lift (rate limit, outage): worth trying again later. */
    readonly transient = false,
  ) {
    super(message);
  }
}

/**
 * One page of Meta's answer. A malformed template is skipped (Meta adds shapes without notice),
 * a malformed page is an error.
 */
export function parseTemplatePage(json: unknown): TemplatePage {
  const page = pageSchema.safeParse(json);
  if (!page.success) throw new TemplateSyncError('WhatsApp answered the template list without `data`', 'provider');
  const templates = page.data.data.flatMap((raw) => {
    const t = templateSchema.safeParse(raw);
    if (!t.success) return [];
    const components = t.data.components as Record<string, unknown>[];
    return [
      {
        name: t.data.name,
        language: t.data.language,
        status: t.data.status.toUpperCase(),
        category: t.data.category.toUpperCase(),
        components,
        parameterCount: bodyPlaceholders(components).length,
      },
    ];
  });
  const after = page.data.paging?.next ? (page.data.paging.cursors?.after ?? null) : null;
  return { templates, after };
}

/**
 * The body's placeholders in the order a send gives them: positional `{{1}}…{{n}}` (n = the
 * highest index) or named `{{first_name}}` in order of first appearance (WIRE.md §2.2).
 */
export function bodyPlaceholders(components: Record<string, unknown>[]): string[] {
  const text = bodyText(components);
  if (text === null) return [];
  const names: string[] = [];
  let highest = 0;
  for (const match of text.matchAll(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g)) {
    const name = match[1]!;
    if (/^\d+$/.test(name)) highest = Math.max(highest, Number(name));
    else if (!names.includes(name)) names.push(name);
  }
  if (highest > 0) return Array.from({ length: highest }, (_, i) => String(i + 1));
  return names;
}

/** True when the body uses `{{first_name}}`-style parameters (sent with `parameter_name`). */
export function isNamedTemplate(components: Record<string, unknown>[]): boolean {
  const placeholders = bodyPlaceholders(components);
  return placeholders.length > 0 && !/^\d+$/.test(placeholders[0]!);
}

export function bodyText(components: Record<string, unknown>[]): string | null {
  const body = components.find((c) => String(c.type).toUpperCase() === 'BODY');
  return typeof body?.text === 'string' ? body.text : null;
}

/** The body as the customer reads it, parameters filled in order; null without a body. */
export function renderTemplateBody(components: Record<string, unknown>[], parameters: string[]): string | null {
  const text = bodyText(components);
  if (text === null) return null;
  const order = bodyPlaceholders(components);
  return text.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (whole, name: string) => {
    const i = order.indexOf(name);
    return i >= 0 && parameters[i] !== undefined ? parameters[i] : whole;
  });
}

/** Every template of a WhatsApp Business Account, page after page. */
export async function fetchTemplates(
  graph: GraphOptions,
  account: { wabaId: string; accessToken: string },
): Promise<SyncedTemplate[]> {
  const fetchImpl = graph.fetch ?? fetch;
  const base = `${graphVersionUrl(graph)}/${encodeURIComponent(account.wabaId)}/message_templates`;
  const all: SyncedTemplate[] = [];
  let after: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = new URLSearchParams({ fields: TEMPLATE_FIELDS, limit: String(TEMPLATE_PAGE_SIZE) });
    if (after !== null) query.set('after', after);
    const res = await graphFetch(fetchImpl, 'WhatsApp', `${base}?${query}`, {
      method: 'GET',
      headers: { Authorization: `Bearer ${account.accessToken}` },
    });
    const json: unknown = await res.json().catch(() => undefined);
    if (!res.ok) {
      const refusal = graphRefusal({
        provider: 'WhatsApp',
        what: 'template list',
        status: res.status,
        json,
        accessToken: account.accessToken,
        classify: (_code, _subcode, httpStatus) => classifyByHttpStatus(httpStatus),
      });
      throw new TemplateSyncError(refusal.message, 'provider', !refusal.permanent);
    }
    const parsed = parseTemplatePage(json);
    all.push(...parsed.templates);
    if (parsed.after === null) return all;
    after = parsed.after;
  }
  throw new TemplateSyncError(`WhatsApp kept paging past ${MAX_PAGES} pages of templates`, 'provider');
}

export interface SyncResult {
  /** Templates in Meta's list (every status). */
  synced: number;
  /** Of those, APPROVED: what agents can pick. */
  approved: number;
  /** Stored templates no longer in Meta's list, now DELETED. */
  removed: number;
}

/** Fetches the channel's templates and upserts them on (channel, name, language). */
export async function syncTemplates(db: Knex, graph: GraphOptions, channelId: string): Promise<SyncResult> {
  const channel = await db('channels').where({ id: channelId }).first('id', 'kind', 'credentials');
  if (!channel) throw new TemplateSyncError('no such channel', 'config');
  if (channel.kind !== 'whatsapp')
    throw new TemplateSyncError('only WhatsApp channels have message templates', 'config');
  const wabaId = channel.credentials?.wabaId;
  const accessToken = channel.credentials?.accessToken;
  if (typeof wabaId !== 'string' || !wabaId) {
    throw new TemplateSyncError('the channel has no WhatsApp Business Account id (credentials.wabaId)', 'config');
  }
  if (typeof accessToken !== 'string' || !accessToken) {
    throw new TemplateSyncError('the channel has no access token', 'config');
  }
  const templates = await fetchTemplates(graph, { wabaId, accessToken });
  return storeTemplates(db, channelId, templates);
}

/** Upserts a full listing; rows of the channel missing from it become DELETED. */
export async function storeTemplates(db: Knex, channelId: string, templates: SyncedTemplate[]): Promise<SyncResult> {
  // One row per (name, language): a listing that repeats one keeps the last.
  const unique = [...new Map(templates.map((t) => [`${t.name}\u0000${t.language}`, t])).values()];
  return db.transaction(async (trx) => {
    const syncedAt = new Date();
    if (unique.length > 0) {
      await trx('message_templates')
        .insert(
          unique.map((t) => ({
            channel_id: channelId,
            name: t.name,
            language: t.language,
            category: t.category,
            status: t.status,
            components: JSON.stringify(t.components),
            parameter_count: t.parameterCount,
            synced_at: syncedAt,
          })),
        )
        .onConflict(['channel_id', 'name', 'language'])
        .merge(['category', 'status', 'components', 'parameter_count', 'synced_at']);
    }
    const removed = await trx('message_templates')
      .where({ channel_id: channelId })
      .where('synced_at', '<', syncedAt)
      .whereNot({ status: 'DELETED' })
      .update({ status: 'DELETED', synced_at: syncedAt });
    return { synced: unique.length, approved: unique.filter((t) => t.status === 'APPROVED').length, removed };
  });
}

export interface TemplateUse {
  name: string;
  language: string;
  parameters: string[];
}

export type TemplateCheck =
  | {
      ok: true;
      /** The body filled in, when the template is known (for the thread); null when not synced. */
      body: string | null;
      /** Named templates take their parameters by name (WIRE.md §2.2). */
      parameters: string[] | Record<string, string>;
    }
  | { ok: false; reason: string };

/**
 * Whether a template may be sent from this channel. A channel whose templates were never synced
 * lets Meta decide (132001 comes back permanent); a synced one must list it APPROVED, in that
 * language, with that many body parameters.
 */
export async function checkTemplate(db: Knex, channelId: string, use: TemplateUse): Promise<TemplateCheck> {
  const row = await db('message_templates')
    .where({ channel_id: channelId, name: use.name, language: use.language })
    .first('status', 'components', 'parameter_count');
  if (!row && !(await db('message_templates').where({ channel_id: channelId }).first('id'))) {
    return { ok: true, body: null, parameters: use.parameters };
  }
  if (!row || row.status === 'DELETED') {
    return { ok: false, reason: `The template ${use.name} (${use.language}) does not exist in this language.` };
  }
  if (row.status !== 'APPROVED') {
    return {
      ok: false,
      reason: `The template ${use.name} (${use.language}) is ${String(row.status).toLowerCase().replace(/_/g, ' ')}, not approved: choose another.`,
    };
  }
  if (Number(row.parameter_count) !== use.parameters.length) {
    return {
      ok: false,
      reason: `The template ${use.name} takes ${row.parameter_count} parameter(s); ${use.parameters.length} given.`,
    };
  }
  const components = (row.components ?? []) as Record<string, unknown>[];
  const parameters = isNamedTemplate(components)
    ? Object.fromEntries(bodyPlaceholders(components).map((name, i) => [name, use.parameters[i]!]))
    : use.parameters;
  return { ok: true, body: renderTemplateBody(components, use.parameters), parameters };
}

export interface PickableTemplate {
  id: string;
  name: string;
  language: string;
  category: string;
  parameterCount: number;
  /** The body text with its `{{n}}` placeholders, for the composer. */
  body: string | null;
  syncedAt: string;
}

/** The channel's APPROVED templates, by name then language. */
export async function listApprovedTemplates(db: Knex, channelId: string): Promise<PickableTemplate[]> {
  const rows = await db('message_templates')
    .where({ channel_id: channelId, status: 'APPROVED' })
    .orderBy([{ column: 'name' }, { column: 'language' }])
    .select('id', 'name', 'language', 'category', 'parameter_count', 'components', 'synced_at');
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    language: r.language,
    category: r.category,
    parameterCount: Number(r.parameter_count),
    body: bodyText((r.components ?? []) as Record<string, unknown>[]),
    syncedAt: new Date(r.synced_at).toISOString(),
  }));
}
