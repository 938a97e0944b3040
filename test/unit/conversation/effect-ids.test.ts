import { causedIds, effectCauses } from '../../../workflows/conversation/effect-ids';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('effect ids named after their causes', () => {
  const run = { workflowId: 'conv:ch-1:447700900123', runId: '0190c8b5-1c1f-7e0e-9d3b-2b1a4f6c8e01' };

  it('gives the same cause the same id in every attempt, as a version 5 UUID', () => {
    const first = causedIds(run)('route/1#0');
    expect(causedIds({ ...run })('route/1#0')).toBe(first);
    expect(first).toMatch(UUID);
  });

  it('gives other causes, runs and conversations other ids', () => {
    const ids = new Set([
      causedIds(run)('route/1#0'),
      causedIds(run)('route/1#1'),
      causedIds(run)('route/2#0'),
      causedIds({ ...run, runId: '0190c8b5-1c1f-7e0e-9d3b-2b1a4f6c8e02' })('route/1#0'),
      causedIds({ ...run, workflowId: 'conv:ch-1:447700900124' })('route/1#0'),
    ]);
    expect(ids.size).toBe(5);
  });

  it('numbers a change’s effects by their place in it', () => {
    expect(effectCauses('inbound/wamid.1', [{}, {}])).toEqual(['inbound/wamid.1#0', 'inbound/wamid.1#1']);
    expect(effectCauses('opened', [])).toEqual([]);
  });
});
