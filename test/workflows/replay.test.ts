/**
 * Replays every recorded conversation history (test/fixtures/histories, recorded with
 * RECORD_HISTORIES=1 from the integration tests) against today's workflow code: a change that
 * alters the command sequence of running conversations without `patched()` fails here (STYLE §3).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { HISTORIES_DIR } from '../support/record-histories';
import { workflowBundle } from '../support/temporal';

const files = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json'));

describe('replaying recorded conversation histories', () => {
  it('has recorded histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });

  it.each(files)('replays %s without a non-determinism error', async (file) => {
    const fixture = JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')) as {
      workflowId: string;
      history: unknown;
    };
    await Worker.runReplayHistory(
      { workflowBundle: workflowBundle() },
      historyFromJSON(fixture.history),
      fixture.workflowId,
    );
  });
});
