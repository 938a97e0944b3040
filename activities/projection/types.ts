import type { InboundContact, InboundContent } from '../channels/types';
import type { ConversationStatus, Priority } from '../../workflows/conversation/state';

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
}

export interface RecordInboundMessageInput {
  conversationId: string;
  channelId: string;
  messageId: string;
  externalId: string;
  sentAt: number;
  content: InboundContent;
  snapshot: ConversationSnapshot;
}

export interface RecordOutboundMessageInput {
  conversationId: string;
  channelId: string;
  messageId: string;
  authorKind: 'agent' | 'ai' | 'system';
  authorUserId: string | null;
  text: string;
  sentAt: number;
  snapshot: ConversationSnapshot;
}

export interface RecordMessageFailureInput {
  messageId: string;
  code: number | null;
  reason: string;
}
