/**
 * The conversation's pure transitions (workflows/conversation/state.ts) and SLA maths (sla.ts):
 * the rules of DESIGN §3 without a server.
 */
import type { InboundMessage } from '../../../workflows/conversation/contract';
import { nextTier } from '../../../workflows/conversation/sla';
import {
  agentReplied,
  assigned,
  escalated,
  handover,
  initialState,
  opened,
  receiveInbound,
  reopened,
  resolved,
  routed,
  slaDue,
  snoozed,
  tagged,
  woke,
  type ConversationState,
} from '../../../workflows/conversation/state';

const NOW = 1_795_000_000_000;
const POLICY = { tiersMs: [300_000, 900_000, 1_800_000] as [number, number, number], requeueAtPriority: false };
const msg = (id: string, at = NOW): InboundMessage => ({
  externalId: id,
  sentAt: at,
  contact: { key: '447700900123', displayName: 'Priya' },
  content: { type: 'text', text: 'hello' },
});

function queuedConversation(overrides: Partial<ConversationState> = {}): ConversationState {
  const base = opened(initialState({ key: '447700900123' }), {
    conversationId: 'c1',
    version: 0,
    defaultTeamId: 'support',
    aiEnabled: false,
  }).state;
  const withMessage = receiveInbound(base, msg('wamid.1'), NOW).state;
  return { ...withMessage, slaPolicy: POLICY, ...overrides };
}

describe('SLA tiers', () => {
  it('names the next tier above the level already reached, due from the start of the waiting period', () => {
    expect(nextTier(POLICY, NOW, 0)).toEqual({ level: 1, name: 'sla-standard', dueAt: NOW + 300_000 });
    expect(nextTier(POLICY, NOW, 1)).toEqual({ level: 2, name: 'sla-priority', dueAt: NOW + 900_000 });
    expect(nextTier(POLICY, NOW, 3)).toBeNull();
  });

  it('starts the clock when a customer message waits for a human, not while the AI holds the conversation', () => {
    expect(queuedConversation().slaSince).toBe(NOW);
    const bot = opened(initialState({ key: 'k' }), {
      conversationId: 'c',
      version: 0,
      defaultTeamId: null,
      aiEnabled: true,
    }).state;
    const afterMessage = receiveInbound(bot, msg('wamid.b'), NOW).state;
    expect(afterMessage).toMatchObject({ status: 'bot', aiPending: true, slaSince: null, waitingSince: NOW });
  });

  it("adopts the default team's policy read with the row, so the first message already carries its deadline", () => {
    const fresh = initialState({ key: '447700900123' });
    const row = { conversationId: 'c1', version: 0, defaultTeamId: 'support', aiEnabled: false };
    const withPolicy = opened(fresh, { ...row, slaPolicy: POLICY }).state;
    expect(withPolicy).toMatchObject({ teamId: 'support', slaPolicy: POLICY });
    expect(slaDue(receiveInbound(withPolicy, msg('wamid.p'), NOW).state)).toEqual({
      nextTier: 'sla-standard',
      dueAt: NOW + 300_000,
    });
    // A result recorded before the policy came with it: the clock loads one as before.
    const without = opened(fresh, row).state;
    expect(without.slaPolicy).toBeNull();
    expect(slaDue(receiveInbound(without, msg('wamid.q'), NOW).state)).toBeNull();
  });

  it('notifies the owner at the standard tier, or the whole team when nobody owns the conversation', () => {
    const unowned = escalated(queuedConversation(), 1, NOW + 300_000, NOW + 300_000)!;
    expect(unowned.effects).toContainEqual(
      expect.objectContaining({ kind: 'notify', audience: { kind: 'team', teamId: 'support' } }),
    );
    const owned = escalated(queuedConversation({ assigneeId: 'ada', status: 'assigned' }), 1, NOW, NOW)!;
    expect(owned.effects).toContainEqual(
      expect.objectContaining({ kind: 'notify', audience: { kind: 'users', userIds: ['ada'] } }),
    );
    expect(owned.state.escalationLevel).toBe(1);
  });

  it('raises the priority and tells the team leads at the priority tier, and can return the conversation to the queue', () => {
    const plain = escalated(
      queuedConversation({ assigneeId: 'ada', status: 'assigned', escalationLevel: 1 }),
      2,
      NOW,
      NOW,
    )!;
    expect(plain.state).toMatchObject({ priority: 'high', escalationLevel: 2, assigneeId: 'ada' });
    expect(plain.effects).toContainEqual(
      expect.objectContaining({ audience: { kind: 'teamLeads', teamId: 'support' } }),
    );

    const requeue = escalated(
      queuedConversation({
        assigneeId: 'ada',
        status: 'assigned',
        escalationLevel: 1,
        slaPolicy: { ...POLICY, requeueAtPriority: true },
      }),
      2,
      NOW,
      NOW,
    )!;
    expect(requeue.state).toMatchObject({ assigneeId: null, status: 'queued' });
    expect(requeue.effects).toContainEqual({
      kind: 'joinQueue',
      teamId: 'support',
      strategy: 'least-loaded',
      excludeUserId: 'ada',
    });
    expect(requeue.effects).toContainEqual({ kind: 'capacityFreed', userId: 'ada' });
  });

  it('puts the conversation in the escalation lane for the managers at the manager tier, once', () => {
    const lane = escalated(queuedConversation({ escalationLevel: 2 }), 3, NOW, NOW)!;
    expect(lane.state).toMatchObject({ escalationLevel: 3, priority: 'urgent' });
    expect(lane.effects).toContainEqual(expect.objectContaining({ audience: { kind: 'managers' } }));
    expect(escalated(lane.state, 3, NOW, NOW)).toBeNull();
  });

  it('stops the clock and clears escalation when an agent answers; pending keeps it stopped', () => {
    const replied = agentReplied(queuedConversation({ escalationLevel: 2 }), { userId: 'ada' }, NOW + 1).state;
    expect(replied).toMatchObject({
      slaSince: null,
      waitingSince: null,
      escalationLevel: 0,
      assigneeId: 'ada',
      status: 'assigned',
    });
    const pending = agentReplied(queuedConversation(), { userId: 'ada', waitForCustomer: true }, NOW + 1).state;
    expect(pending).toMatchObject({ status: 'pending', slaSince: null });
    const customerAgain = receiveInbound(pending, msg('wamid.2', NOW + 5), NOW + 5).state;
    expect(customerAgain).toMatchObject({ status: 'assigned', slaSince: NOW + 5 });
  });

  it('pauses the clock while snoozed and restarts it when the snooze ends with the customer still waiting', () => {
    const s = snoozed(queuedConversation(), NOW + 60_000, { kind: 'user', userId: 'ada' }, NOW)!.state;
    expect(s).toMatchObject({ status: 'snoozed', slaSince: null, snoozedUntil: NOW + 60_000 });
    const w = woke(s, NOW + 60_000)!.state;
    expect(w).toMatchObject({ status: 'queued', slaSince: NOW + 60_000, snoozedUntil: null });
    expect(snoozed(queuedConversation(), NOW - 1, { kind: 'system' }, NOW)).toBeNull();
  });
});

describe('ownership transitions', () => {
  it('keeps a human owner when routing finishes after they took the conversation', () => {
    const claimed = assigned(
      queuedConversation(),
      { userId: 'ada', teamId: null },
      { kind: 'user', userId: 'ada' },
      NOW,
    ).state;
    expect(
      routed(claimed, { teamId: 'sales', assigneeId: null, autoAssign: 'least-loaded', reason: 'r', rule: 'x' }, NOW),
    ).toBeNull();
  });

  it('drops a handover of a resolved conversation', () => {
    const done = resolved(queuedConversation(), { kind: 'system' }, NOW)!.state;
    expect(handover(done, { to: { kind: 'manager' }, reason: 'late', by: { kind: 'system' } }, NOW)).toBeNull();
  });

  it('frees the owner’s capacity on resolve and checks an owner is still online when staff reopen', () => {
    const owned = queuedConversation({ assigneeId: 'ada', status: 'assigned' });
    const done = resolved(owned, { kind: 'user', userId: 'ada' }, NOW)!;
    expect(done.effects).toContainEqual({ kind: 'capacityFreed', userId: 'ada' });
    expect(done.state).toMatchObject({ status: 'resolved', assigneeId: 'ada', escalationLevel: 0, priority: 'normal' });
    const again = reopened(done.state, { kind: 'user', userId: 'lee' }, NOW)!;
    expect(again.state.status).toBe('assigned');
    expect(again.effects).toContainEqual({ kind: 'checkOwner', userId: 'ada' });
  });

  it('tells the receiving team when a conversation is assigned to its queue', () => {
    const change = assigned(
      queuedConversation({ assigneeId: 'ada', status: 'assigned' }),
      { userId: null, teamId: 'sales' },
      { kind: 'user', userId: 'boss' },
      NOW,
    );
    expect(change.state).toMatchObject({ teamId: 'sales', assigneeId: null, status: 'queued', slaPolicy: null });
    expect(change.effects).toContainEqual(
      expect.objectContaining({ kind: 'notify', audience: { kind: 'team', teamId: 'sales' }, exceptUserId: 'boss' }),
    );
  });

  it('ignores tags the conversation already has', () => {
    const once = tagged(queuedConversation(), ['vip'], { kind: 'system' }, NOW)!.state;
    expect(tagged(once, ['vip'], { kind: 'system' }, NOW)).toBeNull();
  });

  it('puts an AI card’s urgency into the priority and the summary into a private note', () => {
    const change = handover(
      { ...queuedConversation(), status: 'bot', slaSince: null },
      {
        to: { kind: 'routing' },
        reason: 'refund request',
        by: { kind: 'ai' },
        card: { summary: 'Wants a refund for a broken vase', intent: 'complaint', urgency: 'high' },
      },
      NOW,
    )!;
    expect(change.state).toMatchObject({ priority: 'high', intent: 'complaint', status: 'queued', slaSince: NOW });
    expect(change.effects).toContainEqual(
      expect.objectContaining({ kind: 'note', body: expect.stringContaining('Summary: Wants a refund') }),
    );
    expect(change.effects).toContainEqual({ kind: 'route', reason: 'refund request' });
  });
});
