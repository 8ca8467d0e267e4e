/**
 * The Lambda handler, built from its dependencies: it reads the SNS event, processes every log file
 * of every notification one at a time, and maps failures. A broken file does not stop the others;
 * after all of them, any failure throws {@link IndexingFailedError} so Lambda retries the event and
 * finally sends it to the failure destination.
 */
import type { Context, EventBridgeEvent, S3Event, SNSEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { METRIC } from '../shared/config';
import { IndexingFailedError } from './errors';
import { REFUSAL_REASONS } from './log-source';
import { isSqsEvent, notificationsOf } from './notification';
import { count, countEventsIndexed, logger, metrics } from './observability';
import { IndexerDeps, processLogFile } from './process-log-file';
import { failedFileResult, type FileResult, type NotificationSummary } from './types';

/** Time kept back from the invocation's end, to log, publish metrics and fail cleanly. */
export const DEADLINE_MARGIN_MS = 10_000;

/** Every event shape a delivery path brings (see notification.ts). */
export type IndexerEvent = SNSEvent | SQSEvent | S3Event | EventBridgeEvent<string, unknown>;

/**
 * The summary of what was done; for an SQS event, Lambda's partial batch response instead: the
 * messages with a failed file, which the queue keeps (the summary is logged). Lambda reads only
 * `batchItemFailures` from it, so nothing else is returned.
 */
export type IndexerResult = NotificationSummary | SQSBatchResponse;

export type IndexerHandler = {
  (event: SQSEvent, context?: Context): Promise<SQSBatchResponse>;
  (
    event: SNSEvent | S3Event | EventBridgeEvent<string, unknown>,
    context?: Context,
  ): Promise<NotificationSummary>;
  (event: IndexerEvent, context?: Context): Promise<IndexerResult>;
};

export function createHandler(deps: IndexerDeps): IndexerHandler {
  return (async (event: IndexerEvent, context?: Context): Promise<IndexerResult> => {
    if (context !== undefined) logger.addContext(context);
    const deadline =
      context === undefined
        ? undefined
        : Date.now() + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS;
    const summary: NotificationSummary = { files: [], skippedMessages: [] };
    const failedMessages = new Set<string>();
    let firstError: unknown;
    try {
      // `event` is typed for callers but narrowed here: anything can be published to a topic or a queue.
      for (const notification of notificationsOf(event)) {
        if (notification.kind === 'skip') {
          logger.info('Skipping a notification', {
            messageId: notification.messageId,
            reason: notification.reason,
          });
          count(METRIC.notificationsSkipped);
          summary.skippedMessages.push({ messageId: notification.messageId, reason: notification.reason });
          continue;
        }
        // One file at a time: each is streamed, so memory stays that of one file's window.
        for (const key of notification.keys) {
          logger.appendKeys({
            s3Bucket: notification.bucket,
            s3Key: key,
            messageId: notification.messageId,
            deliveryPath: notification.path,
          });
          let result: FileResult;
          try {
            result = await processLogFile(
              deps,
              { bucket: notification.bucket, key },
              deadline === undefined ? {} : { deadline },
            );
          } catch (err) {
            // Infrastructure trouble (DynamoDB, SNS, time): record it, go on, fail at the end.
            firstError ??= err;
            logger.error('Log file could not be indexed', err as Error);
            result = failedFileResult({ bucket: notification.bucket, key }, err);
          }
          report(result);
          summary.files.push(result);
          if (result.status === 'failed' && notification.sqsMessageId !== undefined) {
            failedMessages.add(notification.sqsMessageId);
          }
          logger.removeKeys(['s3Bucket', 's3Key', 'messageId', 'deliveryPath']);
        }
      }
    } finally {
      metrics.publishStoredMetrics();
    }
    const failed = summary.files.filter((file) => file.status === 'failed').length;
    logger.info('Notification processed', {
      files: summary.files.length,
      failed,
      skippedMessages: summary.skippedMessages.length,
    });
    // From a queue, only the messages with a failed file are kept (and retried, then dead-lettered
    // by the queue's redrive policy); the others are deleted.
    if (isSqsEvent(event)) {
      return { batchItemFailures: [...failedMessages].map((itemIdentifier) => ({ itemIdentifier })) };
    }
    if (failed > 0)
      throw new IndexingFailedError(summary, firstError === undefined ? undefined : { cause: firstError });
    return summary;
  }) as IndexerHandler;
}

function report(result: FileResult): void {
  const metric = { indexed: METRIC.filesProcessed, skipped: METRIC.filesSkipped, failed: METRIC.filesFailed }[
    result.status
  ];
  count(metric);
  if (result.reason !== undefined && REFUSAL_REASONS.has(result.reason)) count(METRIC.filesRefused);
  count(METRIC.recordsScanned, result.recordsScanned);
  count(METRIC.alertsPublished, result.alertsPublished);
  count(METRIC.writeRetries, result.writeRetries ?? 0);
  for (const [source, n] of Object.entries(result.eventsIndexed)) countEventsIndexed(source, n);
  const details = {
    status: result.status,
    reason: result.reason,
    kind: result.kind,
    recordsScanned: result.recordsScanned,
    decompressedBytes: result.decompressedBytes,
    eventsIndexed: result.eventsIndexed,
    writeRetries: result.writeRetries,
    alertsPublished: result.alertsPublished,
  };
  if (result.status === 'failed') logger.error('Log file failed', details);
  else logger.info(result.status === 'skipped' ? 'Log file skipped' : 'Log file indexed', details);
}
