/**
 * What arrives on the delivery topic, narrowed from `unknown`: CloudTrail's log-file notices, and
 * the other messages a CloudTrail topic carries (its validation message, AWS Config notices on a
 * shared topic, anything else), which are recognised and skipped, never treated as errors.
 */
import type { KeyKind } from './types';

export const VALIDATION_MESSAGE = 'CloudTrail validation message.';

export type Notification =
  | {
      readonly kind: 'log-files';
      readonly messageId: string;
      readonly bucket: string;
      readonly keys: readonly string[];
    }
  | { readonly kind: 'skip'; readonly messageId: string; readonly reason: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The records of an SNS event, or none when it is not one. */
export function snsRecords(event: unknown): unknown[] {
  return isObject(event) && Array.isArray(event.Records) ? event.Records : [];
}

/** Reads one SNS event record. Never throws: what it cannot use is a `skip` with a reason. */
export function parseNotification(record: unknown): Notification {
  const sns = isObject(record) && isObject(record.Sns) ? record.Sns : undefined;
  const messageId = typeof sns?.MessageId === 'string' ? sns.MessageId : 'unknown';
  const skip = (reason: string): Notification => ({ kind: 'skip', messageId, reason });
  if (sns === undefined || typeof sns.Message !== 'string') return skip('not-an-sns-notification');
  const message = sns.Message;
  // Plain text, published once when a topic is configured on a trail.
  if (message.trim() === VALIDATION_MESSAGE) return skip('cloudtrail-validation-message');
  let body: unknown;
  try {
    body = JSON.parse(message) as unknown;
  } catch {
    return skip('not-json');
  }
  if (!isObject(body)) return skip('not-a-json-object');
  // AWS Config, on a topic it shares with CloudTrail, sends a single key as a string.
  if (typeof body.s3ObjectKey === 'string')
    return skip('not-cloudtrail: s3ObjectKey is a string (AWS Config?)');
  if (typeof body.s3Bucket !== 'string' || body.s3Bucket === '') return skip('missing-s3Bucket');
  if (!Array.isArray(body.s3ObjectKey)) return skip('missing-s3ObjectKey');
  const keys = body.s3ObjectKey.filter((key): key is string => typeof key === 'string' && key !== '');
  if (keys.length !== body.s3ObjectKey.length) return skip('s3ObjectKey-not-strings');
  if (keys.length === 0) return skip('no-keys');
  return { kind: 'log-files', messageId, bucket: body.s3Bucket, keys };
}

// `[prefix/]AWSLogs/[o-id/]<account>/<CloudTrail|CloudTrail-Digest|CloudTrail-Insight>/<region>/YYYY/MM/DD/<name>`
const LAYOUT = String.raw`^(?:.+/)?AWSLogs/(?:o-[a-z0-9]{10,32}/)?\d{12}/`;
const DATE = String.raw`[\w-]+/\d{4}/\d{2}/\d{2}/`;
/** The log-file name AWS's CloudTrail Processing Library accepts, within the documented layout. */
const LOG_FILE = new RegExp(
  `${LAYOUT}CloudTrail/${DATE}\\d{12}_CloudTrail_[\\w-]+_\\d{8}T\\d{4}Z_\\w+\\.json(?:\\.gz)?$`,
);
const DIGEST_FILE = new RegExp(
  `${LAYOUT}CloudTrail-Digest/${DATE}\\d{12}_CloudTrail-Digest_[^/]+\\.json(?:\\.gz)?$`,
);
const INSIGHT_FILE = new RegExp(
  `${LAYOUT}CloudTrail-Insight/${DATE}\\d{12}_CloudTrail-Insight_[^/]+\\.json(?:\\.gz)?$`,
);

/**
 * Classifies an object key by path. Only log files are indexed; digest files have no `Records`
 * (they broke Filebeat and Wazuh) and Insights files hold no API calls.
 */
export function classifyKey(key: string): KeyKind {
  if (LOG_FILE.test(key)) return 'log';
  if (DIGEST_FILE.test(key)) return 'digest';
  if (INSIGHT_FILE.test(key)) return 'insight';
  return 'other';
}

/** Convenience for callers that list keys (backfill). */
export function isLogFileKey(key: string): boolean {
  return classifyKey(key) === 'log';
}
