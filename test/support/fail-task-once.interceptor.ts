/**
 * Workflow interceptor for tests (bundled with the workflows, never in the product's bundle): a
 * local activity whose result carries FAIL_WORKFLOW_TASK makes the workflow task fail right after
 * it, the way a worker paused past the task's timeout loses a task whose local writes committed.
 * The retried task runs the local activity again; a test's activity fake decides which attempt
 * carries the mark.
 */
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';

export const FAIL_WORKFLOW_TASK = 'failWorkflowTaskAfterThisWrite';

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      async scheduleLocalActivity(input, next) {
        const result: unknown = await next(input);
        if (typeof result === 'object' && result !== null && FAIL_WORKFLOW_TASK in result) {
          // Not an ApplicationFailure: the SDK fails the workflow task, and the server retries it.
          throw new Error('test: the workflow task fails after its local write committed');
        }
        return result;
      },
    },
  ],
});
