/**
 * The verifier's adapters to AWS: digests and log files in S3, public keys from CloudTrail's
 * ListPublicKeys in the digests' region. Clients come configured by the SDK's standard settings
 * only (`AWS_REGION`, `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_CLOUDTRAIL`).
 */
import { CloudTrailClient, ListPublicKeysCommand } from '@aws-sdk/client-cloudtrail';
import { GetObjectCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import { hashLogFile } from '../indexer/log-file-hash';
import type { DigestStore, PublicKeyEntry, PublicKeySource } from './digest-traverser';
import type { LogFileHasher } from './log-file-check';

function isMissing(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return err.name === 'NoSuchKey' || err.name === 'NotFound' || status === 404;
}

export function s3DigestStore(s3: S3Client): DigestStore {
  return {
    async *listKeys(bucket, prefix, startAfter) {
      for await (const page of paginateListObjectsV2(
        { client: s3 },
        { Bucket: bucket, Prefix: prefix, StartAfter: startAfter },
      )) {
        for (const object of page.Contents ?? []) if (object.Key !== undefined) yield object.Key;
      }
    },
    async *listFolders(bucket, prefix) {
      for await (const page of paginateListObjectsV2(
        { client: s3 },
        { Bucket: bucket, Prefix: prefix, Delimiter: '/' },
      )) {
        for (const folder of page.CommonPrefixes ?? []) if (folder.Prefix !== undefined) yield folder.Prefix;
      }
    },
    async getObject(bucket, key) {
      try {
        const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const body =
          response.Body === undefined ? new Uint8Array() : await response.Body.transformToByteArray();
        return { body, metadata: response.Metadata ?? {} };
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw err;
      }
    },
  };
}

export function s3LogFileHasher(s3: S3Client): LogFileHasher {
  return {
    async hash(bucket, key) {
      let body: AsyncIterable<Uint8Array>;
      try {
        const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        body = (response.Body ?? []) as AsyncIterable<Uint8Array>;
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw err;
      }
      return hashLogFile(body);
    },
  };
}

/** ListPublicKeys in one region: the keys whose validity overlaps the range. */
export function cloudTrailKeySource(cloudtrail: CloudTrailClient): PublicKeySource {
  return {
    async inRange(start, end) {
      const keys: PublicKeyEntry[] = [];
      let token: string | undefined;
      do {
        const page = await cloudtrail.send(
          new ListPublicKeysCommand({
            StartTime: start,
            EndTime: end,
            ...(token ? { NextToken: token } : {}),
          }),
        );
        for (const key of page.PublicKeyList ?? []) {
          if (key.Fingerprint !== undefined && key.Value !== undefined) {
            keys.push({ fingerprint: key.Fingerprint, value: key.Value });
          }
        }
        token = page.NextToken;
      } while (token !== undefined && token !== '');
      return keys;
    },
  };
}
