/**
 * The original CloudTrail record of a base-table item, for `query --full`, read with the indexer's
 * own item mapping. A record too large for its item is read back from its log file.
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { scanLogFile } from '../lambdas/indexer/log-scanner';
import { RecordRef, recordFromItem } from '../lambdas/shared/event-item';
import { errorText } from './deployment';

/**
 * The record of an item. For a pointer, the log file is streamed from S3 (when `s3` is given) and
 * scanned for the event; failing that, the pointer itself is returned, with the reason.
 */
export async function decodeRecord(item: Readonly<Record<string, unknown>>, s3?: S3Client): Promise<unknown> {
  const decoded = recordFromItem(item);
  if (decoded.storage !== 'pointer') return decoded.record;
  if (s3 === undefined) {
    return {
      recordRef: decoded.ref,
      recordError: 'the record is in its log file, which local mode does not keep',
    };
  }
  const eventSource = typeof item.eventSource === 'string' ? item.eventSource : '';
  try {
    return (
      (await fetchRecord(s3, decoded.ref, eventSource)) ?? {
        recordRef: decoded.ref,
        recordError: `event ${decoded.ref.eventID} is not in s3://${decoded.ref.bucket}/${decoded.ref.key}`,
      }
    );
  } catch (err) {
    return { recordRef: decoded.ref, recordError: errorText(err) };
  }
}

/** Streams the log file and returns the record with the ref's eventID, if it is there. */
export async function fetchRecord(
  s3: S3Client,
  ref: RecordRef,
  eventSource: string,
): Promise<Record<string, unknown> | undefined> {
  const { Body } = await s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
  if (Body === undefined) return undefined;
  for await (const { record } of scanLogFile(Body as AsyncIterable<Uint8Array>, new Set([eventSource]))) {
    if (record.eventID === ref.eventID) return record;
  }
  return undefined;
}
