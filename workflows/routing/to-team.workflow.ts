/** Sends the conversation to a team's queue, where any member can claim it. Params: { teamId }. */
import type { RoutingContext, RoutingDecision } from './contract';
import { paramString } from './params';

export async function teamRoutingWorkflow(ctx: RoutingContext): Promise<RoutingDecision> {
  const teamId = paramString(ctx.params, 'teamId') ?? ctx.teamId;
  return { teamId, reason: `rule "${ctx.rule}" sends it to the team queue` };
}
