import type { LogEntry } from '@temporalio/worker';
import { redactingLogger } from '../../../workers/redacting-logger';

function capture(level: Parameters<typeof redactingLogger>[0]) {
  const entries: LogEntry[] = [];
  return { entries, logger: redactingLogger(level, (entry) => entries.push(entry)) };
}

describe('the worker’s SDK logger', () => {
  it('masks the contact key in workflow ids and drops the task token', () => {
    const { entries, logger } = capture('INFO');
    logger.warn('Activity failed', {
      workflowId: 'conv:3f2c8a:491761234567',
      taskToken: 'CiQzZjJjOGE6NDkxNzYxMjM0NTY3',
      attempt: 2,
      detail: "run of 'conv:3f2c8a:491761234567' failed",
    });
    expect(entries).toHaveLength(1);
    expect(entries[0]!.level).toBe('WARN');
    expect(entries[0]!.meta).toEqual({
      workflowId: 'conv:3f2c8a:<contact>',
      attempt: 2,
      detail: "run of 'conv:3f2c8a:<contact>' failed",
    });
    expect(JSON.stringify(entries.map((e) => [e.message, e.meta]))).not.toContain('491761234567');
  });

  it('writes nothing below its level, and does not read what it drops', () => {
    const { entries, logger } = capture('INFO');
    let reads = 0;
    const meta = {
      get workflowId() {
        reads += 1;
        return 'conv:3f2c8a:491761234567';
      },
    };
    logger.debug('Activity started', meta);
    logger.trace('Activity completed', meta);
    logger.log('DEBUG', 'Activity completed', meta);
    expect(entries).toHaveLength(0);
    expect(reads).toBe(0);
    logger.info('Worker state changed', meta);
    logger.log('ERROR', 'Worker failed', meta);
    expect(entries.map((e) => [e.level, e.meta?.workflowId])).toEqual([
      ['INFO', 'conv:3f2c8a:<contact>'],
      ['ERROR', 'conv:3f2c8a:<contact>'],
    ]);
  });

  it('writes debug lines when asked for them', () => {
    const { entries, logger } = capture('DEBUG');
    logger.debug('Activity started', { workflowId: 'conv:ch:15551234567' });
    logger.trace('dropped');
    expect(entries.map((e) => [e.level, e.message, e.meta?.workflowId])).toEqual([
      ['DEBUG', 'Activity started', 'conv:ch:<contact>'],
    ]);
  });
});
