/**
 * A Temporal dev server per test file, from the CLI the project installed (never a download),
 * with the inbox search attributes registered (STYLE §10).
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { EAGER_ACTIVITY_FLAGS } from '../../scripts/lib/temporal-server';
import { INBOX_SEARCH_ATTRIBUTES } from '../../workflows/shared/search-attributes';
import { requireTestEnv } from './env';

// Worker state changes at INFO drown test output. The runtime is per process and Jest loads this
// module once per file, so a second install is expected to fail and is ignored.
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // already installed by an earlier test file in this process
}

export function startTestTemporal(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: requireTestEnv('TEMPORAL_CLI') },
      searchAttributes: [...INBOX_SEARCH_ATTRIBUTES],
      // Activities dispatched eagerly, as on the product's dev server.
      extraArgs: ['--dynamic-config-value', 'frontend.enableServerVersionCheck=false', ...EAGER_ACTIVITY_FLAGS],
    },
  });
}

export const workflowBundle = () => ({ codePath: requireTestEnv('WORKFLOW_BUNDLE_PATH') });

let queueCounter = 0;
export const uniqueTaskQueue = (prefix: string) => `${prefix}-${process.pid}-${Date.now()}-${queueCounter++}`;
