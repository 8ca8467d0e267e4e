import { classifyKey, notificationsOf, parseNotification } from '../../lambdas/indexer/notification';
import { eventBridgeObjectCreated, s3EventKey, s3ObjectCreatedEvent } from '../../cli/s3-events';
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
      path: 'cloudtrail-sns',
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

describe('notificationsOf: every path, and what each path may carry besides', () => {
  const sqs = (body: string | undefined) => ({
    Records: [{ eventSource: 'aws:sqs', messageId: 'm-1', ...(body === undefined ? {} : { body }) }],
  });
  const reasons = (event: unknown) =>
    notificationsOf(event).map((n) =>
      n.kind === 'skip' ? n.reason : `${n.path} ${n.bucket} ${n.keys.join(',')}`,
    );

  test('S3 event keys are URL-decoded, a + being a space', () => {
    const key = 'my logs/AWSLogs/111122223333/CloudTrail/us-east-1/2026/12/01/a+b=c.json.gz';
    expect(s3EventKey(key)).toBe(
      'my+logs/AWSLogs/111122223333/CloudTrail/us-east-1/2026/12/01/a%2Bb%3Dc.json.gz',
    );
    expect(reasons(s3ObjectCreatedEvent('b', [{ key }]))).toEqual([`s3-event b ${key}`]);
  });

  test('one notification per bucket of an S3 event, in the order of the records', () => {
    const event = s3ObjectCreatedEvent('b1', [{ key: 'k1' }, { key: 'k2' }]);
    event.Records.push(...s3ObjectCreatedEvent('b2', [{ key: 'k3' }]).Records);
    expect(reasons(event)).toEqual(['s3-event b1 k1,k2', 's3-event b2 k3']);
  });

  test.each<[string, unknown, string[]]>([
    ['an empty event', {}, ['not-a-notification-event']],
    [
      "S3's test event, through SQS",
      sqs(JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent' })),
      ['s3-test-event'],
    ],
    [
      'a deletion',
      {
        Records: [
          { ...s3ObjectCreatedEvent('b', [{ key: 'k' }]).Records[0], eventName: 'ObjectRemoved:Delete' },
        ],
      },
      ['not-object-created: ObjectRemoved:Delete'],
    ],
    [
      'a key that is not URL-encoded right',
      {
        Records: [
          {
            eventSource: 'aws:s3',
            eventName: 'ObjectCreated:Put',
            s3: { bucket: { name: 'b' }, object: { key: '%E0%A4%A' } },
          },
        ],
      },
      ['undecodable-s3-key'],
    ],
    [
      'another EventBridge event',
      { ...eventBridgeObjectCreated('b', 'k'), 'detail-type': 'Object Deleted' },
      ['not-s3-object-created: Object Deleted'],
    ],
    ['an SQS message that is not JSON', sqs('hello'), ['not-json']],
    ['an SQS message with no body', sqs(undefined), ['sqs-message-without-body']],
    ['an SQS message of another kind', sqs(JSON.stringify({ hello: 'world' })), ['missing-s3Bucket']],
    [
      'EventBridge through SQS',
      sqs(JSON.stringify(eventBridgeObjectCreated('b', 'k'))),
      ['eventbridge-sqs b k'],
    ],
    [
      "CloudTrail's notice in an SNS envelope through SQS",
      sqs(JSON.stringify({ Type: 'Notification', MessageId: 'n-1', Message: cloudTrailMessage('b', ['k']) })),
      ['cloudtrail-sns-sqs b k'],
    ],
  ])('%s', (_name, event, expected) => {
    expect(reasons(event)).toEqual(expected);
  });

  test('what comes through SQS keeps its message id, for a partial batch response', () => {
    expect(notificationsOf(sqs(cloudTrailMessage('b', ['k'])))).toEqual([
      expect.objectContaining({ kind: 'log-files', sqsMessageId: 'm-1', path: 'cloudtrail-sqs' }),
    ]);
  });
});
