/**
 * Routing workflows by the name routing rules use (DESIGN §3). The only place a strategy is
 * registered: add a workflow function here (and export it from workflows/index.ts) and a rule in
 * Postgres can name it. See docs/routing.md.
 */
import { afterHoursRoutingWorkflow } from './after-hours.workflow';
import type { RoutingWorkflow } from './contract';
import { leastLoadedRoutingWorkflow } from './least-loaded.workflow';
import { roundRobinRoutingWorkflow } from './round-robin.workflow';
import { teamRoutingWorkflow } from './to-team.workflow';
import { vipAgentRoutingWorkflow } from './vip-agent.workflow';

export const ROUTING_WORKFLOWS: Readonly<Record<string, RoutingWorkflow>> = {
  'to-team': teamRoutingWorkflow,
  'least-loaded': leastLoadedRoutingWorkflow,
  'round-robin': roundRobinRoutingWorkflow,
  'vip-agent': vipAgentRoutingWorkflow,
  // The worked example of docs/routing.md.
  'after-hours': afterHoursRoutingWorkflow,
};

/**
 * Routing workflows that decide from their context and parameters alone: no activity, timer,
 * child or clock. The conversation runs them inline instead of as a child (a child costs the server
 * a workflow execution per routing, issue #6). Only add one here if its code awaits nothing.
 */
const DECIDE_FROM_CONTEXT_ALONE: ReadonlySet<string> = new Set(['to-team']);

export function decidesFromContextAlone(name: string): boolean {
  return DECIDE_FROM_CONTEXT_ALONE.has(name);
}

/** What runs when no rule matches or a rule names an unknown workflow. */
export const DEFAULT_ROUTING_WORKFLOW = 'to-team';

export function routingWorkflowFor(name: string): { name: string; workflow: RoutingWorkflow } {
  // hasOwn: a rule named "constructor" must not reach Object.prototype.
  if (Object.hasOwn(ROUTING_WORKFLOWS, name)) return { name, workflow: ROUTING_WORKFLOWS[name]! };
  return { name: DEFAULT_ROUTING_WORKFLOW, workflow: ROUTING_WORKFLOWS[DEFAULT_ROUTING_WORKFLOW]! };
}
