import { steadyContactSchedule } from '../../bench/lib/contact-schedule';

const rate = 72;
const minGapMs = 2000;
const perContact = 4;
const total = rate * 20;
const schedule = steadyContactSchedule({ total, rate, perContact, minGapMs });
const at = (i: number) => (i * 1000) / rate;

/** Whether message i is its contact's first (contacts are numbered as they first write). */
function openings(): boolean[] {
  let seen = 0;
  return schedule.map((c) => {
    if (c === seen) {
      seen += 1;
      return true;
    }
    expect(c).toBeLessThan(seen);
    return false;
  });
}

describe('steadyContactSchedule', () => {
  it('opens conversations at one in four messages through the step, not at its start', () => {
    const opens = openings();
    // Past the first minGapMs, every second of the step opens a quarter of its messages.
    for (let second = minGapMs / 1000; second < 20; second++) {
      const inSecond = opens.filter((_, i) => at(i) >= second * 1000 && at(i) < (second + 1) * 1000);
      expect(inSecond.filter(Boolean)).toHaveLength(rate / perContact);
    }
    // The first minGapMs are new conversations only: no contact has waited that long yet.
    expect(opens.filter((_, i) => at(i) < minGapMs).every(Boolean)).toBe(true);
  });

  it('lets a contact write again only after minGapMs, and at most perContact times', () => {
    const last = new Map<number, number>();
    const count = new Map<number, number>();
    schedule.forEach((contact, i) => {
      const previous = last.get(contact);
      if (previous !== undefined) expect(at(i) - previous).toBeGreaterThanOrEqual(minGapMs);
      last.set(contact, at(i));
      count.set(contact, (count.get(contact) ?? 0) + 1);
    });
    expect(Math.max(...count.values())).toBe(perContact);
    // Contacts that open in the step's first quarter write all their messages within it.
    const opens = openings();
    const early = new Set(schedule.filter((_, i) => opens[i] && at(i) < 5_000));
    expect(early.size).toBeGreaterThan(0);
    for (const contact of early) expect(count.get(contact)).toBe(perContact);
  });

  it('gives every message its own contact with one message each', () => {
    expect(steadyContactSchedule({ total: 100, rate: 50, perContact: 1, minGapMs })).toEqual(
      Array.from({ length: 100 }, (_, i) => i),
    );
  });
});
