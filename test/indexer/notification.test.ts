import { classifyKey, parseNotification } from '../../lambdas/indexer/notification';
import {
  AWS_CONFIG_SUBJECT,
  awsConfigMessage,
  cloudTrailMessage,
  digestFileKey,
  insightFileKey,
  logFileKey,
  snsEventRecord,
  VALIDATION_MESSAGE,
} from '../harness/factories';

describe('parseNotification', () => {
  test('a CloudTrail notice yields its bucket and every key', () => {
    // Prepare
    const record = snsEventRecord(cloudTrailMessage('trail-bucket', ['a.json.gz', 'b.json.gz', 'c.json.gz']));
    // Act
    const notification = parseNotification(record);
    // Assess
    expect(notification).toEqual({
      kind: 'log-files',
      messageId: record.Sns.MessageId,
      bucket: 'trail-bucket',
      keys: ['a.json.gz', 'b.json.gz', 'c.json.gz'],
    });
  });

  test.each([
    ['the validation message', VALIDATION_MESSAGE, 'cloudtrail-validation-message'],
    ['an AWS Config notice', awsConfigMessage('b'), 'not-cloudtrail: s3ObjectKey is a string (AWS Config?)'],
    ['plain text', 'hello', 'not-json'],
    ['a JSON array', '[1,2]', 'not-a-json-object'],
    ['no bucket', JSON.stringify({ s3ObjectKey: ['k'] }), 'missing-s3Bucket'],
    ['no keys field', JSON.stringify({ s3Bucket: 'b' }), 'missing-s3ObjectKey'],
    ['an empty key list', JSON.stringify({ s3Bucket: 'b', s3ObjectKey: [] }), 'no-keys'],
    [
      'keys that are not strings',
      JSON.stringify({ s3Bucket: 'b', s3ObjectKey: ['k', 7] }),
      's3ObjectKey-not-strings',
    ],
  ])('%s is skipped with a reason', (_, message, reason) => {
    // Prepare
    const record = snsEventRecord(message, { subject: AWS_CONFIG_SUBJECT });
    // Act
    const notification = parseNotification(record);
    // Assess
    expect(notification).toEqual({ kind: 'skip', messageId: record.Sns.MessageId, reason });
  });

  test.each([[null], ['text'], [{}], [{ Sns: { Message: 42 } }]])('%j is not an SNS record', (record) => {
    // Act
    const notification = parseNotification(record);
    // Assess
    expect(notification).toEqual({ kind: 'skip', messageId: 'unknown', reason: 'not-an-sns-notification' });
  });
});

describe('classifyKey', () => {
  const at = new Date('2026-11-20T10:25:00Z');

  test.each([
    ['a log file', logFileKey({ at }), 'log'],
    ['a log file under a prefix', logFileKey({ at, prefix: 'audit/trails' }), 'log'],
    ['an organization trail log file', logFileKey({ at, organizationId: 'o-a1b2c3d4e5' }), 'log'],
    ['a digest file', digestFileKey({ at }), 'digest'],
    [
      'an organization digest file',
      digestFileKey({ at, organizationId: 'o-a1b2c3d4e5', prefix: 'p' }),
      'digest',
    ],
    ['an Insights file', insightFileKey({ at }), 'insight'],
    ['a Config file', 'AWSLogs/999999999999/Config/us-east-1/2026/11/20/ConfigHistory/x.json.gz', 'other'],
    [
      'a log-file name outside the layout',
      '999999999999_CloudTrail_us-east-1_20261120T1025Z_abc.json.gz',
      'other',
    ],
    [
      'a log file with a malformed time',
      'AWSLogs/999999999999/CloudTrail/us-east-1/2026/11/20/999999999999_CloudTrail_us-east-1_2026-11-20_abc.json.gz',
      'other',
    ],
    ['the bucket root', '', 'other'],
  ])('%s is classified', (_, key, kind) => {
    // Act
    const result = classifyKey(key);
    // Assess
    expect(result).toBe(kind);
  });

  test('the documented example key is a log file', () => {
    // Act
    const kind = classifyKey(
      'AWSLogs/111122223333/CloudTrail/us-east-2/2026/11/20/111122223333_CloudTrail_us-east-2_20261120T0905Z_Oa1b2c3D4e5F6g7H.json.gz',
    );
    // Assess
    expect(kind).toBe('log');
  });
});
