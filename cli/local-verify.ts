/**
 * Local mode's digest verification: after the log files are indexed, the verifier's sweep runs on
 * the local bucket and index exactly as the hourly Lambda runs on AWS, with the public keys from a
 * file (`public-keys.json` beside the logs, as `aws cloudtrail list-public-keys` prints them), since
 * local mode reaches no AWS API.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { createAlertPublisher } from '../lambdas/indexer/alert-publisher';
import { s3DigestStore, s3LogFileHasher } from '../lambdas/verifier/aws-adapters';
import { createIntegrityStore, type LogFileIntegrity } from '../lambdas/verifier/integrity-store';
import { sweep, type SweepReport } from '../lambdas/verifier/sweep';
import type { Pipeline } from './emulators';
import { publicKeyFile } from './folder-store';

export interface LocalIntegrity {
  /** Why nothing was verified (no digests, or no public keys); undefined when the sweep ran. */
  readonly skipped?: string;
  readonly report?: SweepReport;
  /** The integrity state of each indexed log file after the sweep. */
  readonly files: Readonly<Record<LogFileIntegrity | 'unknown', number>>;
}

export async function verifyLocal(options: {
  readonly pipeline: Pipeline;
  readonly logsDir: string;
  readonly publicKeys?: string;
  readonly prefix: string;
  readonly digests: number;
  /** The log files just indexed: their states are reported. */
  readonly indexed: readonly string[];
}): Promise<LocalIntegrity> {
  const { pipeline } = options;
  const dynamodb = new DynamoDBClient({});
  const state = createIntegrityStore({ dynamodb, tableName: pipeline.tableName });
  const files = { pending: 0, verified: 0, invalid: 0, missing: 0, unknown: 0 };
  const count = async () => {
    for (const key of options.indexed) {
      const file = await state.getLogFile(pipeline.bucket, key);
      files[file?.integrity ?? 'unknown'] += 1;
    }
  };
  const keysPath = options.publicKeys ?? join(options.logsDir, 'public-keys.json');
  try {
    if (options.digests === 0) {
      await count();
      return { skipped: 'no digest files among the logs', files };
    }
    if (!existsSync(keysPath)) {
      await count();
      return {
        skipped: `no public keys: put CloudTrail's (aws cloudtrail list-public-keys) in ${keysPath}, or give --public-keys`,
        files,
      };
    }
    const keys = await publicKeyFile(keysPath);
    const s3 = new S3Client({});
    const sns = new SNSClient({});
    try {
      const report = await sweep(
        {
          store: s3DigestStore(s3),
          hasher: s3LogFileHasher(s3),
          keys: () => keys,
          state,
          alerts: createAlertPublisher({
            dynamodb,
            sns,
            tableName: pipeline.tableName,
            topicArn: pipeline.alertTopicArn,
          }),
        },
        {
          bucket: pipeline.bucket,
          prefix: options.prefix.replace(/\/+$/, ''),
          // Every digest in the folder, however old.
          firstRunStart: new Date(0),
          now: new Date(),
        },
      );
      await count();
      return { report, files };
    } finally {
      s3.destroy();
      sns.destroy();
    }
  } finally {
    dynamodb.destroy();
  }
}
