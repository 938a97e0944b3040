/**
 * Records conversation histories as replay fixtures (STYLE §10): run an integration test with
 * RECORD_HISTORIES=1 and every conversation workflow run its stack saw is written to
 * test/fixtures/histories/<prefix>-<contact>-<run>.json, for test/workflows/replay.test.ts, as
 * `{ workflowId, runId, history }`. The history is `temporal workflow show --output json`, the format
 * the Temporal UI and CLI export and `historyFromJSON` reads.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import { requireTestEnv } from './env';

export const HISTORIES_DIR = path.join(__dirname, '..', 'fixtures', 'histories');

export async function recordHistories(client: Client, address: string, prefix: string): Promise<void> {
  mkdirSync(HISTORIES_DIR, { recursive: true });
  for await (const wf of client.workflow.list({ query: `WorkflowType = 'conversationWorkflow'` })) {
    const { stdout } = await promisify(execFile)(
      requireTestEnv('TEMPORAL_CLI'),
      [
        'workflow',
        'show',
        '--address',
        address,
        '--workflow-id',
        wf.workflowId,
        '--run-id',
        wf.runId,
        '--output',
        'json',
      ],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    const contact = wf.workflowId.split(':').at(-1);
    // The workflow id is not in the history itself, and replay needs it (child ids derive from it).
    const fixture = { workflowId: wf.workflowId, runId: wf.runId, history: JSON.parse(stdout) as unknown };
    writeFileSync(
      path.join(HISTORIES_DIR, `${prefix}-${contact}-${wf.runId.slice(0, 8)}.json`),
      `${JSON.stringify(fixture)}\n`,
    );
  }
}
