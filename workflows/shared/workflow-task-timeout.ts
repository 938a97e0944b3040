/**
 * Every run's workflow task start-to-close timeout, set wherever a run starts (signalWithStart,
 * child, continue-as-new). Temporal's default is 10 s, and a task held by a worker that was killed
 * is handed to another worker only when it times out: a conversation, and any SLA tier due in it,
 * would stall that long after a crash. Our tasks take milliseconds (a cold replay of a run that is
 * about to continue as new, a few hundred), so 4 s is generous and brings everything back within
 * about a second of a restarted worker (issue #7's chaos run measured 5.5 s with the default).
 */
export const WORKFLOW_TASK_TIMEOUT = '4s';
