/** Error classes of the indexer. Each sets `name` and carries `cause`, so logs say what failed. */
import type { NotificationSummary } from './types';

/** A required environment variable is missing or malformed: fails the cold start. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Why a log file cannot be indexed, as logged and reported. Retrying does not help these. */
export type BrokenFileReason =
  | 'not-a-log-file'
  | 'corrupt-gzip'
  | 'truncated-gzip'
  | 'trailing-data'
  | 'invalid-json'
  | 'missing-records'
  | 'record-too-large'
  | 'untrusted-bucket'
  | 'outside-prefix'
  | 'no-such-key'
  | 'access-denied'
  /** In S3 Glacier Flexible Retrieval or Deep Archive, not restored: GetObject's InvalidObjectState. */
  | 'archived';

/** The log file cannot be read (it is gone, or not readable by the indexer). */
export class UnreadableFileError extends Error {
  constructor(
    readonly reason: BrokenFileReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UnreadableFileError';
  }
}

/** BatchWriteItem left items unprocessed until the invocation's time ran short. */
export class WriteDeadlineError extends Error {
  constructor(
    readonly unprocessed: number,
    options?: { cause?: unknown },
  ) {
    super(`${unprocessed} items still unprocessed when the time ran short`, options);
    this.name = 'WriteDeadlineError';
  }
}

/** An alert could not be published (its claim was released, so a retry publishes it). */
export class AlertPublishError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AlertPublishError';
  }
}

/**
 * Some file of the notification failed. Thrown after every other key was processed, so that
 * Lambda retries the event and finally hands it to the failure destination.
 */
export class IndexingFailedError extends Error {
  constructor(
    readonly summary: NotificationSummary,
    options?: { cause?: unknown },
  ) {
    const failed = summary.files.filter((file) => file.status === 'failed');
    super(
      `${failed.length} of ${summary.files.length} log files failed: ${failed
        .slice(0, 5)
        .map((file) => `${file.key} (${file.reason ?? 'unknown'})`)
        .join(', ')}${failed.length > 5 ? ', ...' : ''}`,
      options,
    );
    this.name = 'IndexingFailedError';
  }
}
