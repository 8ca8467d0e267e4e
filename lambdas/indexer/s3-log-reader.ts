/** Opens a log file's body as a byte stream; a missing or unreadable object is a broken file. */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { UnreadableFileError } from './errors';

export interface LogReader {
  open(bucket: string, key: string): Promise<AsyncIterable<Uint8Array>>;
}

function statusOf(err: Error): number | undefined {
  const metadata = (err as { $metadata?: { httpStatusCode?: number } }).$metadata;
  return metadata?.httpStatusCode;
}

export function createS3LogReader(s3: S3Client): LogReader {
  return {
    async open(bucket, key) {
      try {
        const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        if (Body === undefined || !(Symbol.asyncIterator in Body)) {
          throw new UnreadableFileError('not-a-log-file', `s3://${bucket}/${key} has no readable body`);
        }
        return Body as AsyncIterable<Uint8Array>;
      } catch (err) {
        if (!(err instanceof Error) || err instanceof UnreadableFileError) throw err;
        const status = statusOf(err);
        if (err.name === 'NoSuchKey' || err.name === 'NotFound' || status === 404) {
          throw new UnreadableFileError('no-such-key', `s3://${bucket}/${key} does not exist`, {
            cause: err,
          });
        }
        // An archived object (Glacier Flexible Retrieval or Deep Archive, not restored): S3 answers
        // 403 InvalidObjectState, which is not a permission problem.
        if (err.name === 'InvalidObjectState') {
          throw new UnreadableFileError(
            'archived',
            `s3://${bucket}/${key} is archived (${(err as { StorageClass?: string }).StorageClass ?? 'Glacier'}): restore it first, or run trail-index backfill --distributed`,
            { cause: err },
          );
        }
        // A bucket policy or a KMS key policy that the indexer role does not satisfy.
        if (err.name === 'AccessDenied' || err.name.endsWith('AccessDeniedException') || status === 403) {
          throw new UnreadableFileError(
            'access-denied',
            `s3://${bucket}/${key} is not readable: ${err.message}`,
            {
              cause: err,
            },
          );
        }
        throw err;
      }
    },
  };
}
