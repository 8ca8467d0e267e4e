/**
 * The events S3 sends when an object is created, as the S3 User Guide documents them: an S3 event
 * notification ("Event message structure", version 2.1, the key URL-encoded) and the EventBridge
 * `Object Created` event ("Amazon S3 event notifications with EventBridge": the key as it is).
 * Local mode emits them for objects put in its bucket (fauxqs has no bucket notifications), and the
 * tests deliver them on every path.
 */
import type { EventBridgeEvent, S3Event } from 'aws-lambda';

/** S3's URL encoding of a key in an event notification: form encoding, a space as `+`. */
export function s3EventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

export function s3ObjectCreatedEvent(
  bucket: string,
  objects: readonly { key: string; size?: number }[],
  region = 'us-east-1',
): S3Event {
  const eventTime = new Date().toISOString();
  return {
    Records: objects.map(({ key, size }) => ({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: region,
      eventTime,
      eventName: 'ObjectCreated:Put',
      userIdentity: { principalId: 'AWS:AROAEXAMPLE:cloudtrail' },
      requestParameters: { sourceIPAddress: '127.0.0.1' },
      responseElements: { 'x-amz-request-id': 'EXAMPLE', 'x-amz-id-2': 'EXAMPLE' },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'trail-index',
        bucket: { name: bucket, ownerIdentity: { principalId: 'EXAMPLE' }, arn: `arn:aws:s3:::${bucket}` },
        object: { key: s3EventKey(key), size: size ?? 0, eTag: '', sequencer: '0' },
      },
    })),
  };
}

export interface ObjectCreatedDetail {
  readonly version: '0';
  readonly bucket: { readonly name: string };
  readonly object: {
    readonly key: string;
    readonly size: number;
    readonly etag: string;
    readonly sequencer: string;
  };
  readonly reason: 'PutObject';
  readonly 'request-id': string;
  readonly requester: string;
  readonly 'source-ip-address': string;
}

export function eventBridgeObjectCreated(
  bucket: string,
  key: string,
  options: { account?: string; region?: string; size?: number } = {},
): EventBridgeEvent<'Object Created', ObjectCreatedDetail> {
  const region = options.region ?? 'us-east-1';
  return {
    version: '0',
    id: `object-created-${Date.now()}-${Math.random().toString(16).slice(2)}`,
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: options.account ?? '111122223333',
    time: new Date().toISOString(),
    region,
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object: { key, size: options.size ?? 0, etag: '', sequencer: '0' },
      reason: 'PutObject',
      'request-id': 'EXAMPLE',
      requester: 'cloudtrail.amazonaws.com',
      'source-ip-address': '127.0.0.1',
    },
  };
}
