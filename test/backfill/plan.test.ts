import { archiveState } from '../../lambdas/backfill/archive';
import { deliveryDay, inRange, listingPrefix } from '../../lambdas/backfill/plan';

const range = (since: string, until: string) => ({ since: new Date(since), until: new Date(until) });

describe('the prefix a distributed backfill lists', () => {
  test.each([
    [{}, range('2019-01-01', '2026-12-01'), 'AWSLogs/'],
    [{ account: '111122223333' }, range('2019-01-01', '2026-12-01'), 'AWSLogs/111122223333/CloudTrail/'],
    [
      { account: '111122223333', region: 'eu-west-1' },
      range('2019-01-01', '2026-12-01'),
      'AWSLogs/111122223333/CloudTrail/eu-west-1/',
    ],
    [
      { account: '111122223333', region: 'eu-west-1' },
      range('2026-01-01', '2026-12-01'),
      'AWSLogs/111122223333/CloudTrail/eu-west-1/2026/',
    ],
    [
      { account: '111122223333', region: 'eu-west-1' },
      range('2026-11-02', '2026-11-30T23:00:00Z'),
      'AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/',
    ],
    [
      { account: '111122223333', region: 'eu-west-1' },
      range('2026-11-02', '2026-11-02T23:00:00Z'),
      'AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/02/',
    ],
    [
      { account: '111122223333', organizationId: 'o-abcd123456' },
      range('2026-11-02', '2026-11-03'),
      'AWSLogs/o-abcd123456/111122223333/CloudTrail/',
    ],
  ])('%p over %p: %s', (scope, r, expected) => {
    expect(listingPrefix({ logsRoot: 'AWSLogs/', ...scope }, r)).toBe(expected);
  });

  test('a trail prefix comes first', () => {
    expect(listingPrefix({ logsRoot: 'audit/AWSLogs/' }, range('2026-01-01', '2026-02-01'))).toBe(
      'audit/AWSLogs/',
    );
  });
});

describe('keys in range', () => {
  const key = (day: string) =>
    `AWSLogs/111122223333/CloudTrail/us-east-1/${day.replace(/-/g, '/')}/111122223333_CloudTrail_us-east-1_${day.replace(/-/g, '')}T0000Z_abc.json.gz`;

  test('whole days of delivery, both ends included', () => {
    const r = range('2026-11-02T15:00:00Z', '2026-11-03T01:00:00Z');
    expect(
      [key('2026-11-01'), key('2026-11-02'), key('2026-11-03'), key('2026-11-04')].map((k) => inRange(k, r)),
    ).toEqual([false, true, true, false]);
  });

  test('digests and other keys are no log files', () => {
    expect(
      deliveryDay('AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/02/x.json.gz'),
    ).toBeUndefined();
    expect(deliveryDay('AWSLogs/o-abcd123456/111122223333/CloudTrail/us-east-1/2026/11/02/x.json.gz')).toBe(
      '2026-11-02',
    );
  });
});

describe('archive states', () => {
  test.each([
    ['STANDARD', undefined, 'available'],
    ['GLACIER_IR', undefined, 'available'],
    [undefined, undefined, 'available'],
    ['GLACIER', undefined, 'archived'],
    ['DEEP_ARCHIVE', '', 'archived'],
    ['GLACIER', 'ongoing-request="true"', 'restoring'],
    ['DEEP_ARCHIVE', 'ongoing-request="false", expiry-date="Fri, 04 Dec 2026 00:00:00 GMT"', 'restored'],
  ])('%s with Restore %p: %s', (storageClass, restore, expected) => {
    expect(archiveState(storageClass, restore)).toBe(expected);
  });
});
