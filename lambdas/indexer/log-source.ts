/**
 * Which log files the indexer may read: only the trail's own bucket, and only keys under the
 * trail's prefix. A notification can be published, or a message planted in a dead-letter queue, by
 * anyone allowed to; one that names another bucket would otherwise make the function (or an
 * operator running `redrive` with their own credentials) read that bucket's files and raise forged
 * alerts from them. Such a file is refused before anything is read.
 */

/** The trail's bucket and key prefix (the part before `AWSLogs/`; may be empty). */
export interface LogSource {
  readonly bucket: string;
  readonly prefix: string;
}

export type RefusalReason = 'untrusted-bucket' | 'outside-prefix';

export const REFUSAL_REASONS: ReadonlySet<string> = new Set<RefusalReason>([
  'untrusted-bucket',
  'outside-prefix',
]);

/** `audit`, `audit/` and `/audit/` all mean the prefix `audit/`; empty stays empty. */
export function normaliseKeyPrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').trim().replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '' : `${trimmed}/`;
}

/** Why `file` may not be read for `source`, or undefined when it may. */
export function refusalOf(
  source: LogSource,
  file: { readonly bucket: string; readonly key: string },
): { reason: RefusalReason; message: string } | undefined {
  if (file.bucket !== source.bucket) {
    return {
      reason: 'untrusted-bucket',
      message: `bucket ${JSON.stringify(file.bucket)} is not the trail's bucket ${JSON.stringify(source.bucket)}`,
    };
  }
  const root = `${normaliseKeyPrefix(source.prefix)}AWSLogs/`;
  if (!file.key.startsWith(root)) {
    return { reason: 'outside-prefix', message: `key is not under ${JSON.stringify(root)}` };
  }
  return undefined;
}
