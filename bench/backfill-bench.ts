/**
 * The distributed backfill's child function on the emulators (fauxqs for S3, dynalite for
 * DynamoDB): keys indexed per second by one child (`processBatch`, as the batch function runs it:
 * 4 files at a time), over batches of the deployed size made of small realistic log files (the
 * realistic mix's median, 60 KB of JSON). From it, the projection for 10 million objects.
 */
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type * as Batch from '../lambdas/backfill/batch';
import type * as Adapters from '../lambdas/backfill/aws-adapters';
import type * as Deps from '../lambdas/indexer/deps';
import type * as Reader from '../lambdas/indexer/s3-log-reader';
import type * as Writer from '../lambdas/indexer/index-writer';
import type * as Publisher from '../lambdas/indexer/alert-publisher';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { provisionPipeline, startEmulators } from '../cli/emulators';
import { BACKFILL_ITEMS_PER_BATCH } from '../lib/constructs/distributed-backfill';
import { logFileText } from './cloudtrail-generator';
import { summarize, type Summary } from './stats';

export interface BackfillBenchResult {
  readonly keysPerBatch: number;
  readonly batches: number;
  readonly jsonKBPerFile: number;
  readonly keysPerSecondPerChild: Summary;
}

export async function backfillBenchmark(
  batches: number,
  log: (line: string) => void,
): Promise<BackfillBenchResult> {
  const emulators = await startEmulators({ dynamodb: 'dynalite' });
  const saved = { ...process.env };
  Object.assign(process.env, emulators.env, {
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  const pipeline = await provisionPipeline();
  const load = createRequire(__filename);
  const { processBatch } = load('../lambdas/backfill/batch') as typeof Batch;
  const { s3ArchiveClient } = load('../lambdas/backfill/aws-adapters') as typeof Adapters;
  const { defaultDeps } = load('../lambdas/indexer/deps') as typeof Deps;
  const s3 = new S3Client({});
  const dynamodb = new DynamoDBClient({});
  const sns = new SNSClient({});
  const rates: number[] = [];
  let jsonBytes = 0;
  try {
    // The configuration from defaultDeps; the clients made here, for this run's emulators (the
    // module's shared clients may point at an earlier benchmark's).
    const { config } = defaultDeps({
      tableName: pipeline.tableName,
      alertTopicArn: pipeline.alertTopicArn,
      logSource: { bucket: pipeline.bucket, prefix: '' },
    });
    const { createS3LogReader } = load('../lambdas/indexer/s3-log-reader') as typeof Reader;
    const { createIndexWriter } = load('../lambdas/indexer/index-writer') as typeof Writer;
    const { createAlertPublisher } = load('../lambdas/indexer/alert-publisher') as typeof Publisher;
    const indexer = {
      config,
      reader: createS3LogReader(s3),
      writer: createIndexWriter({ client: dynamodb, tableName: pipeline.tableName, concurrency: 4 }),
      alerts: createAlertPublisher({
        dynamodb,
        sns,
        tableName: pipeline.tableName,
        topicArn: pipeline.alertTopicArn,
      }),
    };
    for (let b = 0; b < batches; b++) {
      const items: { Key: string }[] = [];
      for (let k = 0; k < BACKFILL_ITEMS_PER_BATCH; k++) {
        const n = b * BACKFILL_ITEMS_PER_BATCH + k;
        const text = [...logFileText(9000 + n, 60_000, { selectedShare: 0.004 })].join('');
        jsonBytes += Buffer.byteLength(text);
        const minute = String(n % 60).padStart(2, '0');
        const key = `AWSLogs/111122223333/CloudTrail/us-east-1/2020/06/15/111122223333_CloudTrail_us-east-1_20200615T12${minute}Z_${String(n).padStart(16, '0')}.json.gz`;
        await s3.send(new PutObjectCommand({ Bucket: pipeline.bucket, Key: key, Body: gzipSync(text) }));
        items.push({ Key: key });
      }
      const started = performance.now();
      const result = await processBatch({ indexer, archive: s3ArchiveClient(s3) }, items, {
        bucket: pipeline.bucket,
        since: '2020-01-01T00:00:00Z',
        until: '2020-12-31T23:59:59Z',
        restoreTier: 'Bulk',
        restoreDays: 3,
      });
      const seconds = (performance.now() - started) / 1000;
      if ((result.counts.indexed ?? 0) !== items.length)
        throw new Error(`batch ${b}: ${JSON.stringify(result.counts)}`);
      rates.push(items.length / seconds);
      log(`  backfill batch ${b + 1}/${batches}: ${items.length} keys in ${seconds.toFixed(2)} s`);
    }
  } finally {
    for (const client of [s3, dynamodb, sns]) client.destroy();
    await emulators.stop();
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  }
  return {
    keysPerBatch: BACKFILL_ITEMS_PER_BATCH,
    batches,
    jsonKBPerFile: Math.round(jsonBytes / (batches * BACKFILL_ITEMS_PER_BATCH) / 1000),
    keysPerSecondPerChild: summarize(rates),
  };
}
