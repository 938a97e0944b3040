/**
 * The workflow's copy of the reply-window rule agrees with each adapter's `replyPolicy` (the rule
 * the send activity enforces), and the `reply` validator refuses what the rule refuses.
 */
import { ApplicationFailure } from '@temporalio/common';
import { createChannelRegistry } from '../../../activities/channels/registry';
import type { ChannelKind } from '../../../activities/channels/types';
import {
  closedWindowMessage,
  replyWindow,
  templatesAllowed,
  type ReplyInput,
} from '../../../workflows/conversation/contract';
import { initialState, type ConversationState } from '../../../workflows/conversation/state';
import { validateReply } from '../../../workflows/conversation/validation';
import { ErrorType } from '../../../workflows/shared/errors';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const LAST = Date.UTC(2026, 10, 20, 9, 30);

const adapters = createChannelRegistry({ graphBaseUrl: 'http://graph.invalid', graphVersion: 'v25.0' });
const KINDS: ChannelKind[] = ['whatsapp', 'messenger', 'instagram'];

const ELAPSED: [string, number][] = [
  ['23h59', 23 * HOUR + 59 * MINUTE],
  ['24h01', 24 * HOUR + MINUTE],
  ['6d23h', 6 * DAY + 23 * HOUR],
  ['7d01', 7 * DAY + MINUTE],
];

describe('replyWindow', () => {
  describe.each(KINDS)('on %s', (kind) => {
    const adapter = adapters[kind]!;

    it.each(ELAPSED)('agrees with the adapter’s replyPolicy %s after the last customer message', (_label, elapsed) => {
      const now = LAST + elapsed;
      const policy = adapter.replyPolicy(LAST, now);
      const window = replyWindow(kind, LAST, now);
      expect(window.freeForm).toBe(policy.freeForm);
      expect(window.tag).toBe(policy.tag);
      expect(window.templatesOnly).toBe(!policy.freeForm && policy.templates);
      expect(templatesAllowed(kind)).toBe(policy.templates);
    });

    it('agrees with the adapter before the customer ever wrote and exactly at the boundaries', () => {
      for (const [last, now] of [
        [null, LAST],
        [LAST, LAST + DAY],
        [LAST, LAST + 7 * DAY],
        [LAST, LAST],
      ] as const) {
        const policy = adapter.replyPolicy(last, now);
        const window = replyWindow(kind, last, now);
        expect([window.freeForm, window.tag]).toEqual([policy.freeForm, policy.tag]);
        expect(window.templatesOnly).toBe(!policy.freeForm && policy.templates);
      }
    });
  });

  it('gives WhatsApp 24 hours of free-form replies, then templates only', () => {
    expect(replyWindow('whatsapp', LAST, LAST + 23 * HOUR)).toEqual({
      freeForm: true,
      closesAt: LAST + DAY,
      templatesOnly: false,
    });
    expect(replyWindow('whatsapp', LAST, LAST + 25 * HOUR)).toEqual({
      freeForm: false,
      closesAt: LAST + DAY,
      templatesOnly: true,
    });
    expect(replyWindow('whatsapp', null, LAST)).toEqual({ freeForm: false, closesAt: null, templatesOnly: true });
  });

  it('tags Messenger and Instagram replies HUMAN_AGENT between 24 hours and 7 days, then closes', () => {
    for (const kind of ['messenger', 'instagram'] as const) {
      expect(replyWindow(kind, LAST, LAST + HOUR)).toEqual({
        freeForm: true,
        closesAt: LAST + 7 * DAY,
        templatesOnly: false,
      });
      expect(replyWindow(kind, LAST, LAST + 2 * DAY)).toEqual({
        freeForm: true,
        closesAt: LAST + 7 * DAY,
        templatesOnly: false,
        tag: 'HUMAN_AGENT',
      });
      expect(replyWindow(kind, LAST, LAST + 8 * DAY)).toEqual({
        freeForm: false,
        closesAt: LAST + 7 * DAY,
        templatesOnly: false,
      });
    }
  });

  it('explains a closed window with the time it closed', () => {
    expect(closedWindowMessage('whatsapp', replyWindow('whatsapp', LAST, LAST + 25 * HOUR))).toBe(
      'The 24-hour WhatsApp window closed at 2026-11-21T09:30:00.000Z; send an approved template instead',
    );
    expect(closedWindowMessage('messenger', replyWindow('messenger', LAST, LAST + 8 * DAY))).toBe(
      'The 7-day Messenger reply window closed at 2026-11-27T09:30:00.000Z; the customer has to write again first',
    );
    expect(closedWindowMessage('whatsapp', replyWindow('whatsapp', LAST, LAST + HOUR))).toBeNull();
  });
});

describe('validateReply', () => {
  const opened = (lastInboundAt: number | null): ConversationState => ({
    ...initialState({ key: '447700900123' }),
    conversationId: 'conv-1',
    lastInboundAt,
  });
  const failure = (fn: () => void): ApplicationFailure => {
    try {
      fn();
    } catch (err) {
      if (err instanceof ApplicationFailure) return err;
      throw err;
    }
    throw new Error('expected a rejection');
  };
  const text = (t: string): ReplyInput => ({ authorUserId: 'agent-1', text: t });
  const template = (parameters: string[], name = 'order_update', language = 'en'): ReplyInput => ({
    authorUserId: 'agent-1',
    template: { name, language, parameters },
  });

  it('lets a text through inside the window and refuses it outside with ReplyWindowClosed', () => {
    const channel = { kind: 'whatsapp' as const, now: LAST + 23 * HOUR };
    expect(() => validateReply(opened(LAST), text('On its way'), channel)).not.toThrow();
    const closed = failure(() =>
      validateReply(opened(LAST), text('On its way'), { ...channel, now: LAST + 25 * HOUR }),
    );
    expect(closed.type).toBe(ErrorType.ReplyWindowClosed);
    expect(closed.message).toBe(
      'The 24-hour WhatsApp window closed at 2026-11-21T09:30:00.000Z; send an approved template instead',
    );
  });

  it('lets a WhatsApp template through at any time, and refuses templates elsewhere', () => {
    expect(() =>
      validateReply(opened(LAST), template(['8812']), { kind: 'whatsapp', now: LAST + 30 * DAY }),
    ).not.toThrow();
    expect(() => validateReply(opened(null), template([]), { kind: 'whatsapp', now: LAST })).not.toThrow();
    const messenger = failure(() => validateReply(opened(LAST), template(['x']), { kind: 'messenger', now: LAST }));
    expect(messenger.type).toBe(ErrorType.InvalidInput);
  });

  it('refuses a reply that is both or neither, and malformed templates, as InvalidInput', () => {
    const channel = { kind: 'whatsapp' as const, now: LAST };
    const bad: unknown[] = [
      { authorUserId: 'agent-1' },
      { authorUserId: 'agent-1', text: 'hi', template: { name: 'order_update', language: 'en', parameters: [] } },
      template(['x'], 'Order-Update'),
      template(['x'], 'order_update', 'english'),
      template(['line\nbreak']),
      template(['five     spaces']),
      template(['']),
      { authorUserId: 'agent-1', template: { name: 'order_update', language: 'en', parameters: 'x' } },
    ];
    for (const reply of bad) {
      expect(failure(() => validateReply(opened(LAST), reply as ReplyInput, channel)).type).toBe(
        ErrorType.InvalidInput,
      );
    }
  });
});
