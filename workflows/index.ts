// Bundle entry: every workflow function, nothing else.
export { conversationWorkflow } from './conversation/conversation.workflow';
export { teamQueueWorkflow } from './routing/team-queue.workflow';
export { teamRoutingWorkflow } from './routing/to-team.workflow';
export { leastLoadedRoutingWorkflow } from './routing/least-loaded.workflow';
export { roundRobinRoutingWorkflow } from './routing/round-robin.workflow';
export { vipAgentRoutingWorkflow } from './routing/vip-agent.workflow';
export { afterHoursRoutingWorkflow } from './routing/after-hours.workflow';
