import { UsageError } from '../../cli/errors';
import { parseTime, parseTimeRange, toEventTime } from '../../cli/time';

const NOW = new Date('2026-11-21T12:00:00.000Z');

describe('parseTime', () => {
  test.each([
    ['30m', '2026-11-21T11:30:00Z'],
    ['24h', '2026-11-20T12:00:00Z'],
    ['7d', '2026-11-14T12:00:00Z'],
    ['2w', '2026-11-07T12:00:00Z'],
    ['90s', '2026-11-21T11:58:30Z'],
  ])('relative %s is that long before now', (input, expected) => {
    expect(parseTime(input, '--since', NOW)).toBe(expected);
  });

  test('ISO times are normalised to CloudTrail eventTime form, in UTC', () => {
    expect(parseTime('2026-11-20T10:00:00.250+02:00', '--since', NOW)).toBe('2026-11-20T08:00:00Z');
  });

  test('a date is the start of its day, or its last second for --until', () => {
    expect(parseTime('2026-11-20', '--since', NOW)).toBe('2026-11-20T00:00:00Z');
    expect(parseTime('2026-11-20', '--until', NOW, true)).toBe('2026-11-20T23:59:59Z');
  });

  test.each(['yesterday', 'Nov 5', '7x', '2026-13-45'])(
    '"%s" is a usage error naming the option',
    (input) => {
      expect(() => parseTime(input, '--until', NOW)).toThrow(UsageError);
      expect(() => parseTime(input, '--until', NOW)).toThrow(/--until/);
    },
  );

  test('toEventTime drops milliseconds so bounds sort like eventTime', () => {
    expect(toEventTime(new Date('2026-01-02T03:04:05.678Z'))).toBe('2026-01-02T03:04:05Z');
  });
});

describe('parseTimeRange', () => {
  test('since after until is a usage error', () => {
    expect(() => parseTimeRange('1d', '2d', NOW)).toThrow(/after --until/);
  });

  test('absent bounds stay absent', () => {
    expect(parseTimeRange(undefined, '1h', NOW)).toEqual({ until: '2026-11-21T11:00:00Z' });
  });
});
