import { canSee, parseLiveEvent, type Viewer } from '../../../api/services/live.service';
import { MAX_PAYLOAD_BYTES, livePayload, type LiveEvent } from '../../../activities/projection/live';

const TEAM_A = 'team-a';
const TEAM_B = 'team-b';
const agentA: Viewer = { actor: { id: 'agent-a', role: 'agent' }, teamIds: new Set([TEAM_A]) };
const agentB: Viewer = { actor: { id: 'agent-b', role: 'agent' }, teamIds: new Set([TEAM_B]) };
const admin: Viewer = { actor: { id: 'admin', role: 'admin' }, teamIds: new Set() };
const owner: Viewer = { actor: { id: 'owner', role: 'owner' }, teamIds: new Set() };

const conversation = (teamId: string | null, assigneeId: string | null): LiveEvent => ({
  type: 'conversation',
  conversationId: 'c1',
  version: 4,
  teamId,
  assigneeId,
  status: assigneeId ? 'assigned' : 'queued',
});

describe('who receives a live event (the inbox visibility rule, DESIGN §4)', () => {
  it('shows a team’s conversation to its members and the managers only', () => {
    const event = conversation(TEAM_A, null);
    expect([agentA, agentB, admin, owner].map((v) => canSee(v, event))).toEqual([true, false, true, true]);
  });

  it('shows a conversation assigned to an agent outside its team to that agent', () => {
    const event = conversation(TEAM_A, 'agent-b');
    expect([agentA, agentB].map((v) => canSee(v, event))).toEqual([true, true]);
  });

  it('shows a conversation without a team only to the managers and its assignee', () => {
    expect([agentA, agentB, admin].map((v) => canSee(v, conversation(null, null)))).toEqual([false, false, true]);
    expect(canSee(agentA, conversation(null, 'agent-a'))).toBe(true);
  });

  it('applies the same rule to message events, and managers-only when the team is unknown', () => {
    const known: LiveEvent = {
      type: 'message',
      conversationId: 'c1',
      messageId: 'm1',
      teamId: TEAM_B,
      assigneeId: null,
    };
    expect([agentA, agentB, owner].map((v) => canSee(v, known))).toEqual([false, true, true]);
    const unknown: LiveEvent = { type: 'message', conversationId: 'c1', messageId: 'm1' };
    expect([agentA, agentB, owner].map((v) => canSee(v, unknown))).toEqual([false, false, true]);
  });

  it('sends a notification only to the user it was written for, managers included', () => {
    const event: LiveEvent = {
      type: 'notification',
      notificationId: 'n1',
      userId: 'agent-b',
      kind: 'handover',
      title: 'A conversation was handed over',
      body: 'Refund',
      conversationId: 'c1',
    };
    expect([agentA, agentB, admin, owner].map((v) => canSee(v, event))).toEqual([false, true, false, false]);
  });

  it('never forwards membership events', () => {
    expect(canSee(owner, { type: 'membership', userId: 'owner' })).toBe(false);
  });
});

describe('live payloads', () => {
  it('parse back to the event and reject anything else', () => {
    const event = conversation(TEAM_A, null);
    expect(parseLiveEvent(livePayload(event)!)).toEqual(event);
    expect(parseLiveEvent('not json')).toBeNull();
    expect(parseLiveEvent('{"type":"conversation"}')).toBeNull();
    expect(parseLiveEvent('{"type":"other","userId":"u"}')).toBeNull();
    expect(parseLiveEvent('null')).toBeNull();
  });

  it('stay under Postgres’ NOTIFY limit however long a notification is', () => {
    const payload = livePayload({
      type: 'notification',
      notificationId: 'n1',
      userId: 'u1',
      kind: 'handover',
      title: '📦'.repeat(5_000),
      body: 'é'.repeat(20_000),
      conversationId: 'c1',
    });
    expect(Buffer.byteLength(payload!)).toBeLessThan(MAX_PAYLOAD_BYTES);
    const parsed = JSON.parse(payload!) as { title: string; body: string };
    expect(parsed.title.endsWith('…')).toBe(true);
    expect(parsed.body.length).toBeLessThanOrEqual(500);
  });
});
