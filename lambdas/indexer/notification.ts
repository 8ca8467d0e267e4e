/**
 * What arrives at the indexer, narrowed from `unknown`, on any of the paths that announce a new log
 * file: CloudTrail's own notification on its SNS topic; S3 event notifications (`ObjectCreated:*`)
 * delivered directly, through SNS or through SQS; EventBridge's `Object Created` events from S3;
 * and any of these through an SQS queue (raw, or in an SNS envelope). The other messages such
 * paths carry (CloudTrail's validation message, AWS Config notices on a shared topic, S3's test
 * event, deletions) are recognised and skipped with a reason, never treated as errors and never
 * dropped without a word.
 */
import type { KeyKind } from './types';

export const VALIDATION_MESSAGE = 'CloudTrail validation message.';

/** How the files were announced, for logs and metrics. */
export type DeliveryPath =
  | 'cloudtrail-sns'
  | 's3-event'
  | 'eventbridge'
  | `${'cloudtrail' | 's3-event' | 'eventbridge'}${'-sns' | '-sqs' | '-sns-sqs'}`;

export type Notification =
  | {
      readonly kind: 'log-files';
      readonly messageId: string;
      readonly bucket: string;
      readonly keys: readonly string[];
      readonly path: DeliveryPath;
      /** The SQS message it came in, for a partial batch failure. */
      readonly sqsMessageId?: string;
    }
  | {
      readonly kind: 'skip';
      readonly messageId: string;
      readonly reason: string;
      readonly sqsMessageId?: string;
    };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The records of an SNS, SQS or S3 event, or none when it has none. */
export function snsRecords(event: unknown): unknown[] {
  return isObject(event) && Array.isArray(event.Records) ? event.Records : [];
}

/** Whether Lambda delivered the event from an SQS queue (its records are SQS messages). */
export function isSqsEvent(event: unknown): boolean {
  const first = snsRecords(event)[0];
  return isObject(first) && first.eventSource === 'aws:sqs';
}

/**
 * Every notification in a Lambda event, whatever the path. Never throws: what it cannot use is a
 * `skip` with a reason.
 */
export function notificationsOf(event: unknown): Notification[] {
  if (isObject(event) && typeof event['detail-type'] === 'string') {
    return [fromEventBridge(event, typeof event.id === 'string' ? event.id : 'unknown', '')];
  }
  const records = snsRecords(event);
  if (records.length === 0)
    return [{ kind: 'skip', messageId: 'unknown', reason: 'not-a-notification-event' }];
  // S3's own event: its records together, one notification per bucket.
  if (records.every((record) => isObject(record) && record.eventSource === 'aws:s3')) {
    return fromS3Records(records, 'unknown', '');
  }
  const out: Notification[] = [];
  for (const record of records) {
    if (isObject(record) && record.eventSource === 'aws:sqs') {
      const sqsMessageId = typeof record.messageId === 'string' ? record.messageId : 'unknown';
      const body = typeof record.body === 'string' ? record.body : undefined;
      const found =
        body === undefined
          ? [{ kind: 'skip' as const, messageId: sqsMessageId, reason: 'sqs-message-without-body' }]
          : fromMessage(body, sqsMessageId, 'sqs');
      out.push(...found.map((n) => ({ ...n, sqsMessageId })));
    } else if (isObject(record) && record.eventSource === 'aws:s3') {
      out.push(...fromS3Records([record], 'unknown', ''));
    } else {
      out.push(...parseSnsRecord(record));
    }
  }
  return out;
}

/** Reads one SNS event record. Never throws: what it cannot use is a `skip` with a reason. */
export function parseNotification(record: unknown): Notification {
  return parseSnsRecord(record)[0]!;
}

function parseSnsRecord(record: unknown): Notification[] {
  const sns = isObject(record) && isObject(record.Sns) ? record.Sns : undefined;
  const messageId = typeof sns?.MessageId === 'string' ? sns.MessageId : 'unknown';
  if (sns === undefined || typeof sns.Message !== 'string') {
    return [{ kind: 'skip', messageId, reason: 'not-an-sns-notification' }];
  }
  return fromMessage(sns.Message, messageId, 'sns');
}

type Via = '' | 'sns' | 'sqs' | 'sns-sqs';

function pathOf(origin: 'cloudtrail' | 's3-event' | 'eventbridge', via: Via): DeliveryPath {
  if (origin === 'cloudtrail') return via === '' || via === 'sns' ? 'cloudtrail-sns' : `cloudtrail-${via}`;
  return via === '' ? origin : `${origin}-${via}`;
}

/** A message body: CloudTrail's notice, an S3 event, an EventBridge event, or an SNS envelope of one. */
function fromMessage(message: string, messageId: string, via: 'sns' | 'sqs' | 'sns-sqs'): Notification[] {
  const skip = (reason: string): Notification[] => [{ kind: 'skip', messageId, reason }];
  // Plain text, published once when a topic is configured on a trail.
  if (message.trim() === VALIDATION_MESSAGE) return skip('cloudtrail-validation-message');
  let body: unknown;
  try {
    body = JSON.parse(message) as unknown;
  } catch {
    return skip('not-json');
  }
  if (!isObject(body)) return skip('not-a-json-object');
  // An SNS envelope inside an SQS message (a queue subscribed to a topic without raw delivery).
  if (via === 'sqs' && body.Type === 'Notification' && typeof body.Message === 'string') {
    return fromMessage(
      body.Message,
      typeof body.MessageId === 'string' ? body.MessageId : messageId,
      'sns-sqs',
    );
  }
  if (Array.isArray(body.Records)) return fromS3Records(body.Records, messageId, via);
  if (body.Event === 's3:TestEvent') return skip('s3-test-event');
  if (typeof body['detail-type'] === 'string') return [fromEventBridge(body, messageId, via)];
  // AWS Config, on a topic it shares with CloudTrail, sends a single key as a string.
  if (typeof body.s3ObjectKey === 'string')
    return skip('not-cloudtrail: s3ObjectKey is a string (AWS Config?)');
  if (typeof body.s3Bucket !== 'string' || body.s3Bucket === '') return skip('missing-s3Bucket');
  if (!Array.isArray(body.s3ObjectKey)) return skip('missing-s3ObjectKey');
  const keys = body.s3ObjectKey.filter((key): key is string => typeof key === 'string' && key !== '');
  if (keys.length !== body.s3ObjectKey.length) return skip('s3ObjectKey-not-strings');
  if (keys.length === 0) return skip('no-keys');
  return [{ kind: 'log-files', messageId, bucket: body.s3Bucket, keys, path: pathOf('cloudtrail', via) }];
}

/**
 * S3 event notification records: one notification per bucket, of the objects created. S3 writes
 * the key URL-encoded, a space as `+` ("Event message structure", S3 User Guide).
 */
function fromS3Records(records: unknown[], messageId: string, via: Via): Notification[] {
  const byBucket = new Map<string, string[]>();
  const skipped: Notification[] = [];
  for (const record of records) {
    const s3 = isObject(record) && isObject(record.s3) ? record.s3 : undefined;
    const eventName = isObject(record) && typeof record.eventName === 'string' ? record.eventName : '';
    const bucket = isObject(s3?.bucket) && typeof s3.bucket.name === 'string' ? s3.bucket.name : '';
    const rawKey = isObject(s3?.object) && typeof s3.object.key === 'string' ? s3.object.key : '';
    if (s3 === undefined || bucket === '' || rawKey === '') {
      skipped.push({ kind: 'skip', messageId, reason: 'not-an-s3-event-record' });
      continue;
    }
    if (!eventName.startsWith('ObjectCreated:')) {
      skipped.push({ kind: 'skip', messageId, reason: `not-object-created: ${eventName.slice(0, 64)}` });
      continue;
    }
    let key: string;
    try {
      key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
    } catch {
      skipped.push({ kind: 'skip', messageId, reason: 'undecodable-s3-key' });
      continue;
    }
    byBucket.set(bucket, [...(byBucket.get(bucket) ?? []), key]);
  }
  const found: Notification[] = [...byBucket].map(([bucket, keys]) => ({
    kind: 'log-files',
    messageId,
    bucket,
    keys,
    path: pathOf('s3-event', via),
  }));
  return [...found, ...skipped];
}

/** EventBridge's S3 `Object Created` event (its key is not URL-encoded). */
function fromEventBridge(event: Record<string, unknown>, messageId: string, via: Via): Notification {
  const skip = (reason: string): Notification => ({ kind: 'skip', messageId, reason });
  if (event.source !== 'aws.s3' || event['detail-type'] !== 'Object Created') {
    return skip(`not-s3-object-created: ${String(event['detail-type']).slice(0, 64)}`);
  }
  const detail = isObject(event.detail) ? event.detail : {};
  const bucket = isObject(detail.bucket) && typeof detail.bucket.name === 'string' ? detail.bucket.name : '';
  const key = isObject(detail.object) && typeof detail.object.key === 'string' ? detail.object.key : '';
  if (bucket === '' || key === '') return skip('eventbridge-event-without-bucket-or-key');
  return { kind: 'log-files', messageId, bucket, keys: [key], path: pathOf('eventbridge', via) };
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
