/** The backfill's S3 calls for archived objects, and its result files, over the SDK. */
import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  RestoreObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { ArchiveClient } from './batch';
import type { ResultStore } from './collect';

export function s3ArchiveClient(s3: S3Client): ArchiveClient {
  return {
    async head(bucket, key) {
      const out = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return {
        ...(out.StorageClass === undefined ? {} : { storageClass: out.StorageClass }),
        ...(out.Restore === undefined ? {} : { restore: out.Restore }),
      };
    },
    async restore(bucket, key, tier, days) {
      try {
        await s3.send(
          new RestoreObjectCommand({
            Bucket: bucket,
            Key: key,
            RestoreRequest: { Days: days, GlacierJobParameters: { Tier: tier } },
          }),
        );
      } catch (err) {
        // Another round, or a retry, asked already: the restore is under way.
        if (err instanceof Error && err.name === 'RestoreAlreadyInProgress') return;
        throw err;
      }
    },
  };
}

export function s3ResultStore(s3: S3Client): ResultStore {
  return {
    async read(bucket, key) {
      const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return (await Body?.transformToString('utf8')) ?? '';
    },
    async write(bucket, key, text) {
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: text, ContentType: 'application/json' }),
      );
    },
  };
}
