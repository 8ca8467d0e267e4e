/**
 * Integration helpers over the emulators started by global-setup.mjs: a fresh pipeline per test
 * file, log files put where CloudTrail puts them, notifications delivered the way SNS delivers
 * them (topic → SQS subscription → SNSEvent), and the index and the alerts read back.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DeleteMessageBatchCommand, Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SNSEvent } from 'aws-lambda';
import { provisionPipeline, Pipeline } from '../../cli/emulators';
import { snsEventFromSqsMessages } from '../../cli/sns-bridge';
import { messageFor } from '../../lambdas/shared/alert-message';
import { ENV } from '../../lambdas/shared/config';
import { IndexName, INDEXES, keys, timeRange } from '../../lambdas/shared/schema';

export interface TestPipeline extends Pipeline {
  readonly s3: S3Client;
  readonly sns: SNSClient;
  readonly sqs: SQSClient;
  readonly db: DynamoDBDocumentClient;
  /** Releases the clients. */
  close(): void;
}

/** Whether the emulators are up (global-setup.mjs ran). */
export function emulatorsRunning(): boolean {
  return process.env.AWS_ENDPOINT_URL_DYNAMODB !== undefined;
}

/**
 * A pipeline of its own for one test file (unique names, so files can run in parallel), and the
 * indexer's environment variables pointing at it.
 */
export async function createTestPipeline(): Promise<TestPipeline> {
  if (!emulatorsRunning()) throw new Error('emulators are not running: run through jest (global-setup.mjs)');
  const id = randomUUID().slice(0, 8);
  const pipeline = await provisionPipeline({
    bucket: `trail-logs-${id}`,
    deliveryTopic: `delivery-${id}`,
    alertTopic: `alerts-${id}`,
    deliveryQueue: `delivery-${id}`,
    alertQueue: `alerts-${id}`,
    table: `trail-index-${id}`,
  });
  process.env[ENV.tableName] = pipeline.tableName;
  process.env[ENV.alertTopicArn] = pipeline.alertTopicArn;
  process.env[ENV.logBucket] = pipeline.bucket;
  delete process.env[ENV.logKeyPrefix];
  delete process.env[ENV.indexedSources];
  delete process.env[ENV.retentionDays];
  const s3 = new S3Client({});
  const sns = new SNSClient({});
  const sqs = new SQSClient({});
  const dynamodb = new DynamoDBClient({});
  const db = DynamoDBDocumentClient.from(dynamodb);
  return {
    ...pipeline,
    s3,
    sns,
    sqs,
    db,
    close() {
      s3.destroy();
      sns.destroy();
      sqs.destroy();
      dynamodb.destroy();
    },
  };
}

export async function putObject(p: TestPipeline, key: string, body: Uint8Array | string): Promise<void> {
  await p.s3.send(new PutObjectCommand({ Bucket: p.bucket, Key: key, Body: body }));
}

/** Every message now in a queue (drained and deleted), waiting up to `waitSeconds` for the first. */
export async function drainQueue(sqs: SQSClient, queueUrl: string, waitSeconds = 1): Promise<Message[]> {
  const messages: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: messages.length === 0 ? waitSeconds : 0,
      }),
    );
    if (Messages.length === 0) return messages;
    messages.push(...Messages);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
}

/**
 * Publishes each message to the delivery topic as CloudTrail does, and returns what Lambda would
 * receive: the SNSEvent bridged from the topic's SQS subscription.
 */
export async function deliver(
  p: TestPipeline,
  messages: readonly (string | { message: string; subject?: string })[],
): Promise<SNSEvent> {
  for (const entry of messages) {
    const { message, subject } = typeof entry === 'string' ? { message: entry, subject: undefined } : entry;
    await p.sns.send(
      new PublishCommand({
        TopicArn: p.deliveryTopicArn,
        Message: message,
        ...(subject === undefined ? {} : { Subject: subject }),
      }),
    );
  }
  const received = await drainQueue(p.sqs, p.deliveryQueueUrl);
  if (received.length !== messages.length) {
    throw new Error(`expected ${messages.length} deliveries on the subscription, got ${received.length}`);
  }
  return snsEventFromSqsMessages(received);
}

export interface ReceivedAlert {
  readonly subject: string | undefined;
  readonly message: string;
  readonly attributes: Record<string, string>;
}

/** The alerts published since the last call, read from the alert topic's SQS subscription. */
export async function receiveAlerts(p: TestPipeline, waitSeconds = 1): Promise<ReceivedAlert[]> {
  const event = snsEventFromSqsMessages(await drainQueue(p.sqs, p.alertQueueUrl, waitSeconds));
  return event.Records.map(({ Sns }) => ({
    subject: Sns.Subject,
    // What SNS sends an SQS subscriber of a per-protocol message (the emulator sends it whole).
    message: messageFor('sqs', Sns.Message),
    attributes: Object.fromEntries(Object.entries(Sns.MessageAttributes).map(([k, v]) => [k, v.Value])),
  }));
}

/** Items of one GSI partition, newest first, as the CLI queries them. */
export async function queryIndex(
  p: TestPipeline,
  indexName: IndexName,
  partition: string,
  range: { since?: string; until?: string } = {},
): Promise<Record<string, unknown>[]> {
  const index = INDEXES[indexName];
  const { lower, upper } = timeRange(range.since, range.until);
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await p.db.send(
      new QueryCommand({
        TableName: p.tableName,
        IndexName: index.indexName,
        KeyConditionExpression: '#pk = :pk AND #ts BETWEEN :lower AND :upper',
        ExpressionAttributeNames: { '#pk': index.partitionKey, '#ts': index.sortKey },
        ExpressionAttributeValues: { ':pk': partition, ':lower': lower, ':upper': upper },
        ScanIndexForward: false,
        ExclusiveStartKey,
      }),
    );
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey !== undefined);
  return items;
}

/** The base-table item of an event (with its original record). */
export async function getEvent(
  p: TestPipeline,
  eventID: string,
): Promise<Record<string, unknown> | undefined> {
  const { Item } = await p.db.send(new GetCommand({ TableName: p.tableName, Key: keys.event(eventID) }));
  return Item;
}

export async function getAlertMarker(
  p: TestPipeline,
  eventID: string,
  ruleId: string,
): Promise<Record<string, unknown> | undefined> {
  const { Item } = await p.db.send(
    new GetCommand({ TableName: p.tableName, Key: keys.alertMarker(eventID, ruleId) }),
  );
  return Item;
}
