/**
 * The conversation workflow's contract with the rest of the product (DESIGN §3): its id, input,
 * signals, updates and queries, defined once and imported by the workflow, the API and tests.
 * Wire names are contracts with running workflows: renaming one is a versioned change.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ChannelKind, InboundContact, InboundContent, InboundReferral } from '../../activities/channels/types';
import type { ConversationStateView, ConversationState } from './state';

/**
 * The reply-window rule, re-exported so the API and the web (which may import only this module
 * from workflows/ at runtime) compute the composer's indicator from the projection row's
 * `last_inbound_at` with the same function the workflow enforces.
 */
export {
  CUSTOMER_SERVICE_WINDOW_MS,
  HUMAN_AGENT_WINDOW_MS,
  closedWindowMessage,
  replyWindow,
  templatesAllowed,
  type ReplyWindow,
} from './reply-window';

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
  /** Signals the previous run received but had not acted on yet, in arrival order. */
  carriedCommands?: ConversationCommand[];
}

/** A customer message, normalised by the channel adapter (no provider JSON). */
export interface InboundMessage {
  externalId: string;
  /** Provider timestamp, epoch ms. */
  sentAt: number;
  contact: InboundContact;
  content: InboundContent;
  /** The provider id of the message this one quotes ("replying to …"). */
  replyTo?: string;
  /** WhatsApp: forwarded (at most 5 times) / frequently forwarded (more than 5). */
  forwarded?: boolean;
  frequentlyForwarded?: boolean;
  /** The ad or link that brought the customer (plain JSON), usually on the first message only. */
  referral?: InboundReferral;
}

/** Who did something: a signed-in staff member, the AI, or routing/SLA automation. */
export type Actor = { kind: 'user'; userId: string } | { kind: 'ai' } | { kind: 'system' };

/** Where a handover goes. `routing` lets the routing rules decide (the AI's default). */
export type HandoverTarget =
  { kind: 'agent'; userId: string } | { kind: 'team'; teamId: string } | { kind: 'manager' } | { kind: 'routing' };

export type Urgency = 'low' | 'normal' | 'high' | 'urgent';

/** The handover card: what the receiver reads before replying (DESIGN §3). */
export interface HandoverCard {
  summary: string;
  intent: string;
  urgency: Urgency;
}

export interface HandoverInput {
  to: HandoverTarget;
  /** Required: a handover without a reason is refused. */
  reason: string;
  /** An optional private note for the receiver. */
  note?: string;
  by: Actor;
  /** Present when the AI hands over; a human handover may add one too. */
  card?: HandoverCard;
}

export interface TagInput {
  tags: string[];
  by: Actor;
}

export interface SnoozeInput {
  /** Epoch ms; the conversation wakes exactly then (or earlier, when the customer writes). */
  until: number;
  by: Actor;
}

export interface ActorInput {
  by: Actor;
}

/**
 * An approved WhatsApp template by name and language (exactly as approved, e.g. `en_GB`), with its
 * positional body parameters `{{1}}, {{2}}, …` in order (WIRE.md §2.2). Whether it exists and is
 * approved is checked by the send activity against the synced templates.
 */
export interface ReplyTemplate {
  name: string;
  language: string;
  parameters: string[];
}

/** Exactly one of `text` (a free-form reply, only inside the reply window) or `template`. */
export type ReplyInput = {
  /** The signed-in agent; the API has already checked they may act on this conversation. */
  authorUserId: string;
  /** Set the conversation to `pending` (waiting on the customer) once the reply is sent. */
  waitForCustomer?: boolean;
} & ({ text: string; template?: undefined } | { template: ReplyTemplate; text?: undefined });

export interface ReplyResult {
  messageId: string;
  status: 'sent' | 'failed';
  externalId?: string;
  /** Why the provider refused, when status is failed. */
  error?: string;
}

export interface AssignInput {
  /** An agent (their team stays unless `teamId` is given too) or a team queue. */
  userId?: string | null;
  teamId?: string | null;
  by: Actor;
  /** Routing's offers: refused when someone already owns the conversation (first owner wins). */
  onlyIfUnowned?: boolean;
}

export interface ClaimInput {
  userId: string;
  /**
   * The owner the API found offline: their conversations stay claimable by the team (DESIGN §3,
   * "keeps nothing hostage"). Naming them makes concurrent takeovers safe: only the first one
   * still finds that owner, so later claims are refused like any other.
   */
  offlineOwnerId?: string;
}

export interface OwnershipResult {
  status: string;
  teamId: string | null;
  assigneeId: string | null;
  version: number;
}

export interface AddNoteInput {
  authorUserId: string;
  text: string;
}

export interface AddNoteResult {
  noteId: string;
}

/**
 * A signal as the workflow queues it, or an SLA tier its clock found due: processed in arrival
 * order by its main loop.
 */
export type ConversationCommand =
  | { kind: 'inbound'; message: InboundMessage }
  | { kind: 'handover'; input: HandoverInput }
  | { kind: 'tag' | 'untag'; tags: string[]; by: Actor }
  | { kind: 'snooze'; until: number; by: Actor }
  | { kind: 'resolve' | 'reopen'; by: Actor }
  /** The tier `level` of the waiting period that began at `since` came due at `dueAt`. */
  | { kind: 'slaDue'; since: number; level: 1 | 2 | 3; dueAt: number };

/** WhatsApp's text limit (WIRE.md §2.2). */
export const MAX_REPLY_LENGTH = 4096;
/** Template names are lowercase letters, digits and `_` (WIRE.md §2.2). */
export const TEMPLATE_NAME_PATTERN = /^[a-z0-9_]{1,512}$/;
/** Language codes such as `en`, `en_US`, `pt_BR`, `zh_Hant_HK`. */
export const TEMPLATE_LANGUAGE_PATTERN = /^[a-z]{2,3}(_[A-Za-z0-9]{2,4}){0,2}$/;
export const MAX_TEMPLATE_PARAMETERS = 30;
/** Meta refuses longer body parameters; newlines, tabs and runs of 5+ spaces are refused too (132000). */
export const MAX_TEMPLATE_PARAMETER_LENGTH = 1024;
export const MAX_NOTE_LENGTH = 4096;
export const MAX_REASON_LENGTH = 500;
export const MAX_TAG_LENGTH = 40;
export const MAX_TAGS = 20;

export const inboundMessageSignal = defineSignal<[InboundMessage]>('inboundMessage');
export const handoverSignal = defineSignal<[HandoverInput]>('handover');
export const tagSignal = defineSignal<[TagInput]>('tag');
export const untagSignal = defineSignal<[TagInput]>('untag');
export const snoozeSignal = defineSignal<[SnoozeInput]>('snooze');
export const resolveSignal = defineSignal<[ActorInput]>('resolve');
export const reopenSignal = defineSignal<[ActorInput]>('reopen');

export const replyUpdate = defineUpdate<ReplyResult, [ReplyInput]>('reply');
export const assignUpdate = defineUpdate<OwnershipResult, [AssignInput]>('assign');
export const claimUpdate = defineUpdate<OwnershipResult, [ClaimInput]>('claim');
export const addNoteUpdate = defineUpdate<AddNoteResult, [AddNoteInput]>('addNote');

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
