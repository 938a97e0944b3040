/**
 * The online team member with the fewest open conversations, under their capacity. The pick itself
 * happens in the team queue workflow, so one place assigns per team and capacity holds even when
 * many conversations arrive at once. Params: { teamId }.
 */
import type { RoutingContext, RoutingDecision } from './contract';
import { paramString } from './params';

export async function leastLoadedRoutingWorkflow(ctx: RoutingContext): Promise<RoutingDecision> {
  const teamId = paramString(ctx.params, 'teamId') ?? ctx.teamId;
  return { teamId, autoAssign: 'least-loaded', reason: `rule "${ctx.rule}": least-loaded agent` };
}
