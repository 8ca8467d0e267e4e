/**
 * The distributed backfill's child function on the emulators: a batch of keys indexed with the
 * indexer's own core, partial failures reported per key, reruns idempotent; and archived log files
 * through their states (archived → restore requested → restoring → restored → indexed). fauxqs has
 * no storage classes, so S3's answers for archived objects (GetObject's InvalidObjectState,
 * HeadObject's StorageClass and Restore, RestoreObject) are injected at the SDK level.
 */
import { randomUUID } from 'node:crypto';
import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { s3ArchiveClient, s3ResultStore } from '../../lambdas/backfill/aws-adapters';
import { type BatchItem, type BatchInput, parseBatch, processBatch } from '../../lambdas/backfill/batch';
import { collect } from '../../lambdas/backfill/collect';
import { defaultDeps } from '../../lambdas/indexer/deps';
import { createS3LogReader } from '../../lambdas/indexer/s3-log-reader';
import type { IndexerDeps } from '../../lambdas/indexer/process-log-file';
import { digestFileKey, glacierRecord, logFileBody, logFileKey } from '../harness/factories';
import { createTestPipeline, getEvent, putObject, type TestPipeline } from '../harness/pipeline';

type Archived = 'archived' | 'restoring' | 'restored';

/** S3 as it answers for archived objects, over a real client: the keys' states, and the restores asked. */
function archivingS3(
  states: Map<string, Archived>,
  restores: { key: string; tier?: string; days?: number }[],
) {
  const client = new S3Client({});
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as {
        Key?: string;
        RestoreRequest?: { Days?: number; GlacierJobParameters?: { Tier?: string } };
      };
      const state = input.Key === undefined ? undefined : states.get(input.Key);
      if (state === undefined) return next(args);
      if (context.commandName === 'GetObjectCommand' && state !== 'restored') {
        throw new S3ServiceException({
          name: 'InvalidObjectState',
          $fault: 'client',
          $metadata: { httpStatusCode: 403 },
          message: "The operation is not valid for the object's storage class",
        });
      }
      if (context.commandName === 'RestoreObjectCommand') {
        restores.push({
          key: input.Key ?? '',
          ...(input.RestoreRequest?.GlacierJobParameters?.Tier === undefined
            ? {}
            : { tier: input.RestoreRequest.GlacierJobParameters.Tier }),
          ...(input.RestoreRequest?.Days === undefined ? {} : { days: input.RestoreRequest.Days }),
        });
        states.set(input.Key ?? '', 'restoring');
        return { output: { $metadata: { httpStatusCode: 202 } }, response: {} };
      }
      const result = await next(args);
      if (context.commandName === 'HeadObjectCommand') {
        const output = result.output as { StorageClass?: string; Restore?: string };
        output.StorageClass = 'GLACIER';
        if (state === 'restoring') output.Restore = 'ongoing-request="true"';
        if (state === 'restored')
          output.Restore = 'ongoing-request="false", expiry-date="Fri, 04 Dec 2026 00:00:00 GMT"';
      }
      return result;
    },
    { step: 'initialize', name: 'archivedObjects' },
  );
  return client;
}

let p: TestPipeline;
let s3: S3Client;
let indexer: IndexerDeps;
const states = new Map<string, Archived>();
const restores: { key: string; tier?: string; days?: number }[] = [];

beforeAll(async () => {
  p = await createTestPipeline();
  s3 = archivingS3(states, restores);
  indexer = {
    ...defaultDeps({
      tableName: p.tableName,
      alertTopicArn: p.alertTopicArn,
      logSource: { bucket: p.bucket, prefix: '' },
    }),
    reader: createS3LogReader(s3),
  };
});

afterAll(() => {
  s3.destroy();
  p.close();
});

const input = (extra: Partial<BatchInput> = {}): BatchInput => ({
  bucket: '',
  since: '2026-11-01T00:00:00Z',
  until: '2026-11-30T23:59:59Z',
  restoreTier: 'Bulk',
  restoreDays: 3,
  ...extra,
});
const at = (day: number) => new Date(Date.UTC(2026, 10, day, 12));

async function logFile(day: number, records = [glacierRecord('DescribeVault', { eventID: randomUUID() })]) {
  const key = logFileKey({ at: at(day) });
  await putObject(p, key, logFileBody(records));
  return { key, records };
}

test('a batch: each key indexed or reported with its reason, and a rerun changes nothing', async () => {
  // Prepare
  const a = await logFile(3);
  const b = await logFile(4);
  const broken = logFileKey({ at: at(5) });
  await putObject(p, broken, Buffer.from('not gzip, not json'));
  const outside = await logFile(3);
  const digest = digestFileKey({ at: at(6) });
  await putObject(p, digest, Buffer.from('{}'));
  const items: BatchItem[] = [
    { Key: a.key, StorageClass: 'STANDARD' },
    { Key: b.key },
    { Key: broken },
    { Key: digest },
    { Key: outside.key },
  ];
  const batch = input({ bucket: p.bucket, since: '2026-11-02T00:00:00Z', until: '2026-11-06T00:00:00Z' });
  // Out of range: delivered on the 3rd would be in; a copy under another day's folder is not.
  items[4] = { Key: outside.key.replace('/2026/11/03/', '/2026/10/03/') };

  // Act
  const first = await processBatch({ indexer, archive: s3ArchiveClient(s3) }, items, batch);
  const again = await processBatch({ indexer, archive: s3ArchiveClient(s3) }, items, batch);

  // Assess
  expect(first.results.map((r) => [r.status, r.reason ?? ''])).toEqual([
    ['indexed', ''],
    ['indexed', ''],
    ['failed', 'invalid-json'],
    ['skipped', 'digest-file'],
    ['out-of-range', ''],
  ]);
  expect(first.counts).toEqual({ indexed: 2, failed: 1, skipped: 1, 'out-of-range': 1 });
  expect(again.results).toEqual(first.results);
  expect(await getEvent(p, String(a.records[0]?.eventID))).toMatchObject({ eventName: 'DescribeVault' });
});

test('an archived file: restore requested (Bulk, 3 days), restoring, then restored and indexed, never failed', async () => {
  // Prepare
  const file = await logFile(10);
  states.set(file.key, 'archived');
  const item: BatchItem = { Key: file.key, StorageClass: 'GLACIER' };
  const deps = { indexer, archive: s3ArchiveClient(s3) };
  const batch = input({ bucket: p.bucket });

  // Act
  const requested = await processBatch(deps, [item], batch);
  const stillRestoring = await processBatch(deps, [item], batch);
  states.set(file.key, 'restored');
  const done = await processBatch(deps, [item], batch);

  // Assess
  expect(requested.results).toEqual([
    { key: file.key, status: 'restore-requested', storageClass: 'GLACIER' },
  ]);
  expect(restores).toContainEqual({ key: file.key, tier: 'Bulk', days: 3 });
  expect(stillRestoring.results).toEqual([{ key: file.key, status: 'restoring', storageClass: 'GLACIER' }]);
  expect(done.results).toEqual([{ key: file.key, status: 'indexed', events: 1 }]);
  expect(await getEvent(p, String(file.records[0]?.eventID))).toBeDefined();
});

test('a file found archived only when read (no storage class given) is restored too, with the tier asked for', async () => {
  // Prepare
  const file = await logFile(11);
  states.set(file.key, 'archived');

  // Act
  const result = await processBatch(
    { indexer, archive: s3ArchiveClient(s3) },
    [{ Key: file.key }],
    input({ bucket: p.bucket, restoreTier: 'Standard' }),
  );

  // Assess
  expect(result.results).toEqual([{ key: file.key, status: 'restore-requested', storageClass: 'GLACIER' }]);
  expect(restores).toContainEqual({ key: file.key, tier: 'Standard', days: 3 });
});

test('inventory keys are URL-encoded: they are decoded', async () => {
  // Prepare
  const file = await logFile(12);
  const encoded = encodeURIComponent(file.key).replace(/%2F/g, '/');

  // Act
  const result = await processBatch(
    { indexer, archive: s3ArchiveClient(s3) },
    [{ Key: encoded }],
    input({ bucket: p.bucket, keysEncoded: true }),
  );

  // Assess
  expect(result.results).toEqual([{ key: file.key, status: 'indexed', events: 1 }]);
});

test('between rounds: the counts, and the keys still restoring listed for the next round', async () => {
  // Prepare: what ResultWriter writes (a manifest and result files of child executions).
  const run = `runs/${randomUUID()}`;
  const child = (results: unknown[]) => ({ Status: 'SUCCEEDED', Output: JSON.stringify({ results }) });
  await putObject(
    p,
    `${run}/SUCCEEDED_0.json`,
    JSON.stringify([
      child([
        { key: 'a', status: 'indexed', events: 2 },
        { key: 'b', status: 'restore-requested', storageClass: 'DEEP_ARCHIVE' },
      ]),
      child([
        { key: 'c', status: 'restoring' },
        { key: 'd', status: 'failed', reason: 'truncated-gzip' },
      ]),
    ]),
  );
  await putObject(
    p,
    `${run}/FAILED_0.json`,
    JSON.stringify([{ Status: 'FAILED', Input: JSON.stringify({ Items: [{ Key: 'x' }, { Key: 'y' }] }) }]),
  );
  await putObject(
    p,
    `${run}/manifest.json`,
    JSON.stringify({
      ResultFiles: {
        SUCCEEDED: [{ Key: `${run}/SUCCEEDED_0.json` }],
        FAILED: [{ Key: `${run}/FAILED_0.json` }],
        PENDING: [],
      },
    }),
  );

  // Act
  const out = await collect(s3ResultStore(s3), {
    round: 2,
    mapResult: { ResultWriterDetails: { Bucket: p.bucket, Key: `${run}/manifest.json` } },
    totals: { indexed: 5 },
  });
  const pending = JSON.parse(await s3ResultStore(s3).read(p.bucket, out.pendingKey)) as unknown;

  // Assess
  expect(out).toMatchObject({
    round: 3,
    pending: 2,
    lastRound: { indexed: 1, 'restore-requested': 1, restoring: 1, failed: 3, 'failed-batches': 1 },
    totals: { indexed: 6, 'restore-requested': 1, failed: 3, 'failed-batches': 1 },
  });
  expect(pending).toEqual([{ Key: 'b', StorageClass: 'DEEP_ARCHIVE' }, { Key: 'c' }]);
});

test('a malformed batch is refused with what is wrong', () => {
  expect(() => parseBatch({ Items: [{}], BatchInput: input({ bucket: 'b' }) })).toThrow(
    'Items[0] has no Key',
  );
  expect(() =>
    parseBatch({ Items: [], BatchInput: { ...input({ bucket: 'b' }), restoreTier: 'Expedited' } }),
  ).toThrow('BatchInput.restoreTier must be one of Bulk, Standard');
});
