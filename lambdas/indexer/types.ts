/**
 * Results the indexer reports per log file and per notification (also used by the CLI). No runtime
 * imports here: the CLI loads this at start-up, before the Lambda's Logger may be configured.
 */
import type { AlertMessage } from '../shared/alert-message';

export type KeyKind = 'log' | 'digest' | 'insight' | 'other';

export interface FileResult {
  readonly bucket: string;
  readonly key: string;
  readonly kind: KeyKind;
  readonly status: 'indexed' | 'skipped' | 'failed';
  /** Why it was skipped or failed, e.g. `digest-file`, `truncated-gzip`, `no-such-key`. */
  readonly reason?: string;
  readonly recordsScanned: number;
  /** Events written, per eventSource. */
  readonly eventsIndexed: Record<string, number>;
  /** Events written, per eventName. */
  readonly eventNames: Record<string, number>;
  readonly alertsPublished: number;
  /** Alerts the file's events matched (published now, earlier, or not at all with `alerts: false`). */
  readonly alerts: AlertMessage[];
  /** BatchWriteItem retries the file needed (throttling, unprocessed items). */
  readonly writeRetries?: number;
  /** Bytes of JSON the file inflated to. */
  readonly decompressedBytes?: number;
}

export interface SkippedMessage {
  readonly messageId: string;
  readonly reason: string;
}

export interface NotificationSummary {
  readonly files: FileResult[];
  readonly skippedMessages: SkippedMessage[];
}

/** A file whose processing threw (an outage: DynamoDB, SNS, credentials, time) as a result. */
export function failedFileResult(
  file: { readonly bucket: string; readonly key: string },
  err: unknown,
): FileResult {
  return {
    bucket: file.bucket,
    key: file.key,
    kind: 'log',
    status: 'failed',
    reason: errorReason(err),
    recordsScanned: 0,
    eventsIndexed: {},
    eventNames: {},
    alertsPublished: 0,
    alerts: [],
  };
}

function errorReason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.name !== 'Error' && !err.message.startsWith(err.name)
    ? `${err.name}: ${err.message}`
    : err.message;
}
