/**
 * The composition of every activity group. The worker registers `createActivities(deps)`;
 * workflows see only `type Activities` (STYLE §1).
 */
import type { ActivityDeps } from './deps';
import { createProjectionActivities } from './projection/projection.activities';
import { createSendActivities } from './channels/send.activities';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createProjectionActivities(deps),
    ...createSendActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps';
