/**
 * Every path that can announce a log file, through the real handler on the emulators: CloudTrail's
 * SNS notification, S3 event notifications (direct, through SNS, through SQS), EventBridge's
 * `Object Created` (direct and through SQS), and CloudTrail's notice in an SNS envelope through SQS.
 * Topics and queues are fauxqs's; the S3 and EventBridge events are built as S3 documents them
 * (fauxqs emits neither). Also: a file announced on two paths, the organization and Control Tower
 * key layouts, and the accounts filter.
 */
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { PublishCommand } from '@aws-sdk/client-sns';
import type { SQSBatchResponse } from 'aws-lambda';
import { eventBridgeObjectCreated, s3ObjectCreatedEvent } from '../../cli/s3-events';
import { sqsEventFromMessages } from '../../cli/sns-bridge';
import { createHandler, type IndexerHandler } from '../../lambdas/indexer/create-handler';
import { defaultDeps } from '../../lambdas/indexer/deps';
import type { NotificationSummary } from '../../lambdas/indexer/types';
import { keys } from '../../lambdas/shared/schema';
import {
  ACCOUNT,
  cloudTrailMessage,
  failedDeleteVault,
  glacierRecord,
  logFileBody,
  logFileKey,
  REGION,
} from '../harness/factories';
import {
  createTestPipeline,
  deliver,
  drainQueue,
  getEvent,
  putObject,
  queryIndex,
  receiveAlerts,
  type TestPipeline,
} from '../harness/pipeline';

let p: TestPipeline;
let handler: IndexerHandler;
let queueUrl: string;
let queueArn: string;

beforeAll(async () => {
  p = await createTestPipeline();
  handler = createHandler(defaultDeps());
  // A queue S3 (or EventBridge) would send to directly.
  ({ QueueUrl: queueUrl = '' } = await p.sqs.send(
    new CreateQueueCommand({ QueueName: `${p.bucket}-s3-events` }),
  ));
  const { Attributes } = await p.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  queueArn = Attributes?.QueueArn ?? '';
});

afterAll(() => p.close());

/** A log file with one event of its own, put where CloudTrail puts it. */
async function logFile(options: Parameters<typeof logFileKey>[0] = {}) {
  const key = logFileKey(options);
  const record = glacierRecord('ListVaults', { recipientAccountId: options.account ?? ACCOUNT });
  await putObject(p, key, logFileBody([record]));
  return { key, eventID: record.eventID as string };
}

/** What the queue holds, as Lambda's SQS trigger would pass it. */
async function sqsEvent(url: string) {
  return sqsEventFromMessages(await drainQueue(p.sqs, url), queueArn);
}

describe('each path announces a file that is then indexed', () => {
  test('S3 event notification, delivered directly', async () => {
    const { key, eventID } = await logFile();
    const summary = await handler(s3ObjectCreatedEvent(p.bucket, [{ key }]));
    expect(summary.files).toEqual([expect.objectContaining({ key, status: 'indexed' })]);
    expect(await getEvent(p, eventID)).toBeDefined();
  });

  test('S3 event notification, through SNS', async () => {
    const { key, eventID } = await logFile();
    const summary = await handler(
      await deliver(p, [JSON.stringify(s3ObjectCreatedEvent(p.bucket, [{ key }]))]),
    );
    expect(summary.files).toEqual([expect.objectContaining({ key, status: 'indexed' })]);
    expect(await getEvent(p, eventID)).toBeDefined();
  });

  test('S3 event notification, through SQS (raw), with a partial batch response', async () => {
    // Prepare: one good file, and one notice of a key that is not there.
    const { key, eventID } = await logFile();
    const missing = logFileKey();
    await p.sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(s3ObjectCreatedEvent(p.bucket, [{ key }])),
      }),
    );
    await p.sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(s3ObjectCreatedEvent(p.bucket, [{ key: missing }])),
      }),
    );
    const event = await sqsEvent(queueUrl);

    // Act
    const response: SQSBatchResponse = await handler(event);

    // Assess: only the failed message stays in the queue, to be retried and dead-lettered.
    const failedId = event.Records.find((r) => r.body.includes(missing.split('/').pop()!))!.messageId;
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: failedId }] });
    expect(await getEvent(p, eventID)).toBeDefined();
  });

  test("CloudTrail's notice in an SNS envelope, through SQS", async () => {
    const { key, eventID } = await logFile();
    await p.sns.send(
      new PublishCommand({ TopicArn: p.deliveryTopicArn, Message: cloudTrailMessage(p.bucket, [key]) }),
    );
    const response = await handler(
      sqsEventFromMessages(await drainQueue(p.sqs, p.deliveryQueueUrl), queueArn),
    );
    expect(response).toEqual({ batchItemFailures: [] });
    expect(await getEvent(p, eventID)).toBeDefined();
  });

  test('EventBridge Object Created, directly and through SQS', async () => {
    const direct = await logFile();
    const queued = await logFile();
    const summary = await handler(eventBridgeObjectCreated(p.bucket, direct.key));
    await p.sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(eventBridgeObjectCreated(p.bucket, queued.key)),
      }),
    );
    const response = await handler(await sqsEvent(queueUrl));
    expect(summary.files).toEqual([expect.objectContaining({ key: direct.key, status: 'indexed' })]);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(await getEvent(p, direct.eventID)).toBeDefined();
    expect(await getEvent(p, queued.eventID)).toBeDefined();
  });

  test('digest and other keys are skipped whatever the path', async () => {
    const digest = `AWSLogs/${ACCOUNT}/CloudTrail-Digest/${REGION}/2026/12/01/${ACCOUNT}_CloudTrail-Digest_${REGION}_t_${REGION}_20261201T000000Z.json.gz`;
    const s3 = await handler(s3ObjectCreatedEvent(p.bucket, [{ key: digest }, { key: 'notes/readme.txt' }]));
    const eventBridge = await handler(eventBridgeObjectCreated(p.bucket, digest));
    expect(s3.files.map((f) => [f.status, f.reason])).toEqual([
      ['skipped', 'digest-file'],
      ['skipped', 'other-file'],
    ]);
    expect(eventBridge.files.map((f) => [f.status, f.reason])).toEqual([['skipped', 'digest-file']]);
  });
});

describe('a file announced on two paths', () => {
  test('is indexed once, and its vault deletion alerted once, in either order', async () => {
    // Prepare
    const key = logFileKey();
    const deletion = failedDeleteVault();
    await putObject(p, key, logFileBody([deletion]));
    await receiveAlerts(p, 0);

    // Act: CloudTrail's topic, then EventBridge, then an S3 event through SQS.
    const first = await handler(await deliver(p, [cloudTrailMessage(p.bucket, [key])]));
    const second = await handler(eventBridgeObjectCreated(p.bucket, key));
    await p.sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(s3ObjectCreatedEvent(p.bucket, [{ key }])),
      }),
    );
    const third = await handler(await sqsEvent(queueUrl));

    // Assess
    expect([first.files[0]?.alertsPublished, second.files[0]?.alertsPublished]).toEqual([1, 0]);
    expect(third).toEqual({ batchItemFailures: [] });
    const indexed = await queryIndex(
      p,
      'byAction',
      keys.action('glacier.amazonaws.com', 'DeleteVault').toString(),
    );
    expect(indexed.filter((item) => item.eventID === deletion.eventID)).toHaveLength(1);
    expect(await receiveAlerts(p)).toHaveLength(1);
  });
});

describe('key layouts and accounts', () => {
  const deployedWith = (logSource: { bucket: string; prefix: string }, indexedAccounts?: string[]) =>
    createHandler(
      defaultDeps({
        tableName: p.tableName,
        alertTopicArn: p.alertTopicArn,
        logSource,
        ...(indexedAccounts === undefined ? {} : { indexedAccounts: new Set(indexedAccounts) }),
      }),
    );

  test.each<[string, { prefix?: string; organizationId?: string }, string]>([
    ['an organization trail (AWSLogs/<o-id>/<account>/)', { organizationId: 'o-abcd123456' }, ''],
    ['a prefix with a space, URL-encoded in the S3 event', { prefix: 'trail logs/2026' }, 'trail logs/2026/'],
    [
      "Control Tower's bucket (its o-… prefix, then the organization trail's layout)",
      { prefix: 'o-abcd123456', organizationId: 'o-abcd123456' },
      'o-abcd123456/',
    ],
    [
      "Control Tower's older layout (its o-… prefix, then AWSLogs/<account>/)",
      { prefix: 'o-abcd123456' },
      'o-abcd123456/',
    ],
  ])('%s', async (_name, layout, prefix) => {
    const { key, eventID } = await logFile(layout);
    const summary = await deployedWith({ bucket: p.bucket, prefix })(
      s3ObjectCreatedEvent(p.bucket, [{ key }]),
    );
    expect(summary.files).toEqual([expect.objectContaining({ key, status: 'indexed' })]);
    expect(await getEvent(p, eventID)).toBeDefined();
  });

  test('indexedAccounts: the other accounts of an organization are skipped unread', async () => {
    const mine = await logFile({ organizationId: 'o-abcd123456', account: '444455556666' });
    const other = await logFile({ organizationId: 'o-abcd123456', account: '777788889999' });
    const summary: NotificationSummary = await deployedWith({ bucket: p.bucket, prefix: '' }, [
      '444455556666',
    ])(s3ObjectCreatedEvent(p.bucket, [{ key: mine.key }, { key: other.key }]));
    expect(summary.files.map((f) => [f.status, f.reason])).toEqual([
      ['indexed', undefined],
      ['skipped', 'account-not-indexed'],
    ]);
    expect(await getEvent(p, other.eventID)).toBeUndefined();
  });
});
