import type { InboundContent } from '../../../activities/channels/types';
import type { InboundMessage } from '../../../workflows/conversation/contract';
import {
  agentReplied,
  initialState,
  opened,
  receiveInbound,
  resolved,
  type ConversationState,
} from '../../../workflows/conversation/state';

const T0 = Date.UTC(2026, 0, 6, 12, 0, 0);
const contact = { key: '447700900123', waId: '447700900123', displayName: 'Priya' };
let counter = 0;

function message(content: InboundContent, sentAt: number): InboundMessage {
  return { externalId: `wamid.unit-${++counter}`, sentAt, contact, content };
}
const text = (t: string, sentAt: number) => message({ type: 'text', text: t }, sentAt);
const reaction = (emoji: string | null, target: string, sentAt: number) =>
  message({ type: 'reaction', emoji, targetExternalId: target }, sentAt);

/** A conversation in the Support queue (AI off), opened at T0. */
function queued(): ConversationState {
  return opened(initialState(contact), {
    conversationId: 'conv-1',
    version: 0,
    defaultTeamId: 'team-support',
    aiEnabled: false,
  }).state;
}

/** The AI holds the conversation. */
function withBot(): ConversationState {
  return opened(initialState(contact), {
    conversationId: 'conv-1',
    version: 0,
    defaultTeamId: 'team-support',
    aiEnabled: true,
  }).state;
}

describe('receiveInbound', () => {
  it('starts the waiting period and the SLA clock at the first unanswered customer message', () => {
    const { state } = receiveInbound(queued(), text('Where is my order?', T0), T0 + 50);
    expect(state.waitingSince).toBe(T0);
    expect(state.slaSince).toBe(T0 + 50);
    expect(state.lastInboundAt).toBe(T0);
  });

  it('does not open a waiting period or start the SLA clock for a reaction after an agent reply', () => {
    const asked = receiveInbound(queued(), text('Where is my order?', T0), T0).state;
    const answered = agentReplied(asked, { userId: 'agent-1' }, T0 + 60_000).state;
    expect(answered.waitingSince).toBeNull();
    expect(answered.slaSince).toBeNull();

    const change = receiveInbound(answered, reaction('👍', 'wamid.reply', T0 + 120_000), T0 + 120_000);
    expect(change.effects).toEqual([]);
    expect(change.state.waitingSince).toBeNull();
    expect(change.state.slaSince).toBeNull();
    expect(change.state.status).toBe('assigned');
    // Not the customer's last message: it does not move the reply window or the list order.
    expect(change.state.lastInboundAt).toBe(T0);
    expect(change.state.lastMessageAt).toBe(answered.lastMessageAt);
    // Still recorded (bumped, and deduplicated by its id).
    expect(change.state.version).toBe(answered.version + 1);
    expect(change.state.recentExternalIds).toContain(`wamid.unit-${counter}`);
  });

  it('leaves a running SLA clock where it was when the customer reacts while waiting', () => {
    const waiting = receiveInbound(queued(), text('Hello?', T0), T0).state;
    const { state } = receiveInbound(waiting, reaction('🙏', 'wamid.x', T0 + 30_000), T0 + 30_000);
    expect(state.waitingSince).toBe(T0);
    expect(state.slaSince).toBe(waiting.slaSince);
  });

  it('does not wake the AI for a reaction', () => {
    const bot = withBot();
    expect(receiveInbound(bot, reaction('❤️', 'wamid.ai', T0), T0).state.aiPending).toBe(false);
    expect(receiveInbound(bot, text('hi', T0), T0).state.aiPending).toBe(true);
  });

  it('does not reopen a resolved conversation for a reaction (or its removal)', () => {
    const done = resolved(receiveInbound(queued(), text('thanks', T0), T0).state, { kind: 'system' }, T0 + 1000)!.state;
    expect(done.status).toBe('resolved');
    for (const emoji of ['👍', null]) {
      const change = receiveInbound(done, reaction(emoji, 'wamid.bye', T0 + 5000), T0 + 5000);
      expect(change.state.status).toBe('resolved');
      expect(change.effects).toEqual([]);
    }
  });
});
