import { cpuSecondsSince } from '../../bench/lib/product';

describe('CPU of a set of processes between two samples', () => {
  it('counts what each process used since, a new process all of its time, an ended one none', () => {
    const before = new Map([
      [101, 40.0], // a long-lived backend that exits during the step
      [102, 1.5],
    ]);
    const after = new Map([
      [102, 2.25],
      [103, 0.5], // started during the step
    ]);
    // Summing each side would give 2.75 - 41.5 = -38.75.
    expect(cpuSecondsSince(before, after)).toBeCloseTo(0.75 + 0.5);
  });
});
