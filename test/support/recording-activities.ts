/**
 * Typed recording fakes of every activity, for workflow tests (STYLE §10): what the workflow
 * decides and projects, not how activities do it. Typed as Activities, so a changed activity
 * signature fails the type check here.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../activities';
import { ErrorType } from '../../workflows/shared/errors';

export type Call = { [K in keyof Activities]: { name: K; input: Parameters<Activities[K]>[0] } }[keyof Activities];

/** Fakes typed as Activities, so a changed activity signature fails the type check here. */
export function recordingActivities(opts: { sendFails?: 'permanent' } = {}) {
  const calls: Call[] = [];
  const record = <K extends keyof Activities>(name: K, input: Parameters<Activities[K]>[0]) =>
    calls.push({ name, input } as Call);
  const activities: Activities = {
    async openConversation(input) {
      record('openConversation', input);
      return {
        conversationId: 'conv-row-1',
        contactId: 'contact-1',
        version: 0,
        defaultTeamId: 'team-support',
        aiEnabled: false,
      };
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
      return { name: 'default', workflow: 'to-team', params: { teamId: 'team-support' }, contactTags: [] };
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
  return { activities, calls, named };
}
