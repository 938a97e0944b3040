import { SetupError } from '../../../scripts/lib/temporal-cli';
import { niceValue, withNice } from '../../../scripts/lib/temporal-server';

describe('niceValue', () => {
  it('reads a whole number from 0 to 19', () => {
    expect(niceValue('10', 'TEMPORAL_NICE')).toBe(10);
    expect(niceValue(' 0 ', 'TEMPORAL_NICE')).toBe(0);
    expect(niceValue('19', 'TEMPORAL_NICE')).toBe(19);
  });

  it.each(['', 'high', '-1', '20', '2.5'])('refuses %p with a message that names the variable', (raw) => {
    expect(() => niceValue(raw, 'TEMPORAL_NICE')).toThrow(SetupError);
    expect(() => niceValue(raw, 'TEMPORAL_NICE')).toThrow(/^TEMPORAL_NICE must be a whole number from 0 \(off\) to 19/);
  });
});

describe('withNice', () => {
  it('runs the command through nice(1) at the value', () => {
    expect(withNice('/opt/temporal', ['server', 'start-dev'], 10)).toEqual([
      'nice',
      ['-n', '10', '/opt/temporal', 'server', 'start-dev'],
    ]);
  });

  it('leaves the command as it is at 0', () => {
    expect(withNice('/opt/temporal', ['server'], 0)).toEqual(['/opt/temporal', ['server']]);
  });
});
