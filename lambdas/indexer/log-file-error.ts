/** What the log scanner reports: broken files, statistics and the records it selects. */

export type LogFileErrorReason =
  | 'not-a-log-file' // neither gzip (magic 1f 8b) nor JSON text
  | 'corrupt-gzip' // inflate error / bad CRC
  | 'truncated-gzip' // stream ended before the gzip member ended
  | 'trailing-data' // bytes after the end of the first gzip member (even another gzip member)
  | 'invalid-json'
  | 'missing-records'; // top-level value is not an object with a "Records" array

/** A log file that cannot be read as CloudTrail writes them. Retrying will not help. */
export class LogFileError extends Error {
  override readonly name = 'LogFileError';
  constructor(
    readonly reason: LogFileErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ScanStats {
  compressedBytes: number;
  decompressedBytes: number;
  recordsScanned: number;
  recordsSelected: number;
  /** Records skipped unread for their size or depth (see MAX_RECORD_BYTES); absent when none. */
  recordsTooLarge?: number;
  /** Of those, the ones whose eventSource may be an indexed source: they could not be indexed. */
  candidatesTooLarge?: number;
  /** The size of the largest such record, in bytes. */
  largestRecordBytes?: number;
  /**
   * Hex SHA-256 of the decompressed bytes of a gzip file that ended cleanly (one member, CRC and
   * size checked, nothing after it): what a CloudTrail digest lists for the file.
   */
  sha256?: string;
}

export interface SelectedRecord {
  readonly record: Record<string, unknown>;
  /** The exact JSON text of the record, as it appears in the log file. */
  readonly raw: string;
}
