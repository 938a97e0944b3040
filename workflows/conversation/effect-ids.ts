/**
 * Ids for what the main loop's local activities write, named after what caused the write.
 *
 * A local activity's write commits even when its workflow task then fails (a worker paused past
 * the task's timeout, or killed). The retried task runs the same code again, but over whatever
 * arrived meanwhile: a burst of two customer messages where the failed task saw one. Ids drawn from
 * the run's seeded random numbers (uuid4) then come out in another order, and the projection would
 * store a second 'assigned' event and tell the team twice. An id named after its cause (the customer
 * message's id, the run's n-th routing, its n-th signal) comes out the same in every attempt, and
 * the projection ignores an id it already has, so the retried write adds nothing.
 *
 * Name-based (v5) UUIDs, from the `uuid` package's browser build that the workflow bundle resolves
 * (pure JavaScript SHA-1: no Node crypto in the workflow sandbox).
 */
import { v5 as uuidv5 } from 'uuid';

/** The namespace of the inbox's effect ids (a constant: changing it changes every id). */
const EFFECT_ID_NAMESPACE = 'faee84b8-440c-494e-bb58-0779074e5a2e';

/** An id per cause; a cause names something that happens once in a run. */
export type CausedId = (cause: string) => string;

export function causedIds(run: { workflowId: string; runId: string }): CausedId {
  const prefix = `${run.workflowId}/${run.runId}/`;
  return (cause) => uuidv5(prefix + cause, EFFECT_ID_NAMESPACE);
}

/** One cause per effect of a change: its own cause, numbered by the effect's place in it. */
export function effectCauses(cause: string, effects: readonly unknown[]): string[] {
  return effects.map((_, i) => `${cause}#${i}`);
}
