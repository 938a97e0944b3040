/**
 * Team members in turn (online, under capacity), through the team queue like least-loaded.
 * Params: { teamId }.
 */
import type { RoutingContext, RoutingDecision } from './contract';
import { paramString } from './params';

export async function roundRobinRoutingWorkflow(ctx: RoutingContext): Promise<RoutingDecision> {
  const teamId = paramString(ctx.params, 'teamId') ?? ctx.teamId;
  return { teamId, autoAssign: 'round-robin', reason: `rule "${ctx.rule}": round robin` };
}
