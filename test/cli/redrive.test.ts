/**
 * `redrive` against fauxqs queues and dynalite over HTTP, with the real indexer handler: messages
 * shaped as Lambda's failure destination and as the SNS subscription's dead-letter queue hold them,
 * referencing log files in the bucket.
 */
import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  Message,
  MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import type { SNSEvent } from 'aws-lambda';
import { RedriveDeps, RedriveReport, runRedrive, parseRedriveMessage } from '../../cli/redrive';
import { eventBridgeObjectCreated, s3ObjectCreatedEvent } from '../../cli/s3-events';
import { createHandler } from '../../lambdas/indexer/create-handler';
import { defaultDeps } from '../../lambdas/indexer/deps';
import {
  cloudTrailMessage,
  glacierRecord,
  logFileBody,
  logFileKey,
  snsEnvelope,
  snsEvent,
  supportRecord,
  VALIDATION_MESSAGE,
} from '../harness/factories';
import {
  createTestPipeline,
  getEvent,
  putObject,
  ReceivedAlert,
  receiveAlerts,
  TestPipeline,
} from '../harness/pipeline';

const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:999999999999:function:TrailIndexStack-Indexer:$LATEST';

/** A Lambda asynchronous-invocation record, as the failure destination receives it. */
function invocationRecord(
  event: SNSEvent,
  error = { errorType: 'IndexingFailedError', errorMessage: '1 of 1 log files failed' },
) {
  return {
    version: '1.0',
    timestamp: '2026-11-20T10:20:00.000Z',
    requestContext: {
      requestId: randomUUID(),
      functionArn: FUNCTION_ARN,
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    },
    requestPayload: event,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: { ...error, trace: ['IndexingFailedError: ...', '    at handler'] },
  };
}

interface LogFile {
  readonly key: string;
  readonly eventIDs: string[];
}

let p: TestPipeline;
let deps: RedriveDeps;

async function putLogFile(...records: Record<string, unknown>[]): Promise<LogFile> {
  const key = logFileKey({ at: new Date('2026-11-20T10:05:00Z') });
  await putObject(p, key, logFileBody(records));
  return { key, eventIDs: records.map((r) => String(r.eventID)) };
}

async function putBrokenFile(): Promise<string> {
  const key = logFileKey({ at: new Date('2026-11-20T10:10:00Z') });
  await putObject(p, key, '{"Records": [ {"eventVersion": "1.11", ');
  return key;
}

async function createQueue(name: string): Promise<string> {
  const { QueueUrl } = await p.sqs.send(
    new CreateQueueCommand({ QueueName: `${name}-${randomUUID().slice(0, 8)}` }),
  );
  if (QueueUrl === undefined) throw new Error('CreateQueue returned no URL');
  return QueueUrl;
}

async function send(
  queueUrl: string,
  body: unknown,
  attributes?: Record<string, MessageAttributeValue>,
): Promise<string> {
  const { MessageId } = await p.sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: typeof body === 'string' ? body : JSON.stringify(body),
      ...(attributes === undefined ? {} : { MessageAttributes: attributes }),
    }),
  );
  if (MessageId === undefined) throw new Error('SendMessage returned no id');
  return MessageId;
}

/** What a queue holds now, without taking it (the messages become visible again at once). */
async function peek(queueUrl: string): Promise<Message[]> {
  const { Messages = [] } = await p.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
  );
  return Messages;
}

beforeAll(async () => {
  p = await createTestPipeline();
  const handler = createHandler(
    defaultDeps({
      tableName: p.tableName,
      alertTopicArn: p.alertTopicArn,
      logSource: { bucket: p.bucket, prefix: '' },
    }),
  );
  deps = { sqs: p.sqs, handle: (event) => handler(event) };
});

afterAll(() => p.close());

afterEach(async () => {
  await receiveAlerts(p, 0);
});

describe('a redrive of both queues', () => {
  let failureQueue: string;
  let deadLetterQueue: string;
  let deletion: LogFile;
  let support: LogFile;
  let partly: LogFile;
  let brokenKey: string;
  const ids: Record<string, string> = {};
  let report: RedriveReport;
  let alerts: ReceivedAlert[];

  beforeAll(async () => {
    // Prepare
    failureQueue = await createQueue('failure-destination');
    deadLetterQueue = await createQueue('subscription-dlq');
    deletion = await putLogFile(glacierRecord('DeleteVault'), glacierRecord('DescribeVault'));
    support = await putLogFile(supportRecord('CreateCase'));
    partly = await putLogFile(glacierRecord('ListVaults'));
    brokenKey = await putBrokenFile();
    ids.deletion = await send(
      failureQueue,
      invocationRecord(snsEvent(cloudTrailMessage(p.bucket, [deletion.key]))),
    );
    ids.stillBroken = await send(
      failureQueue,
      invocationRecord(snsEvent(cloudTrailMessage(p.bucket, [partly.key, brokenKey]))),
    );
    ids.validation = await send(failureQueue, invocationRecord(snsEvent(VALIDATION_MESSAGE)));
    ids.support = await send(deadLetterQueue, snsEnvelope(cloudTrailMessage(p.bucket, [support.key])), {
      ErrorCode: { DataType: 'String', StringValue: '500' },
      ErrorMessage: { DataType: 'String', StringValue: 'Lambda was throttled' },
    });
    ids.unknown = await send(deadLetterQueue, 'hello from somewhere else');

    // Act
    report = await runRedrive(deps, {
      queues: [
        { role: 'failure-destination', url: failureQueue },
        { role: 'subscription-dlq', url: deadLetterQueue },
      ],
      waitTimeSeconds: 0,
    });
    alerts = await receiveAlerts(p);
  });

  it('indexes the events of every file it could read', async () => {
    // Assess
    for (const eventID of [...deletion.eventIDs, ...support.eventIDs, ...partly.eventIDs]) {
      expect(await getEvent(p, eventID)).toMatchObject({ eventID });
    }
  });

  it('publishes the alert of a vault deletion it redrove', () => {
    // Assess
    expect(alerts.map((a) => a.subject)).toEqual([
      expect.stringMatching(/^CRITICAL: Glacier vault deleted: /),
    ]);
  });

  it('deletes the messages it handled, and leaves the others visible in their queue', async () => {
    // Assess
    expect((await peek(failureQueue)).map((m) => m.MessageId)).toEqual([ids.stillBroken]);
    expect((await peek(deadLetterQueue)).map((m) => m.MessageId)).toEqual([ids.unknown]);
  });

  it('reports each message with its outcome, and why what still fails fails', () => {
    // Assess
    const byId = new Map(report.outcomes.map((o) => [o.messageId, o]));
    expect(byId.get(ids.deletion ?? '')).toMatchObject({
      queue: 'failure-destination',
      kind: 'invocation-record',
      status: 'redriven',
      keys: [deletion.key],
      lastError: 'IndexingFailedError: 1 of 1 log files failed',
      alertsPublished: 1,
    });
    expect(byId.get(ids.validation ?? '')).toMatchObject({ status: 'redriven', keys: [] });
    expect(byId.get(ids.support ?? '')).toMatchObject({
      queue: 'subscription-dlq',
      kind: 'sns-notification',
      status: 'redriven',
      lastError: '500: Lambda was throttled',
      eventsIndexed: { 'support.amazonaws.com': 1 },
    });
    expect(byId.get(ids.stillBroken ?? '')).toMatchObject({
      status: 'failed',
      keys: [partly.key, brokenKey],
      failedFiles: [{ key: brokenKey, reason: 'invalid-json' }],
    });
    expect(byId.get(ids.unknown ?? '')).toMatchObject({
      status: 'unrecognised',
      reason: expect.stringMatching(/not JSON/) as unknown,
    });
    expect(report).toMatchObject({ redriven: 3, stillFailing: 1, unrecognised: 1, truncated: false });
  });
});

describe('a message planted in a queue that names another bucket', () => {
  it('is refused unread: nothing indexed, no alert, the message kept and reported', async () => {
    // Prepare: a forged log file with a vault deletion, in a bucket that is not the trail's.
    const otherBucket = `planted-${randomUUID().slice(0, 8)}`;
    await p.s3.send(new CreateBucketCommand({ Bucket: otherBucket }));
    const forged = glacierRecord('DeleteVault');
    const key = logFileKey();
    await p.s3.send(new PutObjectCommand({ Bucket: otherBucket, Key: key, Body: logFileBody([forged]) }));
    const queue = await createQueue('planted');
    const id = await send(queue, invocationRecord(snsEvent(cloudTrailMessage(otherBucket, [key]))));

    // Act
    const planted = await runRedrive(deps, {
      queues: [{ role: 'failure-destination', url: queue }],
      waitTimeSeconds: 0,
    });
    const alerts = await receiveAlerts(p, 0);

    // Assess
    expect(planted.outcomes).toMatchObject([
      { messageId: id, status: 'failed', failedFiles: [{ key, reason: 'untrusted-bucket' }] },
    ]);
    expect(await getEvent(p, String(forged.eventID))).toBeUndefined();
    expect(alerts).toEqual([]);
    expect((await peek(queue)).map((m) => m.MessageId)).toEqual([id]);
  });
});

describe('a dry run', () => {
  it('reports the messages and the files they name, and changes nothing', async () => {
    // Prepare
    const queue = await createQueue('failure-destination');
    const file = await putLogFile(glacierRecord('DescribeVault'));
    const id = await send(queue, invocationRecord(snsEvent(cloudTrailMessage(p.bucket, [file.key]))));

    // Act
    const report = await runRedrive(deps, {
      queues: [{ role: 'failure-destination', url: queue }],
      dryRun: true,
      waitTimeSeconds: 0,
    });

    // Assess
    expect(report.outcomes).toEqual([
      expect.objectContaining({ messageId: id, status: 'pending', keys: [file.key] }),
    ]);
    expect((await peek(queue)).map((m) => m.MessageId)).toEqual([id]);
    expect(await getEvent(p, file.eventIDs[0] ?? '')).toBeUndefined();
  });
});

describe('--max', () => {
  it('handles that many messages and leaves the rest for the next run', async () => {
    // Prepare
    const queue = await createQueue('failure-destination');
    const files = [
      await putLogFile(glacierRecord('DescribeVault')),
      await putLogFile(glacierRecord('ListVaults')),
    ];
    for (const file of files)
      await send(queue, invocationRecord(snsEvent(cloudTrailMessage(p.bucket, [file.key]))));

    // Act
    const first = await runRedrive(deps, {
      queues: [{ role: 'failure-destination', url: queue }],
      max: 1,
      waitTimeSeconds: 0,
    });
    const second = await runRedrive(deps, {
      queues: [{ role: 'failure-destination', url: queue }],
      waitTimeSeconds: 0,
    });

    // Assess
    expect(first).toMatchObject({ redriven: 1, truncated: true });
    expect(second).toMatchObject({ redriven: 1, truncated: false });
    expect(await peek(queue)).toEqual([]);
  });
});

describe('recognising messages', () => {
  test('recognises what the other delivery paths dead-letter: raw S3 events, EventBridge events, CloudTrail notices, and their invocation records', () => {
    const s3Event = s3ObjectCreatedEvent('trail-bucket', [
      { key: 'AWSLogs/111122223333/CloudTrail/us-east-1/2026/12/01/a.json.gz' },
    ]);
    const eventBridge = eventBridgeObjectCreated('trail-bucket', 'AWSLogs/x.json.gz');
    expect(parseRedriveMessage(JSON.stringify(s3Event))).toEqual({
      kind: 'raw-notification',
      event: s3Event,
    });
    expect(parseRedriveMessage(JSON.stringify(eventBridge))).toEqual({
      kind: 'raw-notification',
      event: eventBridge,
    });
    expect(parseRedriveMessage(JSON.stringify({ s3Bucket: 'b', s3ObjectKey: ['k'] }))).toEqual(
      expect.objectContaining({ kind: 'raw-notification' }),
    );
    expect(
      parseRedriveMessage(
        JSON.stringify({
          requestContext: { requestId: 'r', condition: 'RetriesExhausted' },
          requestPayload: eventBridge,
        }),
      ),
    ).toEqual(expect.objectContaining({ kind: 'invocation-record', event: eventBridge }));
  });

  it('refuses an invocation record whose payload is not an SNS event', () => {
    // Act
    const parsed = parseRedriveMessage(
      JSON.stringify({ ...invocationRecord(snsEvent('x')), requestPayload: { detail: {} } }),
    );

    // Assess
    expect(parsed).toEqual({
      kind: 'unrecognised',
      reason: 'invocation record whose requestPayload is not an SNS, S3 or EventBridge event',
    });
  });

  it('refuses an SNS envelope without its Message', () => {
    // Prepare
    const { Message: _message, ...envelope } = snsEnvelope('x');

    // Act
    const parsed = parseRedriveMessage(JSON.stringify(envelope));

    // Assess
    expect(parsed).toMatchObject({
      kind: 'unrecognised',
      reason: expect.stringMatching(/Message is missing/) as unknown,
    });
  });

  it('turns a dead-lettered envelope into the SNSEvent Lambda would have received', () => {
    // Prepare
    const envelope = snsEnvelope(cloudTrailMessage('logs', ['AWSLogs/k']));

    // Act
    const parsed = parseRedriveMessage(JSON.stringify(envelope));

    // Assess
    expect(parsed).toMatchObject({
      kind: 'sns-notification',
      event: {
        Records: [
          {
            EventSource: 'aws:sns',
            Sns: {
              MessageId: envelope.MessageId,
              Message: envelope.Message,
              SigningCertUrl: envelope.SigningCertURL,
              UnsubscribeUrl: envelope.UnsubscribeURL,
            },
          },
        ],
      },
    });
  });
});
