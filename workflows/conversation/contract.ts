/**
 * The conversation workflow's contract with the rest of the product (DESIGN §3): its id, input,
 * signals, updates and queries, defined once and imported by the workflow, the API and tests.
 * Wire names are contracts with running workflows: renaming one is a versioned change.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ChannelKind, InboundContact, InboundContent } from '../../activities/channels/types';
import type { ConversationStateView, ConversationState } from './state';

export const CONVERSATION_WORKFLOW_TYPE = 'conversationWorkflow';

/** `conv:<channelId>:<contactKey>`: exactly one open conversation per contact per channel. */
export function conversationWorkflowId(channelId: string, contactKey: string): string {
  return `conv:${channelId}:${contactKey}`;
}

export interface ConversationInput {
  channelId: string;
  channelKind: ChannelKind;
  contactKey: string;
  /** How long a resolved conversation idles before its run completes. */
  idleTimeoutMs?: number;
  /** State carried over continue-as-new; absent on a conversation's first run. */
  carried?: ConversationState;
}

/** A customer message, normalised by the channel adapter (no provider JSON). */
export interface InboundMessage {
  externalId: string;
  /** Provider timestamp, epoch ms. */
  sentAt: number;
  contact: InboundContact;
  content: InboundContent;
}

export interface ReplyInput {
  /** The signed-in agent; the API has already checked they may act on this conversation. */
  authorUserId: string;
  text: string;
}

export interface ReplyResult {
  messageId: string;
  status: 'sent' | 'failed';
  externalId?: string;
  /** Why the provider refused, when status is failed. */
  error?: string;
}

/** WhatsApp's text limit (WIRE.md §2.2). */
export const MAX_REPLY_LENGTH = 4096;

export const inboundMessageSignal = defineSignal<[InboundMessage]>('inboundMessage');
export const replyUpdate = defineUpdate<ReplyResult, [ReplyInput]>('reply');
export const stateQuery = defineQuery<ConversationStateView>('state');

/** The closed list of timeline event types (DESIGN §2). */
export type TimelineEventType =
  | 'created'
  | 'ai_replied'
  | 'handover_requested'
  | 'assigned'
  | 'unassigned'
  | 'escalated'
  | 'tagged'
  | 'status_changed'
  | 'sla_breached'
  | 'resolved'
  | 'reopened';
