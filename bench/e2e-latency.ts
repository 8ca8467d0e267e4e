/**
 * End to end on the emulators (fauxqs for S3, SNS and SQS; dynalite for DynamoDB): the time from
 * CloudTrail's notification being published to its events being queryable, and to the alert of its
 * vault deletion being published, over many files, p50 and p99.
 *
 * Method. A poller stands in for Lambda's SNS trigger: it long-polls the delivery topic's SQS
 * subscription and hands each notification to the indexer's own handler (`createHandler`), as
 * `trail-index local` does. For each file in turn: the file is put into the bucket (not timed), the
 * notification is published (t0), the event is read back with GetItem every 5 ms until it is there
 * (queryable), and the alert topic's queue is polled until that event's alert arrives (alerted).
 * The emulators' own delivery adds to both figures; on AWS, SNS invokes Lambda directly.
 *
 * The fast path: for as many vault deletions again, CloudTrail's EventBridge event is handed to the
 * fast-path alerter's own handler, as EventBridge invokes it (t0), and the alert topic's queue is
 * polled until the alert arrives. Both paths' alert figures leave out what happens before the event
 * reaches the function: CloudTrail's log file delivery (about 5 minutes) on the log-file path, and
 * EventBridge's delivery (seconds) on the fast path.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { provisionPipeline, startEmulators } from '../cli/emulators';
import { snsEventFromSqsMessages } from '../cli/sns-bridge';
import type * as CreateHandler from '../lambdas/indexer/create-handler';
import type * as Deps from '../lambdas/indexer/deps';
import type * as Alerter from '../lambdas/alerter/handler';
import { messageFor } from '../lambdas/shared/alert-message';
import { ENV } from '../lambdas/shared/config';
import { keys } from '../lambdas/shared/schema';
import { logFileText, prng } from './cloudtrail-generator';
import { summarize, type Summary } from './stats';

export interface E2eResult {
  readonly files: number;
  readonly recordsPerFile: number;
  readonly queryableMs: Summary & { readonly p50: number; readonly p99: number };
  readonly alertedMs: Summary & { readonly p50: number; readonly p99: number };
  /** The fast path: the alerter invoked with the event → the alert on the alert queue. */
  readonly fastAlertedMs: Summary & { readonly p50: number; readonly p99: number };
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function withPercentiles(values: readonly number[]) {
  return { ...summarize(values), p50: percentile(values, 50), p99: percentile(values, 99) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function e2eLatencyBenchmark(files: number, log: (line: string) => void): Promise<E2eResult> {
  const emulators = await startEmulators({ dynamodb: 'dynalite' });
  const saved = { ...process.env };
  Object.assign(process.env, emulators.env, {
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  const pipeline = await provisionPipeline();
  Object.assign(process.env, {
    [ENV.tableName]: pipeline.tableName,
    [ENV.alertTopicArn]: pipeline.alertTopicArn,
    [ENV.logBucket]: pipeline.bucket,
  });
  // Loaded only now: the indexer reads its configuration when its dependencies are built.
  const load = createRequire(__filename);
  const { createHandler } = load('../lambdas/indexer/create-handler') as typeof CreateHandler;
  const { defaultDeps } = load('../lambdas/indexer/deps') as typeof Deps;
  const handler = createHandler(defaultDeps());
  const { handler: fastHandler } = load('../lambdas/alerter/handler') as typeof Alerter;
  const s3 = new S3Client({});
  const sns = new SNSClient({});
  const sqs = new SQSClient({});
  const dynamodb = new DynamoDBClient({});
  let running = true;
  let failure: unknown;
  /** Waits for `done`, polling every 5 ms; fails after 30 s or when the handler failed. */
  const until = async (done: () => Promise<boolean> | boolean, what: string) => {
    const deadline = performance.now() + 30_000;
    while (!(await done())) {
      if (failure !== undefined) throw new Error('the handler failed', { cause: failure });
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(5);
    }
  };
  const alertsSeen = new Map<string, number>();
  const receive = async (queueUrl: string) =>
    (
      await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      )
    ).Messages ?? [];
  const deleteAll = (queueUrl: string, messages: readonly Message[]) =>
    sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map((m, k) => ({ Id: String(k), ReceiptHandle: m.ReceiptHandle ?? '' })),
      }),
    );

  // Lambda's SNS trigger, stood in for.
  const trigger = (async () => {
    while (running) {
      const Messages = await receive(pipeline.deliveryQueueUrl);
      if (Messages.length === 0) continue;
      try {
        await handler(snsEventFromSqsMessages(Messages));
      } catch (err) {
        failure ??= err;
      }
      await deleteAll(pipeline.deliveryQueueUrl, Messages);
    }
  })();
  // Whoever reads the alert topic, stood in for: notes when each event's alert arrives.
  const watcher = (async () => {
    while (running) {
      const Messages = await receive(pipeline.alertQueueUrl);
      const now = performance.now();
      for (const m of Messages) {
        // The SNS envelope (raw delivery is off), whose Message is the alert's text.
        const text = messageFor('sqs', (JSON.parse(m.Body ?? '{}') as { Message?: string }).Message ?? '');
        const id = /Event ID:\s+(\S+)/.exec(text)?.[1];
        if (id !== undefined) alertsSeen.set(id, now);
      }
      if (Messages.length > 0) await deleteAll(pipeline.alertQueueUrl, Messages);
    }
  })();

  const queryable: number[] = [];
  const alerted: number[] = [];
  const fastAlerted: number[] = [];
  const rng = prng(11);
  let recordsPerFile = 0;
  try {
    for (let k = 0; k < files; k++) {
      // A typical small file: some 100 records of other services, and one vault deletion.
      const eventID = randomUUID();
      const text = [...logFileText(5000 + k, 60_000, { selectedShare: 0.004 })].join('');
      const deletion = JSON.stringify({
        eventVersion: '1.11',
        eventSource: 'glacier.amazonaws.com',
        eventName: 'DeleteVault',
        eventTime: new Date().toISOString(),
        awsRegion: 'us-east-1',
        recipientAccountId: '111122223333',
        userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/bench' },
        requestParameters: { accountId: '-', vaultName: `bench-${Math.floor(rng() * 1e6)}` },
        eventID,
      });
      const body = `${text.slice(0, -2)},${deletion}]}`;
      recordsPerFile = (JSON.parse(body) as { Records: unknown[] }).Records.length;
      const stamp = new Date(Date.UTC(2026, 10, 20, 0, 5 * k))
        .toISOString()
        .replace(/[-:]/g, '')
        .slice(0, 13);
      const objectKey = `AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/111122223333_CloudTrail_us-east-1_${stamp}Z_${eventID.replace(/-/g, '').slice(0, 16)}.json.gz`;
      await s3.send(new PutObjectCommand({ Bucket: pipeline.bucket, Key: objectKey, Body: gzipSync(body) }));

      const t0 = performance.now();
      await sns.send(
        new PublishCommand({
          TopicArn: pipeline.deliveryTopicArn,
          Message: JSON.stringify({ s3Bucket: pipeline.bucket, s3ObjectKey: [objectKey] }),
        }),
      );
      const key = Object.fromEntries(Object.entries(keys.event(eventID)).map(([n, v]) => [n, { S: v }]));
      await until(async () => {
        const { Item } = await dynamodb.send(new GetItemCommand({ TableName: pipeline.tableName, Key: key }));
        return Item !== undefined;
      }, `event ${eventID} in the index`);
      queryable.push(performance.now() - t0);
      await until(() => alertsSeen.has(eventID), `the alert of ${eventID}`);
      alerted.push((alertsSeen.get(eventID) ?? NaN) - t0);
      if ((k + 1) % 20 === 0) log(`  e2e: ${k + 1}/${files} files`);
    }
    for (let k = 0; k < files; k++) {
      const eventID = randomUUID();
      const event = {
        version: '0',
        id: randomUUID(),
        'detail-type': 'AWS API Call via CloudTrail',
        source: 'aws.glacier',
        account: '111122223333',
        region: 'us-east-1',
        detail: {
          eventVersion: '1.11',
          eventSource: 'glacier.amazonaws.com',
          eventName: 'DeleteVault',
          eventTime: new Date().toISOString(),
          awsRegion: 'us-east-1',
          recipientAccountId: '111122223333',
          userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/bench' },
          requestParameters: { accountId: '-', vaultName: `bench-fast-${Math.floor(rng() * 1e6)}` },
          eventID,
        },
      };
      const t0 = performance.now();
      await fastHandler(event);
      await until(() => alertsSeen.has(eventID), `the fast-path alert of ${eventID}`);
      fastAlerted.push((alertsSeen.get(eventID) ?? NaN) - t0);
    }
  } finally {
    running = false;
    await Promise.allSettled([trigger, watcher]);
    for (const client of [s3, sns, sqs, dynamodb]) client.destroy();
    await emulators.stop();
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  }
  return {
    files,
    recordsPerFile,
    queryableMs: withPercentiles(queryable),
    alertedMs: withPercentiles(alerted),
    fastAlertedMs: withPercentiles(fastAlerted),
  };
}
