import type { SlaPolicy } from '../../workflows/conversation/sla';
import type { ChosenRule } from '../routing/rules';
import type { InboundContact, InboundContent, InboundReferral } from '../channels/types';
import type { OutboundContent } from '../channels/send.activities';
import type { Actor, TimelineEventType } from '../../workflows/conversation/contract';
import type { Audience, ConversationStatus, Priority } from '../../workflows/conversation/state';

/** The part of workflow state the conversations row mirrors; `version` guards every write. */
export interface ConversationSnapshot {
  version: number;
  status: ConversationStatus;
  priority: Priority;
  escalationLevel: number;
  teamId: string | null;
  assigneeId: string | null;
  tags: string[];
  waitingSince: number | null;
  lastInboundAt: number | null;
  lastMessageAt: number | null;
  slaNextTier: string | null;
  slaNextAt: number | null;
  snoozedUntil: number | null;
  intent: string | null;
}

/** A timeline event, private note or notification batch, with an id chosen by the workflow. */
export interface ProjectedEvent {
  id: string;
  type: TimelineEventType;
  actor: Actor;
  data: Record<string, unknown>;
}

export interface ProjectedNote {
  id: string;
  authorKind: 'agent' | 'ai' | 'system';
  authorUserId: string | null;
  body: string;
}

export interface ProjectedNotification {
  /** One per decision; (batchId, user) makes a retried write a no-op. */
  batchId: string;
  kind: 'handover' | 'assigned' | 'escalation';
  audience: Audience;
  title: string;
  body: string;
  exceptUserId?: string;
}

export interface ProjectedEffects {
  events: ProjectedEvent[];
  notes: ProjectedNote[];
  notifications: ProjectedNotification[];
}

export interface RecordChangeInput extends ProjectedEffects {
  conversationId: string;
  /** Null when only notes or events are added (the conversation row does not change). */
  snapshot: ConversationSnapshot | null;
}

export interface OpenConversationInput {
  workflowId: string;
  channelId: string;
  contact: InboundContact;
  snapshot: ConversationSnapshot;
  /** Id for the `created` event, chosen by the workflow so a retry writes the same row. */
  createdEventId: string;
}

export interface OpenConversationResult {
  conversationId: string;
  contactId: string;
  /** The row's version: a new run continues from it. */
  version: number;
  /** The channel's default team, where the conversation waits until routing says otherwise. */
  defaultTeamId: string | null;
  /** Whether the AI gives the first response (workspace AI settings). */
  aiEnabled: boolean;
  /**
   * The default team's SLA policy, so the first waiting period needs no load of its own (issue #6).
   * Absent from results recorded before it existed: those runs load it as they did.
   */
  slaPolicy?: SlaPolicy;
}

/** The run's first customer message, stored by the opening (OpenConversationWithMessageInput). */
export type OpeningMessage = Omit<RecordInboundMessageInput, 'conversationId' | 'channelId' | 'snapshot'>;

export interface OpenConversationWithMessageInput extends OpenConversationInput {
  message: OpeningMessage;
  /** The workflow's time when it opened: the message's snapshot starts the SLA clock then. */
  receivedAt: number;
  /**
   * Whether to read the routing rule too (when the AI does not answer first). False when more
   * messages came with the first: rules read them all, so the rule is read once they are stored.
   */
  readRoutingRule: boolean;
}

export interface OpenConversationWithMessageResult extends OpenConversationResult {
  /** False for a redelivery of a message already stored (or a reaction whose target we never had). */
  stored: boolean;
  /** The routing rule that matches, when asked for and the AI does not answer first; else null. */
  rule: ChosenRule | null;
}

export interface RecordInboundMessageInput {
  conversationId: string;
  channelId: string;
  messageId: string;
  externalId: string;
  sentAt: number;
  content: InboundContent;
  snapshot: ConversationSnapshot;
  /** The provider id of the message this one quotes. */
  replyTo?: string;
  forwarded?: boolean;
  frequentlyForwarded?: boolean;
  referral?: InboundReferral;
}

export interface RecordOutboundMessageInput {
  conversationId: string;
  channelId: string;
  messageId: string;
  authorKind: 'agent' | 'ai' | 'system';
  authorUserId: string | null;
  /** The thread's text: the message itself, or a preview of a template. */
  text: string;
  /** What the send activity builds the provider message from; absent: a plain text of `text`. */
  content?: OutboundContent;
  sentAt: number;
  snapshot: ConversationSnapshot;
}

export interface RecordMessageFailureInput {
  messageId: string;
  code: number | null;
  reason: string;
}
