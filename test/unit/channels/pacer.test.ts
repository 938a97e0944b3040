/**
 * Outbound pacing (WIRE.md §3.3) on an injected clock: no real sleeps. `reserve` returns how long a
 * send waits for its slot; the clock advances to that slot as a worker would.
 */
import { createPacer, PacingDelayError } from '../../../activities/channels/pacer';

function clockAt(start = 1_000_000) {
  let now = start;
  return { now: () => now, set: (t: number) => (now = t), advance: (ms: number) => (now += ms) };
}

describe('createPacer', () => {
  it('keeps a number at or under its messages per second in every one-second window', () => {
    const clock = clockAt();
    const pacer = createPacer({ perSecond: 80, pairGapMs: 0, clock: clock.now, maxWaitMs: 60_000 });
    // 400 sends to different users, all asked for at the same instant.
    const sendTimes = Array.from({ length: 400 }, (_, i) => clock.now() + pacer.reserve('channel-1', `user-${i}`));
    for (const start of sendTimes) {
      const inWindow = sendTimes.filter((t) => t >= start && t < start + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(80);
    }
    // …and no slower than it has to be: the 400th goes out within 5 s.
    expect(Math.max(...sendTimes) - clock.now()).toBeLessThan(5_000);
  });

  it('paces each number on its own', () => {
    const clock = clockAt();
    const pacer = createPacer({ perSecond: 1, pairGapMs: 0, clock: clock.now });
    expect(pacer.reserve('channel-1', 'a')).toBe(0);
    expect(pacer.reserve('channel-2', 'a')).toBe(0);
    expect(pacer.reserve('channel-1', 'b')).toBe(1000);
  });

  it('spaces messages to the same user by the pair gap after the allowed burst', () => {
    const clock = clockAt();
    const pacer = createPacer({ perSecond: 80, pairGapMs: 6_000, pairBurst: 1, clock: clock.now });
    expect(pacer.reserve('channel-1', '447700900123')).toBe(0);
    expect(pacer.reserve('channel-1', '447700900123')).toBe(6_000);
    expect(pacer.reserve('channel-1', '447700900123')).toBe(12_000);
    // Another user is not held up by this one (only by the number's 12.5 ms spacing).
    expect(pacer.reserve('channel-1', '212600000001')).toBeLessThan(50);
    // Once the gap has passed the next one goes at once.
    clock.advance(30_000);
    expect(pacer.reserve('channel-1', '447700900123')).toBe(0);
  });

  it('lets a short burst to one user go back to back, then holds the long-run rate to one per gap', () => {
    const clock = clockAt();
    const pacer = createPacer({ perSecond: 1_000, pairGapMs: 6_000, pairBurst: 3, clock: clock.now, maxWaitMs: 1e9 });
    const waits = Array.from({ length: 6 }, () => pacer.reserve('channel-1', 'user'));
    // The burst goes within the number's spacing; then one every 6 s.
    expect(waits.slice(0, 3).every((w) => w < 10)).toBe(true);
    expect(waits.slice(3)).toEqual([6_000, 12_000, 18_000]);
    // Over any long stretch: n messages take at least (n - burst) gaps.
    const sendTimes = waits.map((w) => clock.now() + w);
    expect(sendTimes[5]! - sendTimes[0]!).toBeGreaterThanOrEqual((6 - 3) * 6_000);
  });

  it('refuses a wait longer than maxWaitMs without reserving the slot', () => {
    const clock = clockAt();
    const pacer = createPacer({ perSecond: 80, pairGapMs: 6_000, pairBurst: 1, clock: clock.now, maxWaitMs: 10_000 });
    pacer.reserve('channel-1', 'user');
    pacer.reserve('channel-1', 'user');
    expect(() => pacer.reserve('channel-1', 'user')).toThrow(PacingDelayError);
    // The refused attempt took nothing: after the gap the next slot is where it was.
    clock.advance(6_000);
    expect(pacer.reserve('channel-1', 'user')).toBe(6_000);
  });

  it('sleeps for its slot through the injected sleep', async () => {
    const clock = clockAt();
    const slept: number[] = [];
    const pacer = createPacer({
      pairGapMs: 6_000,
      pairBurst: 1,
      clock: clock.now,
      sleep: async (ms) => {
        slept.push(ms);
        clock.advance(ms);
      },
    });
    await pacer.acquire('channel-1', 'user');
    await pacer.acquire('channel-1', 'user');
    await pacer.acquire('channel-1', 'user');
    expect(slept).toEqual([6_000, 6_000]);
  });

  it('defaults to WIRE.md §3.3: 80 messages a second, one per 6 s per user with a burst of 3', () => {
    expect(createPacer().limits).toEqual({ perSecond: 80, pairGapMs: 6_000, pairBurst: 3 });
  });
});
