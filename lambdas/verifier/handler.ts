/**
 * The verifier Lambda: run hourly by an EventBridge schedule, it checks the digests delivered since
 * its last run (see sweep.ts). Its configuration comes from the environment the construct sets;
 * its clients are configured by the SDK's standard settings only.
 */
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { ENV, METRIC } from '../shared/config';
import { createAlertPublisher } from '../indexer/alert-publisher';
import { ConfigError } from '../indexer/errors';
import { normaliseKeyPrefix } from '../indexer/log-source';
import { count, logger, metrics } from '../indexer/observability';
import { cloudTrailKeySource, s3DigestStore, s3LogFileHasher } from './aws-adapters';
import { createIntegrityStore } from './integrity-store';
import { readerClientConfig } from '../shared/reader-credentials';
import { sweep, type SweepReport } from './sweep';

/** Time kept back from the invocation's end to save the chains' positions and publish metrics. */
const DEADLINE_MARGIN_MS = 60_000;
/** Where chains never seen before start, by default: a day before the first run. */
const DEFAULT_FIRST_RUN_HOURS = 24;

const s3 = new S3Client(readerClientConfig('trail-index-verifier'));
const dynamodb = new DynamoDBClient({});
const sns = new SNSClient({});
const cloudtrail = new Map<string, CloudTrailClient>();

function required(name: string): string {
  const value = process.env[name]?.trim();
  if (value === undefined || value === '') throw new ConfigError(`environment variable ${name} is required`);
  return value;
}

export async function handler(_event: unknown, context?: Context): Promise<SweepReport> {
  if (context !== undefined) logger.addContext(context);
  const tableName = required(ENV.tableName);
  const lookback = Number(process.env[ENV.verifyFirstRunHours] ?? DEFAULT_FIRST_RUN_HOURS);
  if (!Number.isFinite(lookback) || lookback < 0) {
    throw new ConfigError(`${ENV.verifyFirstRunHours} must be a number of hours`);
  }
  const now = new Date();
  try {
    const report = await sweep(
      {
        store: s3DigestStore(s3),
        hasher: s3LogFileHasher(s3),
        keys: (region) => {
          let client = cloudtrail.get(region);
          if (client === undefined) {
            client = new CloudTrailClient({ region });
            cloudtrail.set(region, client);
          }
          return cloudTrailKeySource(client);
        },
        state: createIntegrityStore({ dynamodb, tableName }),
        alerts: createAlertPublisher({ dynamodb, sns, tableName, topicArn: required(ENV.alertTopicArn) }),
      },
      {
        bucket: required(ENV.logBucket),
        prefix: normaliseKeyPrefix(process.env[ENV.logKeyPrefix]).replace(/\/$/, ''),
        firstRunStart: new Date(now.getTime() - lookback * 3_600_000),
        now,
        ...(context === undefined
          ? {}
          : { deadline: Date.now() + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS }),
      },
    );
    count(METRIC.digestsVerified, report.digestsVerified);
    count(METRIC.digestsInvalid, report.digestsInvalid);
    count(METRIC.digestsMissing, report.digestsMissing);
    count(METRIC.logFilesVerified, report.logFilesVerified);
    count(METRIC.logFilesInvalid, report.logFilesInvalid);
    count(METRIC.logFilesMissing, report.logFilesMissing);
    count(METRIC.digestChainGaps, report.chainGaps);
    count(METRIC.digestsOverdue, report.digestsOverdue);
    const { findings, ...counts } = report;
    if (findings.length > 0)
      logger.error('Integrity findings', { findings: findings.slice(0, 100), ...counts });
    else logger.info('Digests verified', counts);
    return report;
  } finally {
    // An hour with no new digest is normal: nothing to publish is no warning.
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
}
