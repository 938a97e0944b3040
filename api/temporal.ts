/**
 * The one place conversation workflows are started (STYLE §3): signalWithStart with the inbox
 * search attributes and a human summary, so a manager can find the conversation in the UI. A
 * message to a conversation whose run this process already knows signals that run instead.
 */
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import type { ChannelKind } from '../activities/channels/types';
import {
  CONVERSATION_WORKFLOW_TYPE,
  conversationWorkflowId,
  inboundMessageSignal,
  type ConversationInput,
  type InboundMessage,
} from '../workflows/conversation/contract';
import type { conversationWorkflow } from '../workflows/conversation/conversation.workflow';
import { WORKFLOW_TASK_TIMEOUT } from '../workflows/shared/workflow-task-timeout';
import { INBOX_CHANNEL, INBOX_ESCALATION, INBOX_PRIORITY, INBOX_STATUS } from '../workflows/shared/search-attributes';

/**
 * Lazy: the web process starts, and serves the inbox from Postgres, while Temporal is still
 * starting or is down; calls that need it fail as 503s until it is back.
 */
export function connectTemporal(address: string, namespace: string): Client {
  const connection = Connection.lazy({ address });
  return new Client({ connection, namespace });
}

export interface DeliverInboundOptions {
  taskQueue: string;
  channel: { id: string; kind: ChannelKind };
  message: InboundMessage;
  idleTimeoutMs?: number;
  /** The runs this process has delivered to: a follow-up signals its run directly (see below). */
  knownRuns?: KnownRuns;
}

/**
 * The latest run of each conversation this process delivered to, in the order it learned them
 * (from a signalWithStart; a signal to a known run does not reorder), the oldest dropped past
 * `capacity`. A signal that names its run spares the server a read of the conversation's
 * current run (signalWithStart makes one for every message: issue #6, at the first rate the inbox
 * did not sustain, about one persistence call in five, by count and by time).
 */
export class KnownRuns {
  private readonly runs = new Map<string, string>();
  constructor(private readonly capacity = 10_000) {}

  get(workflowId: string): string | undefined {
    return this.runs.get(workflowId);
  }

  set(workflowId: string, runId: string): void {
    this.runs.delete(workflowId);
    this.runs.set(workflowId, runId);
    if (this.runs.size > this.capacity) this.runs.delete(this.runs.keys().next().value!);
  }

  forget(workflowId: string): void {
    this.runs.delete(workflowId);
  }
}

const CHANNEL_LABEL: Record<ChannelKind, string> = {
  whatsapp: 'WhatsApp',
  messenger: 'Messenger',
  instagram: 'Instagram',
};

/**
 * How long a webhook waits for Temporal to accept a message. The SDK would otherwise keep retrying
 * an unreachable server for about 20 s; past this the webhook answers 503 and Meta redelivers
 * (the workflow drops a message id it has already seen, so a late acceptance is not doubled).
 */
export const DELIVER_DEADLINE_MS = 8_000;

/** Resolves once Temporal has durably accepted the signal (and started the run if needed). */
export async function deliverInbound(client: Client, opts: DeliverInboundOptions): Promise<string> {
  const { channel, message } = opts;
  const workflowId = conversationWorkflowId(channel.id, message.contact.key);
  const input: ConversationInput = {
    channelId: channel.id,
    channelKind: channel.kind,
    contactKey: message.contact.key,
    ...(opts.idleTimeoutMs ? { idleTimeoutMs: opts.idleTimeoutMs } : {}),
  };
  const start = () =>
    client.workflow.signalWithStart<typeof conversationWorkflow, [InboundMessage]>(CONVERSATION_WORKFLOW_TYPE, {
      workflowId,
      taskQueue: opts.taskQueue,
      workflowTaskTimeout: WORKFLOW_TASK_TIMEOUT,
      args: [input],
      signal: inboundMessageSignal,
      signalArgs: [message],
      typedSearchAttributes: [
        { key: INBOX_STATUS, value: 'queued' },
        { key: INBOX_CHANNEL, value: channel.kind },
        { key: INBOX_ESCALATION, value: 0 },
        { key: INBOX_PRIORITY, value: 'normal' },
      ],
      // The summary is a payload (not a search attribute), so a display name may appear here.
      staticSummary: `${CHANNEL_LABEL[channel.kind]} conversation with ${message.contact.displayName ?? 'a new contact'}`,
    });
  const { knownRuns } = opts;
  await client.withDeadline(Date.now() + DELIVER_DEADLINE_MS, async () => {
    const runId = knownRuns?.get(workflowId);
    if (runId) {
      try {
        await client.workflow.getHandle(workflowId, runId).signal(inboundMessageSignal, message);
        return;
      } catch (err) {
        // That run has ended (idle, continued as new): the message starts or reaches the next.
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        knownRuns!.forget(workflowId);
      }
    }
    const handle = await start();
    knownRuns?.set(workflowId, handle.signaledRunId);
  });
  return workflowId;
}
