/**
 * Typed recording fakes of every activity, for workflow tests (STYLE §10): what the workflow
 * decides and projects, not how activities do it. Typed as Activities, so a changed activity
 * signature fails the type check here.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../activities';
import type { ConversationSnapshot, OpeningMessage } from '../../activities/projection/types';
import { openingSnapshot } from '../../workflows/conversation/snapshot';
import { ErrorType } from '../../workflows/shared/errors';

export type Call = { [K in keyof Activities]: { name: K; input: Parameters<Activities[K]>[0] } }[keyof Activities];

/** Fakes typed as Activities, so a changed activity signature fails the type check here. */
export function recordingActivities(opts: { sendFails?: 'permanent' } = {}) {
  const calls: Call[] = [];
  const record = <K extends keyof Activities>(name: K, input: Parameters<Activities[K]>[0]) =>
    calls.push({ name, input } as Call);
  const opened = {
    conversationId: 'conv-row-1',
    contactId: 'contact-1',
    version: 0,
    defaultTeamId: 'team-support',
    aiEnabled: false,
  };
  const defaultRule = { name: 'default', workflow: 'to-team', params: { teamId: 'team-support' }, contactTags: [] };
  const activities: Activities = {
    async openConversation(input) {
      record('openConversation', input);
      return opened;
    },
    async openConversationWithMessage(input) {
      record('openConversationWithMessage', input);
      const rule = input.readRoutingRule ? defaultRule : null;
      return { ...opened, stored: true, rule };
    },
    async recordChange(input) {
      record('recordChange', input);
      return { whatsappAlertRecipients: 0 };
    },
    async loadSlaPolicy(input) {
      record('loadSlaPolicy', input);
      return { tiersMs: [300_000, 900_000, 1_800_000], requeueAtPriority: false };
    },
    async draftAiResponse(input) {
      record('draftAiResponse', input);
      return {
        action: 'handover',
        reason: 'test',
        summary: 'test',
        intent: 'general',
        urgency: 'normal',
        source: 'fallback',
      };
    },
    async chooseRoutingRule(input) {
      record('chooseRoutingRule', input);
      return defaultRule;
    },
    async pickAgent(input) {
      record('pickAgent', input);
      return null;
    },
    async agentAvailability(input) {
      record('agentAvailability', input);
      return { online: true, underCapacity: true };
    },
    async joinTeamQueue(input) {
      record('joinTeamQueue', input);
    },
    async announceFreeCapacity(input) {
      record('announceFreeCapacity', input);
    },
    async offerConversation(input) {
      record('offerConversation', input);
      return { accepted: false };
    },
    async recordInboundMessage(input) {
      record('recordInboundMessage', input);
      return { stored: true };
    },
    async recordOutboundMessage(input) {
      record('recordOutboundMessage', input);
    },
    async recordMessageFailure(input) {
      record('recordMessageFailure', input);
    },
    async notifyAgentsOnWhatsApp(input) {
      record('notifyAgentsOnWhatsApp', input);
      return { sent: 0, failed: 0, skipped: 0 };
    },
    async sendChannelMessage(input) {
      record('sendChannelMessage', input);
      if (opts.sendFails === 'permanent') {
        throw ApplicationFailure.create({
          message: 'WhatsApp refused the message (131047): Re-engagement message',
          type: ErrorType.ChannelPermanentFailure,
          nonRetryable: true,
          details: [{ code: 131047 }],
        });
      }
      return { externalId: `wamid.sent-${input.messageId}` };
    },
    async storeInboundMedia(input) {
      record('storeInboundMedia', input);
      return { status: 'stored', mediaId: `media-${input.messageId}` };
    },
  };
  const named = <K extends keyof Activities>(name: K) =>
    calls.filter((c) => c.name === name).map((c) => c.input as Parameters<Activities[K]>[0]);
  /**
   * Every customer message the workflow stored, in call order: by the run's opening, with the
   * snapshot the real activity computes from the row above (snapshot.ts), or on its own.
   */
  type Stored = OpeningMessage & { snapshot: ConversationSnapshot };
  const inboundStored = (): Stored[] =>
    calls.flatMap((c): Stored[] => {
      if (c.name === 'recordInboundMessage') return [c.input];
      if (c.name !== 'openConversationWithMessage') return [];
      const { message, contact, receivedAt } = c.input;
      const first = { ...message, contact };
      return [{ ...message, snapshot: openingSnapshot({ ...opened, slaPolicy: undefined }, first, receivedAt) }];
    });
  return { activities, calls, named, inboundStored };
}
