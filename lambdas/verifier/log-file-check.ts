/**
 * A listed log file's verdict, from its SHA-256 over its decompressed bytes, worded as
 * `aws cloudtrail validate-logs` words it (with the 2026 fix that refuses data after the first
 * gzip member).
 */
import type { DigestLogFile } from '../shared/digest';
import { logFileHashMatches } from '../shared/digest';
import type { LogFileHash } from '../indexer/log-file-hash';

export type LogFileVerdict = 'valid' | 'hash-mismatch' | 'missing' | 'invalid-format' | 'trailing-data';

/** The reference's text after `INVALID: `. */
export const LOG_FILE_VERDICT_TEXT: Readonly<Record<Exclude<LogFileVerdict, 'valid'>, string>> = {
  'hash-mismatch': "hash value doesn't match",
  missing: 'not found',
  'invalid-format': 'invalid format',
  'trailing-data': 'unexpected data after end of compressed stream',
};

/** Hashes log files where they are kept; undefined when there is no such file. */
export interface LogFileHasher {
  hash(bucket: string, key: string): Promise<LogFileHash | undefined>;
}

/**
 * The verdict for a listed file given its hash (undefined: missing). A gzip stream that ends early
 * hashes what it holds in the reference, which then does not match: so here too.
 */
export function logFileVerdict(listed: DigestLogFile, hash: LogFileHash | undefined): LogFileVerdict {
  if (hash === undefined) return 'missing';
  if (!hash.ok) {
    if (hash.reason === 'trailing-data') return 'trailing-data';
    if (hash.reason === 'truncated-gzip') return 'hash-mismatch';
    return 'invalid-format';
  }
  return logFileHashMatches(listed, hash.sha256) ? 'valid' : 'hash-mismatch';
}

/** The reference's line for a log file: `Log file\ts3://…\tvalid` or `…\tINVALID: …`. */
export function logFileLine(listed: DigestLogFile, verdict: LogFileVerdict): string {
  const where = `Log file\ts3://${listed.s3Bucket}/${listed.s3Object}`;
  return verdict === 'valid' ? `${where}\tvalid` : `${where}\tINVALID: ${LOG_FILE_VERDICT_TEXT[verdict]}`;
}
