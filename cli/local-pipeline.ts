/**
 * The pipeline of `trail-index local`, on emulators: each log file goes into the bucket at its
 * CloudTrail key, CloudTrail's notification goes to the delivery topic, and the indexer handler
 * runs on what the topic's SQS subscription receives, bridged to the `SNSEvent` Lambda would get.
 * Alerts are read back from the alert topic's subscription.
 */
import { messageFor } from '../lambdas/shared/alert-message';
import { readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { DeleteObjectsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3_DELETE_OBJECTS_MAX_KEYS, SQS_BATCH_MAX_ENTRIES } from '../lambdas/shared/aws-limits';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DeleteMessageBatchCommand, Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SNSEvent } from 'aws-lambda';
import type { FileResult, NotificationSummary } from '../lambdas/indexer/handler';
import type { Pipeline } from './emulators';
import { CliError } from './errors';
import { METADATA_SUFFIX } from './folder-store';
import { snsEventFromSqsMessages } from './sns-bridge';

export interface LogFile {
  /** Path on disk. */
  readonly path: string;
  /** Object key: the path relative to the logs folder, with `/` separators. */
  readonly key: string;
  readonly size: number;
}

/** Every `*.json.gz` below `dir`, at any depth, in key order. */
export function findLogFiles(dir: string): LogFile[] {
  const found: LogFile[] = [];
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && entry.name.endsWith('.json.gz')) {
        found.push({ path, key: relative(dir, path).split(sep).join('/'), size: statSync(path).size });
      }
    }
  };
  walk(dir);
  return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** One alert as a subscriber of the alert topic receives it. */
export interface ReceivedAlert {
  readonly subject?: string;
  readonly message: string;
  readonly attributes: Readonly<Record<string, string>>;
}

export interface LocalRunResult {
  readonly files: readonly FileResult[];
  readonly notifications: number;
  /** Messages the handler skipped (not CloudTrail log-file notices). */
  readonly skippedMessages: number;
  /** Invocations that failed without a per-file summary (an indexer bug or an emulator outage). */
  readonly invocationErrors: readonly string[];
  readonly alerts: readonly ReceivedAlert[];
}

export type Invoke = (event: SNSEvent) => Promise<NotificationSummary>;

export interface LocalRunOptions {
  readonly files: readonly LogFile[];
  readonly pipeline: Pipeline;
  /** The indexer handler, or anything with its contract. */
  readonly invoke: Invoke;
  /** Keys per notification; CloudTrail may announce several files in one. @default 5 */
  readonly keysPerNotification?: number;
  /**
   * Keep the objects in the bucket after indexing (for `--serve`). Otherwise each is deleted once
   * its notification is processed, so the emulator's memory does not grow with the input.
   */
  readonly keepObjects?: boolean;
  /** Called after each notification with the files and bytes done so far. */
  readonly onProgress?: (done: { files: number; bytes: number }) => void;
}

/** Whether a key is a CloudTrail digest file (CloudTrail does not announce those on SNS). */
export function isDigestKey(key: string): boolean {
  return /(^|\/)AWSLogs\/(?:o-[a-z0-9]+\/)?\d{12}\/CloudTrail-Digest\//.test(key);
}

/**
 * Puts each digest file as CloudTrail writes it (its signature in the object's metadata, from the
 * `<digest>.metadata.json` beside it), unannounced, and keeps it for the verifier.
 */
export async function putDigests(s3: S3Client, bucket: string, digests: readonly LogFile[]): Promise<void> {
  for (const digest of digests) {
    let metadata: Record<string, string> | undefined;
    try {
      metadata = JSON.parse(await readFile(`${digest.path}${METADATA_SUFFIX}`, 'utf8')) as Record<
        string,
        string
      >;
    } catch {
      // No sidecar: the digest goes in without a signature, and the verifier reports it invalid.
    }
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: digest.key,
        Body: await readFile(digest.path),
        ...(metadata === undefined ? {} : { Metadata: metadata }),
      }),
    );
  }
}

/** Puts, announces and indexes every log file, one notification at a time; puts the digests. */
export async function runLocalPipeline(options: LocalRunOptions): Promise<LocalRunResult> {
  const { pipeline } = options;
  const s3 = new S3Client({});
  const sns = new SNSClient({});
  const sqs = new SQSClient({});
  const files: FileResult[] = [];
  const invocationErrors: string[] = [];
  let skippedMessages = 0;
  let notifications = 0;
  const done = { files: 0, bytes: 0 };
  try {
    await putDigests(
      s3,
      pipeline.bucket,
      options.files.filter((f) => isDigestKey(f.key)),
    );
    const announced = options.files.filter((f) => !isDigestKey(f.key));
    for (const group of chunks(announced, options.keysPerNotification ?? 5)) {
      // One file in memory at a time: a CloudTrail file is at most 50 MB compressed.
      for (const file of group) {
        await s3.send(
          new PutObjectCommand({
            Bucket: pipeline.bucket,
            Key: file.key,
            Body: await readFile(file.path),
            ContentType: 'application/json',
            ContentEncoding: 'gzip',
          }),
        );
      }
      // CloudTrail's notice: no Subject, the keys as a JSON array.
      await sns.send(
        new PublishCommand({
          TopicArn: pipeline.deliveryTopicArn,
          Message: JSON.stringify({ s3Bucket: pipeline.bucket, s3ObjectKey: group.map((f) => f.key) }),
        }),
      );
      notifications += 1;
      const messages = await receive(sqs, pipeline.deliveryQueueUrl, 1);
      for (const message of messages) {
        // Lambda's SNS trigger passes one record per invocation.
        const outcome = await invokeOnce(options.invoke, snsEventFromSqsMessages([message]));
        files.push(...outcome.files);
        skippedMessages += outcome.skippedMessages;
        if (outcome.error !== undefined) invocationErrors.push(outcome.error);
      }
      await remove(sqs, pipeline.deliveryQueueUrl, messages);
      if (options.keepObjects !== true) {
        for (const keys of chunks(group, S3_DELETE_OBJECTS_MAX_KEYS)) {
          await s3.send(
            new DeleteObjectsCommand({
              Bucket: pipeline.bucket,
              Delete: { Objects: keys.map((f) => ({ Key: f.key })), Quiet: true },
            }),
          );
        }
      }
      done.files += group.length;
      done.bytes += group.reduce((sum, f) => sum + f.size, 0);
      options.onProgress?.({ ...done });
    }
    const alerts = await drainAlerts(sqs, pipeline.alertQueueUrl);
    return { files, notifications, skippedMessages, invocationErrors, alerts };
  } finally {
    s3.destroy();
    sns.destroy();
    sqs.destroy();
  }
}

/** The alerts published since the last drain (the verifier's, after the indexer's). */
export async function receiveLocalAlerts(pipeline: Pipeline): Promise<ReceivedAlert[]> {
  const sqs = new SQSClient({});
  try {
    return await drainAlerts(sqs, pipeline.alertQueueUrl);
  } finally {
    sqs.destroy();
  }
}

async function invokeOnce(
  invoke: Invoke,
  event: SNSEvent,
): Promise<{ files: FileResult[]; skippedMessages: number; error?: string }> {
  try {
    const summary = await invoke(event);
    return { files: summary.files, skippedMessages: summary.skippedMessages.length };
  } catch (err) {
    // IndexingFailedError carries the summary: the broken files are in it, with their reasons.
    const summary = summaryOf(err);
    if (summary !== undefined)
      return { files: summary.files, skippedMessages: summary.skippedMessages.length };
    return { files: [], skippedMessages: 0, error: err instanceof Error ? err.message : String(err) };
  }
}

function summaryOf(err: unknown): NotificationSummary | undefined {
  if (typeof err !== 'object' || err === null || !('summary' in err)) return undefined;
  const summary = err.summary;
  if (
    typeof summary !== 'object' ||
    summary === null ||
    !('files' in summary) ||
    !Array.isArray(summary.files)
  ) {
    return undefined;
  }
  return summary as NotificationSummary;
}

/** Waits for `count` messages; fauxqs delivers at once, so a quiet queue means a lost message. */
async function receive(sqs: SQSClient, queueUrl: string, count: number): Promise<Message[]> {
  const received: Message[] = [];
  for (let quietPolls = 0; received.length < count && quietPolls < 10;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(SQS_BATCH_MAX_ENTRIES, count - received.length),
        WaitTimeSeconds: 1,
      }),
    );
    if (Messages.length === 0) quietPolls += 1;
    received.push(...Messages);
  }
  if (received.length < count) {
    throw new CliError(`the delivery queue received ${received.length} of ${count} notifications`);
  }
  return received;
}

async function remove(sqs: SQSClient, queueUrl: string, messages: readonly Message[]): Promise<void> {
  for (const batch of chunks(messages, SQS_BATCH_MAX_ENTRIES)) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
      }),
    );
  }
}

/** Everything on the alert queue, oldest first. */
async function drainAlerts(sqs: SQSClient, queueUrl: string): Promise<ReceivedAlert[]> {
  const alerts: ReceivedAlert[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: SQS_BATCH_MAX_ENTRIES,
        WaitTimeSeconds: 0,
      }),
    );
    if (Messages.length === 0) return alerts;
    for (const message of Messages) alerts.push(alertOf(message.Body ?? ''));
    await remove(sqs, queueUrl, Messages);
  }
}

/** The SNS envelope of an alert (raw delivery is off on the subscription). */
export function alertOf(body: string): ReceivedAlert {
  let envelope: unknown;
  try {
    envelope = JSON.parse(body) as unknown;
  } catch {
    return { message: body, attributes: {} };
  }
  if (typeof envelope !== 'object' || envelope === null) return { message: body, attributes: {} };
  const e = envelope as Record<string, unknown>;
  const attributes: Record<string, string> = {};
  if (typeof e.MessageAttributes === 'object' && e.MessageAttributes !== null) {
    for (const [name, value] of Object.entries(e.MessageAttributes as Record<string, unknown>)) {
      if (
        typeof value === 'object' &&
        value !== null &&
        'Value' in value &&
        typeof value.Value === 'string'
      ) {
        attributes[name] = value.Value;
      }
    }
  }
  return {
    ...(typeof e.Subject === 'string' ? { subject: e.Subject } : {}),
    // What SNS sends an SQS subscriber of a per-protocol message (the emulator sends it whole).
    message: typeof e.Message === 'string' ? messageFor('sqs', e.Message) : body,
    attributes,
  };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
