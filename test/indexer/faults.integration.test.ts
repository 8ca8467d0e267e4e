/**
 * Faults the emulators cannot produce, injected at the edge: a DynamoDB client middleware that
 * leaves part of each batch unprocessed or throttles whole requests (the only mocks in the suite),
 * and an alert topic that does not exist. The rest is the real handler against the emulators.
 */
import { BatchWriteItemCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { formatAlert } from '../../lambdas/shared/alert-message';
import { DEFAULT_ALERT_RULES } from '../../lambdas/shared/alert-rules';
import { createAlertPublisher } from '../../lambdas/indexer/alert-publisher';
import { createHandler, DEADLINE_MARGIN_MS } from '../../lambdas/indexer/create-handler';
import { defaultDeps } from '../../lambdas/indexer/deps';
import { IndexingFailedError, WriteDeadlineError } from '../../lambdas/indexer/errors';
import { createIndexWriter } from '../../lambdas/indexer/index-writer';
import { createS3LogReader } from '../../lambdas/indexer/s3-log-reader';
import { buildEventItem } from '../../lambdas/shared/event-item';
import { keys } from '../../lambdas/shared/schema';
import {
  ACCOUNT,
  cloudTrailMessage,
  glacierRecord,
  logFileBody,
  logFileKey,
  REGION,
} from '../harness/factories';
import {
  createTestPipeline,
  deliver,
  getAlertMarker,
  getEvent,
  putObject,
  queryIndex,
  receiveAlerts,
  TestPipeline,
} from '../harness/pipeline';

let p: TestPipeline;

beforeAll(async () => {
  p = await createTestPipeline();
});

afterAll(() => p.close());

interface Faults {
  /** BatchWriteItem calls that get half of their items back as UnprocessedItems. */
  unprocessed: number;
  /** Whether those calls process nothing at all. */
  starve?: boolean;
  /** BatchWriteItem calls that fail as throttled, before reaching DynamoDB. */
  throttled: number;
  calls: number;
}

/** A DynamoDB client whose BatchWriteItem calls suffer the given faults first, then behave. */
function faultyClient(faults: Faults): DynamoDBClient {
  const client = new DynamoDBClient({});
  client.middlewareStack.add(
    (next, middlewareContext) => async (args) => {
      if (middlewareContext.commandName !== 'BatchWriteItemCommand') return next(args);
      faults.calls += 1;
      if (faults.throttled > 0) {
        faults.throttled -= 1;
        throw Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
          name: 'ProvisionedThroughputExceededException',
        });
      }
      const input = args.input as BatchWriteItemCommandInput;
      const [table, requests] = Object.entries(input.RequestItems ?? {})[0] ?? [];
      if (faults.unprocessed <= 0 || table === undefined || requests === undefined || requests.length < 2) {
        return next(args);
      }
      faults.unprocessed -= 1;
      if (faults.starve === true) {
        return {
          output: { UnprocessedItems: { [table]: requests }, $metadata: {} },
          response: {},
        };
      }
      const kept = requests.slice(0, Math.ceil(requests.length / 2));
      const result = await next({ ...args, input: { ...input, RequestItems: { [table]: kept } } });
      (result.output as { UnprocessedItems?: unknown }).UnprocessedItems = {
        [table]: requests.slice(kept.length),
      };
      return result;
    },
    { step: 'initialize', name: 'injectBatchWriteFaults' },
  );
  return client;
}

function context(remainingMs: number): Context {
  const end = Date.now() + remainingMs;
  return { getRemainingTimeInMillis: () => end - Date.now() } as Context;
}

const items = (n: number, vaultName: string) =>
  Array.from({ length: n }, () =>
    buildEventItem(glacierRecord('UploadArchive', { requestParameters: { accountId: '-', vaultName } }), {
      logBucket: p.bucket,
      logKey: 'k',
      indexedAt: new Date(),
    }),
  );

test('unprocessed items and throttled requests are retried until every item is written', async () => {
  // Prepare
  const faults: Faults = { unprocessed: 6, throttled: 2, calls: 0 };
  const client = faultyClient(faults);
  const writer = createIndexWriter({ client, tableName: p.tableName, concurrency: 2, baseDelayMs: 5 });
  const batch = items(60, 'throttled');
  // Act
  const result = await writer.write(batch, { deadline: Date.now() + 30_000 });
  // Assess
  expect(result.retries).toBeGreaterThanOrEqual(8);
  expect(result.requests).toBe(faults.calls);
  expect(await queryIndex(p, 'byResource', keys.vault(ACCOUNT, REGION, 'throttled'))).toHaveLength(60);
  client.destroy();
});

test('when the time runs short the write fails, and a retry of the invocation completes the index', async () => {
  // Prepare
  const records = Array.from({ length: 30 }, () =>
    glacierRecord('UploadArchive', { requestParameters: { accountId: '-', vaultName: 'deadline' } }),
  );
  const key = logFileKey();
  await putObject(p, key, logFileBody(records));
  const event = await deliver(p, [cloudTrailMessage(p.bucket, [key])]);
  const client = faultyClient({ unprocessed: 1_000, starve: true, throttled: 0, calls: 0 });
  const starved = createHandler({
    ...defaultDeps(),
    writer: createIndexWriter({ client, tableName: p.tableName, baseDelayMs: 20 }),
  });
  // Act
  const failure = await starved(event, context(DEADLINE_MARGIN_MS + 300)).catch((err: unknown) => err);
  const retried = await createHandler(defaultDeps())(event, context(60_000));
  // Assess
  expect(failure).toBeInstanceOf(IndexingFailedError);
  expect((failure as IndexingFailedError).cause).toBeInstanceOf(WriteDeadlineError);
  expect(retried.files[0]?.status).toBe('indexed');
  expect(await queryIndex(p, 'byResource', keys.vault(ACCOUNT, REGION, 'deadline'))).toHaveLength(30);
  client.destroy();
});

test('a failed alert publish releases its claim, fails the invocation, and the retry publishes once', async () => {
  // Prepare
  const deletion = glacierRecord('DeleteVault', {
    requestParameters: { accountId: '-', vaultName: 'retry-alert' },
  });
  const key = logFileKey();
  await putObject(p, key, logFileBody([deletion]));
  const event = await deliver(p, [cloudTrailMessage(p.bucket, [key])]);
  const deps = defaultDeps();
  const dynamodb = new DynamoDBClient({});
  const sns = new SNSClient({});
  const broken = createHandler({
    ...deps,
    alerts: createAlertPublisher({
      dynamodb,
      sns,
      tableName: p.tableName,
      topicArn: `${p.alertTopicArn}-does-not-exist`,
    }),
  });
  // Act
  const failure = await broken(event).catch((err: unknown) => err);
  const markerAfterFailure = await getAlertMarker(p, String(deletion.eventID), 'glacier-delete-vault');
  const retried = await createHandler(deps)(event);
  const again = await createHandler(deps)(event);
  // Assess
  expect(failure).toBeInstanceOf(IndexingFailedError);
  expect(markerAfterFailure).toBeUndefined();
  expect([retried.files[0]?.alertsPublished, again.files[0]?.alertsPublished]).toEqual([1, 0]);
  expect((await receiveAlerts(p)).map((a) => a.subject)).toEqual([
    `CRITICAL: Glacier vault deleted: retry-alert (${ACCOUNT}, ${REGION})`,
  ]);
  dynamodb.destroy();
  sns.destroy();
});

test('an alert claimed by a running invocation is not published twice; a stale claim is taken over', async () => {
  // Prepare
  const deletion = glacierRecord('DeleteVault', {
    requestParameters: { accountId: '-', vaultName: 'claimed' },
  });
  const item = buildEventItem(deletion, { logBucket: p.bucket, logKey: 'k', indexedAt: new Date() });
  const dynamodb = new DynamoDBClient({});
  const sns = new SNSClient({});
  const publisher = (leaseMs: number) =>
    createAlertPublisher({ dynamodb, sns, tableName: p.tableName, topicArn: p.alertTopicArn, leaseMs });
  const rule = DEFAULT_ALERT_RULES[0];
  if (rule === undefined) throw new Error('no default rule');
  const alert = formatAlert(rule, item);
  await DynamoDBDocumentClient.from(dynamodb).send(
    new PutCommand({
      TableName: p.tableName,
      Item: {
        ...keys.alertMarker(item.eventID, rule.id),
        state: 'pending',
        claimToken: 'other',
        claimedAt: Date.now() - 5_000,
      },
    }),
  );
  // Act
  const whileHeld = await publisher(60_000).publish(alert);
  const afterLease = await publisher(1_000).publish(alert);
  const afterSent = await publisher(1_000).publish(alert);
  // Assess
  expect([whileHeld, afterLease, afterSent]).toEqual(['in-flight', 'published', 'already-sent']);
  expect(await receiveAlerts(p)).toHaveLength(1);
  dynamodb.destroy();
  sns.destroy();
});

test('an object the indexer may not read is a broken file named access-denied, and the others are indexed', async () => {
  // Prepare: S3 answers 403 for one key, as it does when the bucket or KMS key policy denies.
  const denied = logFileKey();
  const readable = logFileKey();
  const record = glacierRecord('ListVaults');
  await putObject(p, denied, logFileBody([glacierRecord('ListVaults')]));
  await putObject(p, readable, logFileBody([record]));
  const s3 = new S3Client({});
  s3.middlewareStack.add(
    (next) => async (args) => {
      if ((args.input as { Key?: string }).Key !== denied) return next(args);
      throw Object.assign(new Error('Access Denied'), {
        name: 'AccessDenied',
        $metadata: { httpStatusCode: 403 },
      });
    },
    { step: 'initialize', name: 'denyOneKey' },
  );
  const handler = createHandler({ ...defaultDeps(), reader: createS3LogReader(s3) });
  // Act
  const failure = await handler(await deliver(p, [cloudTrailMessage(p.bucket, [denied, readable])])).catch(
    (err: unknown) => err,
  );
  // Assess
  expect(failure).toBeInstanceOf(IndexingFailedError);
  expect((failure as IndexingFailedError).summary.files.map((f) => [f.key, f.status, f.reason])).toEqual([
    [denied, 'failed', 'access-denied'],
    [readable, 'indexed', undefined],
  ]);
  expect(await getEvent(p, String(record.eventID))).toBeDefined();
  s3.destroy();
});
