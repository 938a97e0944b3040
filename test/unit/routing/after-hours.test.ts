import { isOpen } from '../../../workflows/routing/after-hours.workflow';

// Wednesday 2026-11-25 10:30 UTC.
const WEDNESDAY_10_30_UTC = Date.UTC(2026, 10, 25, 10, 30);

describe('after-hours routing: business hours', () => {
  it('is open inside the hours on a working day', () => {
    expect(isOpen({ opensAt: '09:00', closesAt: '17:00' }, WEDNESDAY_10_30_UTC)).toBe(true);
  });

  it('is closed before opening and from closing time on', () => {
    expect(isOpen({ opensAt: '11:00', closesAt: '17:00' }, WEDNESDAY_10_30_UTC)).toBe(false);
    expect(isOpen({ opensAt: '09:00', closesAt: '10:30' }, WEDNESDAY_10_30_UTC)).toBe(false);
  });

  it('reads the hours in local time by the configured UTC offset', () => {
    // 10:30 UTC is 13:30 in UTC+3.
    expect(isOpen({ opensAt: '13:00', closesAt: '14:00', utcOffsetMinutes: 180 }, WEDNESDAY_10_30_UTC)).toBe(true);
    expect(isOpen({ opensAt: '09:00', closesAt: '12:00', utcOffsetMinutes: 180 }, WEDNESDAY_10_30_UTC)).toBe(false);
  });

  it('is closed on days that are not listed, Monday to Friday by default', () => {
    const saturday = Date.UTC(2026, 10, 28, 10, 30);
    expect(isOpen({ opensAt: '09:00', closesAt: '17:00' }, saturday)).toBe(false);
    expect(isOpen({ opensAt: '09:00', closesAt: '17:00', days: [6] }, saturday)).toBe(true);
  });

  it('takes 24:00 as the end of the day', () => {
    expect(isOpen({ opensAt: '00:00', closesAt: '24:00' }, Date.UTC(2026, 10, 25, 23, 59, 30))).toBe(true);
  });

  it('stays open rather than strand customers when the hours are malformed', () => {
    expect(isOpen({ opensAt: '9am', closesAt: '17:00' }, WEDNESDAY_10_30_UTC)).toBe(true);
  });
});
