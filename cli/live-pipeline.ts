/**
 * `trail-index local --serve`, live: while the emulators are up, every notification on the delivery
 * topic is indexed by the same handler as deployed (read from the topic's SQS subscription, bridged
 * to the SNSEvent Lambda would get), and so is every object put in the bucket, announced as S3
 * would announce it (fauxqs has no bucket notifications, so the bucket is listed every second and
 * each new key becomes an `ObjectCreated:Put` event). A message is deleted only after the handler
 * finished with it; Ctrl-C stops taking new work and lets the current one finish, so nothing that
 * was acknowledged is lost.
 */
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SNSEvent, S3Event } from 'aws-lambda';
import type { FileResult, NotificationSummary } from '../lambdas/indexer/types';
import { safeText } from '../lambdas/shared/safe-text';
import type { Pipeline } from './emulators';
import { s3ObjectCreatedEvent } from './s3-events';
import { snsEventFromSqsMessages } from './sns-bridge';

export interface LiveOptions {
  readonly pipeline: Pipeline;
  readonly handle: (event: SNSEvent | S3Event) => Promise<NotificationSummary>;
  /** One line per file indexed, skipped or failed, and per alert. */
  readonly print: (line: string) => void;
  readonly signal: AbortSignal;
  /** Keys already in the bucket (indexed before serving): not announced again. */
  readonly known: Iterable<string>;
  /** How long a received message stays hidden while it is handled; a failed one comes back after. */
  readonly visibilityTimeoutSeconds?: number;
}

/** What one handled event did, as the lines printed for it. */
export function describeFiles(files: readonly FileResult[], via: string): string[] {
  const lines: string[] = [];
  for (const f of files) {
    const events = Object.values(f.eventsIndexed).reduce((a, b) => a + b, 0);
    const what =
      f.status === 'indexed'
        ? `${f.recordsScanned} records, ${events} indexed`
        : `${f.reason ?? 'no reason given'}`;
    lines.push(`${f.status.padEnd(7)}  ${safeText(f.key)}  ${what} (${via})`);
    if (f.alertsPublished > 0) {
      for (const alert of f.alerts) lines.push(`alert    ${safeText(alert.subject)}`);
    }
  }
  return lines;
}

export async function serveLive(options: LiveOptions): Promise<{ notifications: number; objects: number }> {
  const { pipeline, signal } = options;
  const sqs = new SQSClient({});
  const s3 = new S3Client({});
  const known = new Set(options.known);
  const done = { notifications: 0, objects: 0 };
  const handle = async (event: SNSEvent | S3Event, via: string): Promise<boolean> => {
    try {
      const summary = await options.handle(event);
      for (const line of describeFiles(summary.files, via)) options.print(line);
      for (const skipped of summary.skippedMessages)
        options.print(`skipped  message ${skipped.messageId}: ${skipped.reason} (${via})`);
      return true;
    } catch (err) {
      const summary = (err as { summary?: NotificationSummary }).summary;
      if (summary !== undefined) for (const line of describeFiles(summary.files, via)) options.print(line);
      else options.print(`failed   ${safeText(err instanceof Error ? err.message : String(err))} (${via})`);
      return false;
    }
  };
  try {
    while (!signal.aborted) {
      // The delivery topic: what `aws sns publish` (or CloudTrail) announced.
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: pipeline.deliveryQueueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          VisibilityTimeout: options.visibilityTimeoutSeconds ?? 30,
        }),
      );
      for (const message of Messages) {
        // One at a time, as Lambda's SNS trigger invokes; deleted only once handled.
        if (await handle(snsEventFromSqsMessages([message]), 'delivery topic')) {
          await sqs.send(
            new DeleteMessageCommand({
              QueueUrl: pipeline.deliveryQueueUrl,
              ReceiptHandle: message.ReceiptHandle ?? '',
            }),
          );
        }
        done.notifications += 1;
      }
      if (signal.aborted) break;
      // The bucket: what `aws s3 cp` put there, announced as an S3 event notification would.
      const fresh: { key: string; size: number }[] = [];
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: pipeline.bucket, ContinuationToken: token }),
        );
        for (const object of page.Contents ?? []) {
          if (object.Key !== undefined && !known.has(object.Key))
            fresh.push({ key: object.Key, size: object.Size ?? 0 });
        }
        token = page.NextContinuationToken;
      } while (token !== undefined);
      for (const object of fresh) {
        await handle(s3ObjectCreatedEvent(pipeline.bucket, [object]), 'S3 event');
        known.add(object.key);
        done.objects += 1;
      }
    }
  } finally {
    sqs.destroy();
    s3.destroy();
  }
  return done;
}
