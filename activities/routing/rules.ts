/**
 * Routing rules (DESIGN §3 "Routing workflows"): the first enabled rule, in position order, that
 * matches a conversation picks its routing workflow. Read by the routing activity, and by the
 * opening of a conversation inside its own transaction (projection.activities.ts).
 */
import type { Knex } from 'knex';

export interface ChosenRule {
  /** The rule's name for the timeline ("default" when none matched). */
  name: string;
  /** A routing workflow name from workflows/routing/registry.ts. */
  workflow: string;
  params: Record<string, unknown>;
  /** The contact's tags, which rules and routing workflows may read. */
  contactTags: string[];
}

/** What a rule may match on. */
export interface RuleSubject {
  conversationId: string;
  channelId: string;
  /** Where the conversation stays when no rule matches. */
  defaultTeamId: string | null;
  conversationTags: readonly string[];
  contactTags: string[];
  intent: string | null;
}

interface RuleRow {
  name: string;
  match_kind: 'keyword' | 'tag' | 'channel' | 'intent' | 'always';
  match_value: string | null;
  routing_workflow: string;
  params: Record<string, unknown>;
}

/**
 * A keyword in the customer's recent messages, a contact or conversation tag, the channel, or the
 * AI's intent; no match: the channel's default team.
 */
export async function chooseRule(db: Knex | Knex.Transaction, subject: RuleSubject): Promise<ChosenRule> {
  const { contactTags } = subject;
  const tags = new Set([...contactTags, ...subject.conversationTags].map((t) => t.toLowerCase()));
  const rules: RuleRow[] = await db('routing_rules').where({ enabled: true }).orderBy('position');
  const text = rules.some((r) => r.match_kind === 'keyword')
    ? await recentCustomerText(db, subject.conversationId)
    : '';
  const rule = rules.find((r) => ruleMatches(r, { channelId: subject.channelId, tags, intent: subject.intent, text }));
  if (!rule) {
    return { name: 'default', workflow: 'to-team', params: { teamId: subject.defaultTeamId }, contactTags };
  }
  return { name: rule.name, workflow: rule.routing_workflow, params: rule.params ?? {}, contactTags };
}

async function recentCustomerText(db: Knex | Knex.Transaction, conversationId: string): Promise<string> {
  const bodies: (string | null)[] = await db('messages')
    .where({ conversation_id: conversationId, direction: 'inbound' })
    .orderBy('sent_at', 'desc')
    .limit(5)
    .pluck('body');
  return bodies.filter(Boolean).join('\n').toLowerCase();
}

function ruleMatches(
  rule: RuleRow,
  c: { channelId: string; tags: Set<string>; intent: string | null; text: string },
): boolean {
  const value = (rule.match_value ?? '').trim().toLowerCase();
  switch (rule.match_kind) {
    case 'always':
      return true;
    case 'channel':
      return value === c.channelId.toLowerCase();
    case 'tag':
      return value !== '' && c.tags.has(value);
    case 'intent':
      return value !== '' && value === (c.intent ?? '').toLowerCase();
    case 'keyword':
      return value
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean)
        .some((k) => new RegExp(`(^|[^\\p{L}\\p{N}])${escapeRegExp(k)}($|[^\\p{L}\\p{N}])`, 'u').test(c.text));
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
