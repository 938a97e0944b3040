/**
 * teamQueueWorkflow: one per team, id `queue:<teamId>` (DESIGN §3 routing). Conversations that
 * routing sent to "the next free agent" wait here oldest first; whenever capacity may have freed
 * up (an owner resolved or handed something over, an agent came online, a conversation joined) it
 * picks an agent and offers them the oldest conversation through the conversation's `assign`
 * update. Event-driven: no polling sweep. Being the one place that assigns for a team is what
 * keeps agents within capacity when many conversations arrive at once.
 * Inputs: `queueJoin` and `capacityFreed` signals, the `queue` query. An empty queue completes
 * after idling; the next join starts a fresh run (signalWithStart).
 */
import { condition, makeContinueAsNewFunc, setHandler, workflowInfo } from '@temporalio/workflow';
import { routing } from '../shared/activity-profiles';
import { WORKFLOW_TASK_TIMEOUT } from '../shared/workflow-task-timeout';
import { capacityFreedSignal, queueJoinSignal, queueQuery, type QueueEntry, type TeamQueueInput } from './contract';

const DEFAULT_IDLE_TIMEOUT_MS = 24 * 60 * 60 * 1000;

export async function teamQueueWorkflow(input: TeamQueueInput): Promise<void> {
  const waiting: QueueEntry[] = [...(input.carried ?? [])];
  let capacityMayHaveFreed = true;

  setHandler(queueJoinSignal, (entry) => {
    if (typeof entry?.workflowId !== 'string' || typeof entry.since !== 'number') return;
    const existing = waiting.findIndex((w) => w.workflowId === entry.workflowId);
    if (existing >= 0) waiting.splice(existing, 1);
    // Oldest first; equal times keep their arrival order.
    const at = waiting.findIndex((w) => w.since > entry.since);
    waiting.splice(at === -1 ? waiting.length : at, 0, entry);
    capacityMayHaveFreed = true;
  });
  setHandler(capacityFreedSignal, () => {
    capacityMayHaveFreed = true;
  });
  setHandler(queueQuery, () => waiting, { description: 'Conversations waiting for an agent, oldest first' });

  const idleTimeoutMs = input.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  for (;;) {
    const hasWork = () => (waiting.length > 0 && capacityMayHaveFreed) || workflowInfo().continueAsNewSuggested;
    if (waiting.length === 0) {
      if (!(await condition(hasWork, idleTimeoutMs))) return;
    } else {
      await condition(hasWork);
    }
    capacityMayHaveFreed = false;
    await offerWaitingConversations();
    if (workflowInfo().continueAsNewSuggested) {
      await makeContinueAsNewFunc<typeof teamQueueWorkflow>({ workflowTaskTimeout: WORKFLOW_TASK_TIMEOUT })({
        ...input,
        carried: waiting,
      });
    }
  }

  /**
   * Offers agents to waiting conversations in order until nobody has capacity. An entry that
   * excludes the only free agent is skipped for now, so it does not block the ones behind it.
   */
  async function offerWaitingConversations(): Promise<void> {
    for (let i = 0; i < waiting.length;) {
      const entry = waiting[i]!;
      const userId = await routing.pickAgent({
        teamId: input.teamId,
        strategy: entry.strategy,
        excludeUserIds: entry.excludeUserId ? [entry.excludeUserId] : [],
      });
      if (!userId) {
        if (entry.excludeUserId) {
          i += 1;
          continue;
        }
        return;
      }
      // The entry leaves the queue whatever the answer: a refusal means a human claimed it meanwhile.
      const index = waiting.indexOf(entry);
      if (index >= 0) waiting.splice(index, 1);
      await routing.offerConversation({ workflowId: entry.workflowId, userId, teamId: input.teamId });
    }
  }
}
