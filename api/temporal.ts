/**
 * The one place conversation workflows are started (STYLE §3): signalWithStart with the inbox
 * search attributes and a human summary, so a manager can find the conversation in the UI.
 */
import { Client, Connection } from '@temporalio/client';
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
  await client.withDeadline(Date.now() + DELIVER_DEADLINE_MS, start);
  return workflowId;
}
