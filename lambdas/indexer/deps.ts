/**
 * The indexer's production dependencies. Clients are created once per container, on first use,
 * and configured only by the SDK's standard settings (region, credentials, `AWS_ENDPOINT_URL_*`),
 * so the same code runs in Lambda, in local mode and in tests.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { createAlertPublisher } from './alert-publisher';
import { IndexerConfig, readConfig, readIndexedSources } from './config';
import { ConfigError } from './errors';
import { createIndexWriter } from './index-writer';
import type { IndexerDeps } from './process-log-file';
import { createRateCounter } from './rate-counter';
import { createS3LogReader } from './s3-log-reader';
import { readerClientConfig } from '../shared/reader-credentials';
import { createIntegrityStore } from '../verifier/integrity-store';

let clients: { s3: S3Client; sns: SNSClient; dynamodb: DynamoDBClient } | undefined;

function sharedClients() {
  clients ??= {
    s3: new S3Client(readerClientConfig('trail-index-indexer')),
    sns: new SNSClient({}),
    dynamodb: new DynamoDBClient({}),
  };
  return clients;
}

/**
 * Dependencies from the environment ({@link readConfig} throws when it is incomplete). `overrides`
 * lets the CLI index into a table it names without setting environment variables.
 */
export function defaultDeps(overrides: Partial<IndexerConfig> = {}): IndexerDeps {
  const { tableName, alertTopicArn, logSource } = overrides;
  // The CLI names the table, topic and trail bucket itself; the Lambda gets them from its environment.
  let config: IndexerConfig;
  if (tableName !== undefined && alertTopicArn !== undefined) {
    if (logSource === undefined)
      throw new ConfigError("the trail's bucket is required: it is the only one read");
    config = { indexedSources: readIndexedSources(), ...overrides, tableName, alertTopicArn, logSource };
  } else {
    config = { ...readConfig(), ...overrides };
  }
  const { s3, sns, dynamodb } = sharedClients();
  return {
    config,
    reader: createS3LogReader(s3),
    writer: createIndexWriter({ client: dynamodb, tableName: config.tableName, concurrency: 4 }),
    integrity: createIntegrityStore({ dynamodb, tableName: config.tableName }),
    rates: createRateCounter({ dynamodb, tableName: config.tableName }),
    alerts: createAlertPublisher({
      dynamodb,
      sns,
      tableName: config.tableName,
      topicArn: config.alertTopicArn,
    }),
  };
}
