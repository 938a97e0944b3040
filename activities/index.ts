/**
 * The composition of every activity group. The worker registers `createActivities(deps)`;
 * workflows see only `type Activities` (STYLE §1).
 */
import type { ActivityDeps } from './deps';
import { createAiActivities } from './ai/ai.activities';
import { createMediaActivities } from './media/media.activities';
import { createProjectionActivities } from './projection/projection.activities';
import { createRoutingActivities } from './routing/routing.activities';
import { createSendActivities } from './channels/send.activities';
import { createPacer } from './channels/pacer';
import { createWhatsAppNotifyActivities } from './notify/whatsapp-notify.activities';

export function createActivities(deps: ActivityDeps) {
  // One pacer per worker: replies and agents' alerts share each number's limits (WIRE.md §3.3).
  const outbound = { ...deps, pacer: createPacer(deps.outbound?.pacing) };
  return {
    ...createProjectionActivities(deps),
    ...createSendActivities(outbound),
    ...createWhatsAppNotifyActivities(outbound),
    ...createAiActivities(deps),
    ...createRoutingActivities(deps),
    ...createMediaActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps';
