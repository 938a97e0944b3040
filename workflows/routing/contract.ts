/**
 * Routing's contract (DESIGN §3 "Routing workflows"): what a routing workflow receives and decides,
 * and the team queue workflow's id and inputs. A routing workflow is a child of the conversation,
 * chosen by name from registry.ts by the first matching routing rule in Postgres.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

export type AutoAssignStrategy = 'least-loaded' | 'round-robin';

export interface RoutingContext {
  conversationId: string;
  channelId: string;
  /** The conversation's team before routing (the channel's default team at first). */
  teamId: string | null;
  /** The AI's reading of the request, when it handed over. */
  intent: string | null;
  /** Conversation tags and the contact's tags. */
  tags: string[];
  /** Why routing runs (the handover reason, or "new conversation"). */
  reason: string;
  /** The matching rule's name and parameters, e.g. { teamId } or { userId }. */
  rule: string;
  params: Record<string, unknown>;
}

export interface RoutingDecision {
  teamId: string | null;
  /** An owner now; otherwise the conversation waits in the team queue. */
  assigneeId?: string | null;
  /** Wait in the team queue for the next agent with free capacity, picked by this strategy. */
  autoAssign?: AutoAssignStrategy | null;
  /** One line for the timeline: why this team or agent. */
  reason: string;
}

export type RoutingWorkflow = (ctx: RoutingContext) => Promise<RoutingDecision>;

/** `<conversation workflow id>:route:<n>` (STYLE §2): deterministic, one per routing run. */
export function routingChildWorkflowId(parentWorkflowId: string, n: number): string {
  return `${parentWorkflowId}:route:${n}`;
}

// ---------------------------------------------------------------------------------------------
// The team queue: one durable workflow per team that assigns waiting conversations, oldest first,
// the moment an agent has capacity (no polling sweep).

export const TEAM_QUEUE_WORKFLOW_TYPE = 'teamQueueWorkflow';

export function teamQueueWorkflowId(teamId: string): string {
  return `queue:${teamId}`;
}

export interface QueueEntry {
  /** The conversation workflow to offer an agent to. */
  workflowId: string;
  /** When the customer started waiting: the queue is served oldest first. */
  since: number;
  strategy: AutoAssignStrategy;
  /** Never offer this agent (the owner it was just taken from). */
  excludeUserId?: string;
}

export interface TeamQueueInput {
  teamId: string;
  /** Entries carried over continue-as-new. */
  carried?: QueueEntry[];
  /** How long an empty queue idles before its run completes (a later join starts a new one). */
  idleTimeoutMs?: number;
}

export const queueJoinSignal = defineSignal<[QueueEntry]>('queueJoin');
export const capacityFreedSignal = defineSignal<[]>('capacityFreed');
export const queueQuery = defineQuery<QueueEntry[]>('queue');
