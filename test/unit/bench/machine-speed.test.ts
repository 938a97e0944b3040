import { describeMachineSpeed, measureMachineSpeed } from '../../bench/lib/machine-speed';

describe('machine speed calibration', () => {
  it("reads dd's own copy time as a cost per system call, and times the loop", () => {
    const speed = measureMachineSpeed();
    // dd ran and printed its time: a system call costs some tens of nanoseconds to a few tens of
    // microseconds on any machine this runs on; a loop step somewhere under a microsecond.
    expect(speed.syscallUs).not.toBeNull();
    expect(speed.syscallUs).toBeGreaterThan(0.01);
    expect(speed.syscallUs).toBeLessThan(50);
    expect(speed.jsStepNs).toBeGreaterThan(0.05);
    expect(speed.jsStepNs).toBeLessThan(1000);
  });

  it('says so when dd could not be timed', () => {
    expect(describeMachineSpeed({ syscallUs: null, jsStepNs: 3.7 })).toBe(
      'a system call unknown (no dd), a JavaScript loop step 3.70 ns',
    );
    expect(describeMachineSpeed({ syscallUs: 1.2, jsStepNs: 3.7 })).toBe(
      'a system call 1.20 µs (`dd bs=1`), a JavaScript loop step 3.70 ns',
    );
  });
});
