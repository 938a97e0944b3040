/**
 * VIP customers go to a named agent when that agent is online; otherwise the team queue serves
 * them first-come like everyone else (an offline owner keeps nothing hostage, DESIGN §3).
 * Params: { userId, teamId? }.
 */
import { routing } from '../shared/activity-profiles';
import type { RoutingContext, RoutingDecision } from './contract';
import { paramString } from './params';

export async function vipAgentRoutingWorkflow(ctx: RoutingContext): Promise<RoutingDecision> {
  const teamId = paramString(ctx.params, 'teamId') ?? ctx.teamId;
  const userId = paramString(ctx.params, 'userId');
  if (!userId) return { teamId, autoAssign: 'least-loaded', reason: `rule "${ctx.rule}" names no agent` };
  const agent = await routing.agentAvailability({ userId });
  if (agent.online) return { teamId, assigneeId: userId, reason: `rule "${ctx.rule}": VIP to their agent` };
  return { teamId, autoAssign: 'least-loaded', reason: `rule "${ctx.rule}": the VIP agent is offline` };
}
