/**
 * Timeouts and retries, one proxy per profile (STYLE §4).
 * - projection: short, idempotent writes that retry forever. Ordinary activities, except:
 * - mainLoopLocal: the same writes (and the routing rule read) as local activities, for the main
 *   loop's serial path only: opening the row, customer messages, and the changes the main loop
 *   applies with their routing (issue #6: a follow-up message costs one workflow task and 5 history
 *   events instead of two and 10, and a new conversation is routed within its first task). Never in
 *   update handlers or the clocks: an earlier attempt that made every projection write local hit a
 *   non-determinism error on a worker restart, with handler and clock commands interleaved around
 *   the local results, and so did local writes in the SLA clock (issue #6, the interleaving test's
 *   seed 9999). SLA escalations handed to the main loop's local writes were written twice in the
 *   chaos run (conversation.workflow.ts SLA_ESCALATION_ACTIVITY_PATCH): a local write commits even
 *   when its workflow task fails, and the retried task may write it again differently. The main
 *   loop's own writes name their ids after their causes (effect-ids.ts), so a retried task writes
 *   the same rows again. The interleaving test and the replay fixtures cover bursts with SLA timers
 *   and updates around these writes.
 * - channelSend: bounded attempts; a send that gives up becomes a failed message in the thread.
 * - notify: bounded; an out-of-app notification (WhatsApp to an agent's own number) that keeps
 *   failing is given up: the in-app notification is already in the projection.
 * - ai: bounded; a model that stays unavailable hands the conversation to humans.
 * - routing: reads and signals for routing, the team queues and SLA policies.
 * - media: copying an inbound file from Meta; bounded like channelSend (the activity marks the file
 *   failed on a permanent refusal or its last attempt, so the conversation never waits for long).
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { ErrorType } from './errors';

// Retries of projection and routing reads/writes back off to at most 2 s: after a Postgres outage
// the next attempt comes within 2 s of recovery, so an SLA tier waiting behind one fires on time
// (issue #7's chaos run measured 7 s late with 10 s).
const DATABASE_CALLS = {
  startToCloseTimeout: '15s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '2s' },
} as const;

export const projection = proxyActivities<Activities>(DATABASE_CALLS);

// The same retries, run by the worker itself: past a minute (localRetryThreshold) the retries wait
// on server timers, so a long Postgres outage neither spins nor holds a workflow task open.
export const mainLoopLocal = proxyLocalActivities<Activities>(DATABASE_CALLS);

export const channelSend = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1m',
    maximumAttempts: 8,
    nonRetryableErrorTypes: [ErrorType.ChannelPermanentFailure, ErrorType.ReplyWindowClosed],
  },
});

export const notify = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '10s',
    maximumAttempts: 3,
    nonRetryableErrorTypes: [ErrorType.ChannelPermanentFailure],
  },
});

export const ai = proxyActivities<Activities>({
  startToCloseTimeout: '45s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '10s',
    maximumAttempts: 3,
    nonRetryableErrorTypes: [ErrorType.AiUnavailable],
  },
});

export const routing = proxyActivities<Activities>(DATABASE_CALLS);

export const media = proxyActivities<Activities>({
  // Up to 100 MB documents (WIRE.md §2.2) over a slow link.
  startToCloseTimeout: '2m',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    maximumAttempts: 5,
    nonRetryableErrorTypes: [ErrorType.ChannelPermanentFailure],
  },
});
