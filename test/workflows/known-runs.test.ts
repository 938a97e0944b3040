/**
 * The web signals a conversation's run by its id once it knows it (api/temporal.ts KnownRuns),
 * sparing the server a read of the current run per message; signalWithStart stays the way in for
 * a new conversation and for one whose run has ended. Real Temporal and Postgres: the spy only
 * counts the client's calls and passes each one through.
 */
import { KnownRuns } from '../../api/temporal';
import { startWorkflowStack, type WorkflowStack } from '../support/workflow-stack';
import { waitFor } from '../support/wait-for';

const CONTACT = '447700900301';

describe('delivering to a known run', () => {
  let stack: WorkflowStack;

  beforeAll(async () => {
    stack = await startWorkflowStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  const storedTexts = async () => {
    const row = await stack.conversationRow(CONTACT);
    if (!row) return [];
    const rows = await stack.database
      .db('messages')
      .where({ conversation_id: row.id, direction: 'inbound' })
      .orderBy('sent_at')
      .select('body');
    return rows.map((r: { body: string }) => r.body);
  };

  it('signals the run a message reached, and starts the next run once that one has ended', async () => {
    const signalWithStart = jest.spyOn(stack.client.workflow, 'signalWithStart');
    const t0 = Date.now();

    const conversation = await stack.deliver(CONTACT, 'Hello', { sentAt: t0 });
    const firstRun = (await conversation.describe()).runId;
    expect(stack.knownRuns.get(conversation.workflowId)).toBe(firstRun);
    expect(signalWithStart).toHaveBeenCalledTimes(1);

    await stack.deliver(CONTACT, 'Are you there?', { sentAt: t0 + 1 });
    expect(signalWithStart).toHaveBeenCalledTimes(1);
    await waitFor(async () => (await storedTexts()).length === 2, { what: 'both messages stored' });
    expect((await conversation.describe()).runId).toBe(firstRun);

    // The run ends (here terminated; idle completion and continue-as-new end it the same way):
    // the known run id is stale, its signal is refused, and the message starts the next run.
    await conversation.terminate('test: the run ended');
    await stack.deliver(CONTACT, 'Hello again', { sentAt: t0 + 2 });
    expect(signalWithStart).toHaveBeenCalledTimes(2);
    const nextRun = (await stack.handle(CONTACT).describe()).runId;
    expect(nextRun).not.toBe(firstRun);
    expect(stack.knownRuns.get(conversation.workflowId)).toBe(nextRun);
    expect(await waitFor(async () => ((await storedTexts()).length === 3 ? storedTexts() : false))).toEqual([
      'Hello',
      'Are you there?',
      'Hello again',
    ]);
    signalWithStart.mockRestore();
  });
});

describe('KnownRuns', () => {
  it('keeps the most recently delivered runs, up to its capacity', () => {
    const runs = new KnownRuns(2);
    runs.set('a', 'run-a');
    runs.set('b', 'run-b');
    runs.set('a', 'run-a2'); // delivered again: now the most recent
    runs.set('c', 'run-c'); // over capacity: b, the least recent, goes
    expect([runs.get('a'), runs.get('b'), runs.get('c')]).toEqual(['run-a2', undefined, 'run-c']);
    runs.forget('a');
    expect(runs.get('a')).toBeUndefined();
  });
});
