import { normaliseKeyPrefix, refusalOf } from '../../lambdas/indexer/log-source';
import { logFileKey } from '../harness/factories';

describe('refusalOf: only the trail bucket, only under its prefix', () => {
  const trail = { bucket: 'trail-bucket', prefix: '' };
  const prefixed = { bucket: 'trail-bucket', prefix: 'audit/' };

  test.each<[string, { bucket: string; prefix: string }, string, string, string | undefined]>([
    ['a log file of the trail', trail, 'trail-bucket', logFileKey(), undefined],
    [
      'an organization trail layout',
      trail,
      'trail-bucket',
      logFileKey({ organizationId: 'o-a1b2c3d4e5' }),
      undefined,
    ],
    ['another bucket', trail, 'attacker-bucket', logFileKey(), 'untrusted-bucket'],
    ['a bucket whose name starts like the trail', trail, 'trail-bucket-2', logFileKey(), 'untrusted-bucket'],
    ['the bucket name in another case', trail, 'Trail-Bucket', logFileKey(), 'untrusted-bucket'],
    ['a key under another prefix', trail, 'trail-bucket', logFileKey({ prefix: 'other' }), 'outside-prefix'],
    ['a key outside AWSLogs/', trail, 'trail-bucket', 'uploads/AWSLogs.json.gz', 'outside-prefix'],
    ['a prefixed trail, its own key', prefixed, 'trail-bucket', logFileKey({ prefix: 'audit' }), undefined],
    ['a prefixed trail, an unprefixed key', prefixed, 'trail-bucket', logFileKey(), 'outside-prefix'],
    [
      'a prefixed trail, a lookalike prefix',
      prefixed,
      'trail-bucket',
      logFileKey({ prefix: 'audit2' }),
      'outside-prefix',
    ],
    [
      'a prefixed trail, a nested prefix',
      prefixed,
      'trail-bucket',
      logFileKey({ prefix: 'x/audit' }),
      'outside-prefix',
    ],
  ])('%s', (_name, source, bucket, key, reason) => {
    // Act
    const refusal = refusalOf(source, { bucket, key });

    // Assess
    expect(refusal?.reason).toBe(reason);
    if (reason === 'untrusted-bucket') expect(refusal?.message).toContain(JSON.stringify(bucket));
  });

  test('prefixes are normalised as CloudTrail writes them', () => {
    expect(['', '/', 'a', 'a/', '/a/b/', ' a '].map(normaliseKeyPrefix)).toEqual([
      '',
      '',
      'a/',
      'a/',
      'a/b/',
      'a/',
    ]);
  });
});
