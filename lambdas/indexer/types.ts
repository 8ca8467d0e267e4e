/** Results the indexer reports per log file and per notification (also used by the CLI). */
import type { AlertMessage } from './alert-rules';

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
