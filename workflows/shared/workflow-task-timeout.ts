/**
 * Every run's workflow task start-to-close timeout, set wherever a run starts (signalWithStart,
 * child, continue-as-new). Temporal's default is 10 s, and a task held by a worker that was killed
 * goes to another worker only when it times out: a conversation, and any SLA tier due in it, would
 * stall that long after a crash (issue #7's chaos run measured tiers 5.5 s late after a restart).
 * Our tasks take milliseconds, a cold replay of a run about to continue as new a few hundred. Only
 * a starved machine (load 17 on two cores, in an earlier chaos run) took over 5 s for single tasks;
 * there a timed-out task is simply done again. 5 s brings a killed worker's tasks back about when a
 * restarted worker is up, which the chaos suite's 5 s recovery bound needs.
 */
export const WORKFLOW_TASK_TIMEOUT = '5s';
