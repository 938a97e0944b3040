import {
  asksForHuman,
  FALLBACK_NO_MATCH_REASON,
  fallbackDecision,
  HUMAN_REQUEST_REASON,
  humanRequestDecision,
  matchFaq,
} from '../../../activities/ai/fallback';
import { parseAiSettings } from '../../../activities/ai/settings';
import { latestCustomerTurn, summaryExcerpt, type ThreadMessage } from '../../../activities/ai/thread';
import { DEFAULT_AI_SETTINGS, type AiSettings } from '../../../activities/ai/types';

const customer = (body: string | null, type = 'text'): ThreadMessage => ({ authorKind: 'contact', type, body });
const ai = (body: string): ThreadMessage => ({ authorKind: 'ai', type: 'text', body });
const agent = (body: string): ThreadMessage => ({ authorKind: 'agent', type: 'text', body });

const FAQ: AiSettings['faq'] = [
  { keywords: ['opening hours', 'open'], answer: 'We are open Monday to Friday, 9:00 to 18:00.' },
  { keywords: ['envío', 'shipping'], answer: 'Shipping takes 2 to 4 working days.' },
];
const settings = (faq = FAQ): AiSettings => ({ ...DEFAULT_AI_SETTINGS, faq });

describe('human request detection', () => {
  it.each([
    'I want a human',
    'Can I talk to a REAL PERSON please?',
    'put me through to an agent',
    'Is there someone I can speak to?',
    'I need your manager',
    'representative',
    'quiero hablar con un humano',
    'Quero falar com um atendente',
    'Bir insanla konuşmak istiyorum',
    'Temsilciyle görüşmek istiyorum',
    'Ich möchte mit einem Menschen sprechen',
  ])('hands over when the customer writes "%s"', (text) => {
    expect(asksForHuman([customer(text)])).toBe(true);
  });

  it.each(['Where is my order?', 'this is insane', 'What are your opening hours?', 'I am humane'])(
    'does not treat "%s" as a request for a human',
    (text) => {
      expect(asksForHuman([customer(text)])).toBe(false);
    },
  );

  it('looks at every message of the latest customer turn, not only the last bubble', () => {
    expect(asksForHuman([customer('hi'), customer('can I talk to a person?'), customer('hello??')])).toBe(true);
  });

  it('ignores a request for a human that the business already answered', () => {
    const thread = [
      customer('can I talk to a person?'),
      agent('Hi, Sara here!'),
      customer('thanks, where is my order?'),
    ];
    expect(asksForHuman(thread)).toBe(false);
  });

  it('builds a handover with the fixed reason and the human_request intent', () => {
    expect(humanRequestDecision([customer('I want a human')], 'fallback')).toEqual({
      action: 'handover',
      reason: HUMAN_REQUEST_REASON,
      summary: 'Customer wrote: I want a human',
      intent: 'human_request',
      urgency: 'normal',
      source: 'fallback',
    });
  });
});

describe('FAQ matching', () => {
  it('matches a keyword case- and accent-insensitively', () => {
    expect(matchFaq('¿Cuánto tarda el ENVIO?', FAQ)?.answer).toBe('Shipping takes 2 to 4 working days.');
  });

  it('matches multi-word keywords and plurals as whole words', () => {
    expect(matchFaq('what are your opening  hours?', FAQ)).toBe(FAQ[0]);
    expect(matchFaq('are you open on Sundays?', FAQ)).toBe(FAQ[0]);
  });

  it('does not match a keyword inside another word', () => {
    expect(matchFaq('I could not get the box opened', FAQ)).toBeUndefined();
  });

  it('returns the first matching entry', () => {
    expect(matchFaq('shipping when you are open', FAQ)).toBe(FAQ[0]);
  });

  it('ignores empty keywords', () => {
    expect(matchFaq('anything', [{ keywords: ['', '  '], answer: 'x' }])).toBeUndefined();
  });
});

describe('the keyless fallback decision', () => {
  it('replies with the matching FAQ answer', () => {
    expect(fallbackDecision([customer('When are you open?')], settings())).toEqual({
      action: 'reply',
      reply: 'We are open Monday to Friday, 9:00 to 18:00.',
      summary: 'Customer wrote: When are you open?',
      intent: 'faq',
      urgency: 'low',
      source: 'fallback',
    });
  });

  it('hands over and says why when no FAQ entry matches', () => {
    expect(fallbackDecision([customer('My parcel arrived broken')], settings())).toMatchObject({
      action: 'handover',
      reason: FALLBACK_NO_MATCH_REASON,
      summary: 'Customer wrote: My parcel arrived broken',
      source: 'fallback',
    });
  });

  it('matches only what the customer wrote since the business last answered', () => {
    const thread = [customer('when are you open?'), ai('We are open Monday to Friday.'), customer('ok and returns?')];
    expect(fallbackDecision(thread, settings()).action).toBe('handover');
  });
});

describe('the thread helpers', () => {
  it('takes the customer messages after the last business message as the latest turn', () => {
    const thread = [customer('a'), ai('b'), customer('c'), customer(null, 'image')];
    expect(latestCustomerTurn(thread)).toEqual([customer('c'), customer(null, 'image')]);
  });

  it('summarises the latest turn on one line with a placeholder for media', () => {
    expect(summaryExcerpt([customer('hello\n\nthere'), customer(null, 'image')])).toBe(
      'Customer wrote: hello there [image message]',
    );
  });

  it('cuts a long summary to 200 characters without splitting an emoji', () => {
    const summary = summaryExcerpt([customer('😀'.repeat(300))]);
    expect(Array.from(summary)).toHaveLength(200);
    expect(summary.endsWith('😀…')).toBe(true);
  });
});

describe('AI settings', () => {
  it('uses the defaults when no row is stored', () => {
    expect(parseAiSettings(undefined)).toEqual({ settings: DEFAULT_AI_SETTINGS, valid: true });
  });

  it('fills fields missing from the stored value with their defaults', () => {
    expect(parseAiSettings({ instructions: 'We are Kliovo Coffee.' })).toEqual({
      settings: { enabled: true, instructions: 'We are Kliovo Coffee.', faq: [] },
      valid: true,
    });
  });

  it('falls back to the defaults when the stored value is invalid', () => {
    expect(parseAiSettings({ enabled: 'yes', faq: 'none' })).toEqual({ settings: DEFAULT_AI_SETTINGS, valid: false });
  });
});
