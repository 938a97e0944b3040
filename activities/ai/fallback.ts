/**
 * The deterministic half of the AI first response (DESIGN §3, "AI first response"), pure so it is
 * unit-tested without a database or a model:
 * - an explicit request for a human hands over at once, with or without a model, because no
 *   model call should stand between a customer and the person they asked for;
 * - without an API key, the keyword FAQ from the workspace settings answers what it can and
 *   everything else is handed over (source 'fallback', so the events say no model decided).
 */
import type { AiDecision, AiSettings } from './types';
import { latestCustomerText, summaryExcerpt, type ThreadMessage } from './thread';

export const HUMAN_REQUEST_REASON = 'the customer asked for a human';
export const FALLBACK_NO_MATCH_REASON = 'no FAQ answer matched (AI fallback, no API key configured)';

/**
 * Words that, anywhere in the customer's latest turn, count as asking for a person. Matched as
 * whole words (plurals too) on lower-cased, accent-stripped text. Deliberately broad: a false positive costs
 * one early handover, which is the safe direction; a false negative keeps someone talking to a bot
 * after asking not to.
 */
const HUMAN_REQUEST_WORDS: readonly string[] = [
  // English; "real person" and "a person" are covered by "person".
  'human',
  'agent',
  'person',
  'representative',
  'someone',
  'somebody',
  'manager',
  'operator',
  'supervisor',
  // Spanish / Portuguese / Italian ("atendente": pt, attendant).
  'humano',
  'agente',
  'persona',
  'pessoa',
  'atendente',
  // Turkish is agglutinative, so the usual case endings are listed: insan(la), temsilci(yle), and
  // yetkili ("an authorised person"). "ı" has no base letter, so it survives accent stripping.
  'insan',
  'insanla',
  'temsilci',
  'temsilciyle',
  'yetkili',
  'yetkiliyle',
  // German and French.
  'mensch',
  'menschen',
  'mitarbeiter',
  'humain',
  'conseiller',
];
const PLURAL = '(?:e?s)?';
const HUMAN_REQUEST_PATTERN = wholeWords(HUMAN_REQUEST_WORDS, PLURAL);

/** Lower case, accents removed ("Atención" → "atencion"), whitespace collapsed. */
export function normalizeForMatching(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/** True when the customer's latest turn explicitly asks for a person. */
export function asksForHuman(thread: readonly ThreadMessage[]): boolean {
  const text = normalizeForMatching(latestCustomerText(thread));
  return HUMAN_REQUEST_PATTERN.test(text);
}

/**
 * The first FAQ entry one of whose keywords occurs in `text` as a whole word or phrase (a plural
 * "s"/"es" is tolerated: keyword "hour" matches "hours"). Case- and accent-insensitive.
 */
export function matchFaq(text: string, faq: AiSettings['faq']): AiSettings['faq'][number] | undefined {
  const haystack = normalizeForMatching(text);
  if (!haystack) return undefined;
  return faq.find((entry) =>
    entry.keywords.some((keyword) => {
      const needle = normalizeForMatching(keyword);
      return needle !== '' && wholeWords([needle], PLURAL).test(haystack);
    }),
  );
}

export function humanRequestDecision(thread: readonly ThreadMessage[], source: AiDecision['source']): AiDecision {
  return {
    action: 'handover',
    reason: HUMAN_REQUEST_REASON,
    summary: summaryExcerpt(thread),
    intent: 'human_request',
    urgency: 'normal',
    source,
  };
}

/** The keyless decision: a matching FAQ answer, else a handover that says why. */
export function fallbackDecision(thread: readonly ThreadMessage[], settings: AiSettings): AiDecision {
  const summary = summaryExcerpt(thread);
  const entry = matchFaq(latestCustomerText(thread), settings.faq);
  if (entry && entry.answer.trim()) {
    return { action: 'reply', reply: entry.answer.trim(), summary, intent: 'faq', urgency: 'low', source: 'fallback' };
  }
  return {
    action: 'handover',
    reason: FALLBACK_NO_MATCH_REASON,
    summary,
    intent: 'unknown',
    urgency: 'normal',
    source: 'fallback',
  };
}

/**
 * A pattern for any of `words` standing alone. JS's \b is ASCII-only, so a word boundary here is
 * "not next to a letter or digit" in any script.
 */
function wholeWords(words: readonly string[], suffix = ''): RegExp {
  const alternatives = words.map(escapeRegExp).join('|');
  return new RegExp(`(?<![\\p{L}\\p{N}])(?:${alternatives})${suffix}(?![\\p{L}\\p{N}])`, 'u');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
