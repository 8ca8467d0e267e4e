/**
 * `backfill` against fauxqs (S3, SNS, SQS) and dynalite over HTTP, with the real indexer core: a
 * bucket holding two accounts × two regions × four days of log files, an organization trail's
 * folder, digest and Insights files beside them, a stray object and one broken log file.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2CommandInput, S3Client } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import {
  BackfillDeps,
  BackfillError,
  BackfillProgress,
  BackfillReport,
  runBackfill,
  Volume,
} from '../../cli/backfill';
import { BackfillCheckpoint } from '../../cli/checkpoint';
import { defaultDeps } from '../../lambdas/indexer/deps';
import { processLogFile } from '../../lambdas/indexer/process-log-file';
import type { FileResult } from '../../lambdas/indexer/types';
import {
  CloudTrailRecord,
  digestFileKey,
  glacierRecord,
  insightFileKey,
  logFileBody,
  logFileKey,
  otherServiceRecord,
  supportRecord,
} from '../harness/factories';
import {
  createTestPipeline,
  getAlertMarker,
  getEvent,
  putObject,
  receiveAlerts,
  TestPipeline,
} from '../harness/pipeline';

const ACCOUNTS = ['111111111111', '222222222222'] as const;
const REGIONS = ['us-east-1', 'eu-west-1'] as const;
const DAYS = ['2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20'] as const;
const ORG = {
  organizationId: 'o-abcdefghij',
  account: '333333333333',
  region: 'us-west-2',
  day: '2026-11-18',
};
/** Long after every day above: all day folders are closed. */
const LATER = new Date('2026-12-31T00:00:00Z');

interface LogFile {
  readonly key: string;
  readonly day: string;
  readonly size: number;
  /** Glacier/Support events it holds (the other-service record is not indexed). */
  readonly eventIDs: string[];
}

interface Fixture {
  readonly p: TestPipeline;
  readonly good: LogFile[];
  readonly broken: LogFile;
  readonly deleteVaultEventID: string;
  /** All log files, good and broken. */
  readonly all: LogFile[];
}

/** Puts a log file of these records at its CloudTrail key. */
async function putLogFile(
  p: TestPipeline,
  key: string,
  day: string,
  records: CloudTrailRecord[],
  body?: Buffer,
): Promise<LogFile> {
  const bytes = body ?? logFileBody(records);
  await putObject(p, key, bytes);
  const eventIDs = records.filter((r) => r.eventSource !== 's3.amazonaws.com').map((r) => String(r.eventID));
  return { key, day, size: bytes.length, eventIDs };
}

async function createFixture(): Promise<Fixture> {
  const p = await createTestPipeline();
  const good: LogFile[] = [];
  let deleteVaultEventID = '';
  for (const account of ACCOUNTS) {
    for (const region of REGIONS) {
      for (const day of DAYS) {
        const at = new Date(`${day}T10:05:00Z`);
        const records = [
          glacierRecord('DescribeVault', {
            recipientAccountId: account,
            awsRegion: region,
            eventTime: `${day}T10:00:00Z`,
          }),
          supportRecord('DescribeCases', {
            recipientAccountId: account,
            awsRegion: region,
            eventTime: `${day}T10:01:00Z`,
          }),
          otherServiceRecord({ recipientAccountId: account, awsRegion: region }),
        ];
        if (account === ACCOUNTS[0] && region === REGIONS[0] && day === DAYS[1]) {
          const deletion = glacierRecord('DeleteVault', { recipientAccountId: account, awsRegion: region });
          deleteVaultEventID = String(deletion.eventID);
          records.push(deletion);
        }
        good.push(await putLogFile(p, logFileKey({ account, region, at }), day, records));
        // Beside the log files, never to be indexed.
        await putObject(p, digestFileKey({ account, region, at }), logFileBody([]));
        await putObject(p, insightFileKey({ account, region, at }), logFileBody([]));
      }
    }
  }
  const orgAt = new Date(`${ORG.day}T08:00:00Z`);
  good.push(
    await putLogFile(
      p,
      logFileKey({ account: ORG.account, region: ORG.region, organizationId: ORG.organizationId, at: orgAt }),
      ORG.day,
      [glacierRecord('ListVaults', { recipientAccountId: ORG.account, awsRegion: ORG.region })],
    ),
  );
  // A day folder may hold something that is not a log file.
  await putObject(
    p,
    `AWSLogs/${ACCOUNTS[0]}/CloudTrail/${REGIONS[0]}/2026/11/18/notes.txt`,
    'not a log file',
  );
  // A log file whose gzip stops right after its header, before any record.
  const whole = logFileBody([glacierRecord('DescribeVault')]);
  const brokenKey = logFileKey({
    account: ACCOUNTS[1],
    region: REGIONS[1],
    at: new Date('2026-11-19T11:00:00Z'),
  });
  const broken = await putLogFile(p, brokenKey, '2026-11-19', [], whole.subarray(0, 20));
  return { p, good, broken, deleteVaultEventID, all: [...good, broken] };
}

/** The indexer core bound to the fixture's table and topic, recording which keys it was given. */
function indexerDeps(f: Fixture, seen: string[] = [], prefix = ''): BackfillDeps {
  const deps = defaultDeps({
    tableName: f.p.tableName,
    alertTopicArn: f.p.alertTopicArn,
    logSource: { bucket: f.p.bucket, prefix },
  });
  return {
    s3: f.p.s3,
    processFile: (file, options) => {
      seen.push(file.key);
      return processLogFile(deps, file, options);
    },
  };
}

const sum = (files: readonly LogFile[]) => ({
  files: files.length,
  bytes: files.reduce((n, f) => n + f.size, 0),
});
async function countItems(p: TestPipeline): Promise<number> {
  let total = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await p.db.send(
      new ScanCommand({ TableName: p.tableName, Select: 'COUNT', ExclusiveStartKey }),
    );
    total += page.Count ?? 0;
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey !== undefined);
  return total;
}

const keysOf = (files: readonly LogFile[]) => files.map((f) => f.key).sort();
const totalEvents = (report: BackfillReport) =>
  Object.values(report.eventsIndexed).reduce((n, count) => n + count, 0);

let f: Fixture;
let dir: string;

beforeAll(async () => {
  f = await createFixture();
});

afterAll(() => f.p.close());

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'backfill-'));
});

afterEach(async () => {
  rmSync(dir, { recursive: true, force: true });
  await receiveAlerts(f.p, 0);
});

describe('dry run', () => {
  it('counts every log file and its bytes across accounts, regions and organization trails, and writes nothing', async () => {
    // Prepare
    const seen: string[] = [];

    // Act
    const report = await runBackfill(indexerDeps(f, seen), { bucket: f.p.bucket, dryRun: true });

    // Assess
    expect(report.listed).toEqual(sum(f.all));
    expect(report.remaining).toEqual(sum(f.all));
    expect(report.otherObjects).toBe(1);
    expect(report.locations.map((l) => `${l.organization ?? '-'}/${l.account}/${l.region}`).sort()).toEqual([
      '-/111111111111/eu-west-1',
      '-/111111111111/us-east-1',
      '-/222222222222/eu-west-1',
      '-/222222222222/us-east-1',
      `${ORG.organizationId}/${ORG.account}/${ORG.region}`,
    ]);
    expect(seen).toEqual([]);
    expect(await getEvent(f.p, f.good[0]?.eventIDs[0] ?? '')).toBeUndefined();
  });

  it('selects the day folders within --since and --until, inclusive', async () => {
    // Prepare
    const inRange = f.all.filter((file) => file.day >= '2026-11-18' && file.day <= '2026-11-19');

    // Act
    const report = await runBackfill(indexerDeps(f), {
      bucket: f.p.bucket,
      since: '2026-11-18T00:00:00Z',
      until: '2026-11-19T23:59:59Z',
      dryRun: true,
    });

    // Assess
    expect(report.listed).toEqual(sum(inRange));
    expect(inRange.length).toBeLessThan(f.all.length);
  });

  it('lists only the folders of the range, never the whole bucket', async () => {
    // Prepare
    const requests: ListObjectsV2CommandInput[] = [];
    const s3 = new S3Client({});
    s3.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === 'ListObjectsV2Command') {
          requests.push((args.input as ListObjectsV2CommandInput) ?? {});
        }
        return next(args);
      },
      { step: 'initialize' },
    );

    // Act
    await runBackfill({ ...indexerDeps(f), s3 }, { bucket: f.p.bucket, since: '2026-11-20', dryRun: true });

    // Assess
    expect(requests.every((r) => r.Delimiter === '/')).toBe(true);
    const dayListings = requests
      .map((r) => r.Prefix ?? '')
      .filter((prefix) => /\/\d{4}\/\d{2}\/\d{2}\/$/.test(prefix));
    expect(dayListings.length).toBeGreaterThan(0);
    expect(dayListings.every((prefix) => prefix.endsWith('/2026/11/20/'))).toBe(true);
    expect(requests.some((r) => (r.Prefix ?? '').includes('CloudTrail-Digest'))).toBe(false);
    s3.destroy();
  });
});

describe('a full run', () => {
  let report: BackfillReport;
  let checkpointPath: string;

  beforeAll(async () => {
    checkpointPath = join(mkdtempSync(join(tmpdir(), 'backfill-full-')), 'checkpoint.json');
    report = await runBackfill(indexerDeps(f), {
      bucket: f.p.bucket,
      concurrency: 4,
      checkpoint: BackfillCheckpoint.fresh(checkpointPath, { bucket: f.p.bucket, prefix: '' }),
      now: LATER,
    });
  });

  it('indexes the events of every good log file', async () => {
    // Assess
    expect(report.indexed).toBe(f.good.length);
    for (const file of f.good) {
      for (const eventID of file.eventIDs) {
        expect(await getEvent(f.p, eventID)).toMatchObject({ eventID, logKey: file.key });
      }
    }
    expect(totalEvents(report)).toBe(f.good.reduce((n, file) => n + file.eventIDs.length, 0));
  });

  it('reports the broken file with its reason, and only it', () => {
    // Assess
    expect(report.failed).toEqual([{ key: f.broken.key, reason: 'truncated-gzip' }]);
  });

  it('publishes no alert and claims none by default', async () => {
    // Assess
    expect(report.alertsPublished).toBe(0);
    expect(await receiveAlerts(f.p, 0)).toEqual([]);
    expect(await getAlertMarker(f.p, f.deleteVaultEventID, 'glacier-delete-vault')).toBeUndefined();
  });

  it('checkpoints closed days as folders, and keeps the day with the failed file open', () => {
    // Assess
    const saved = JSON.parse(readFileSync(checkpointPath, 'utf8')) as {
      completedDays: string[];
      completedKeys: string[];
    };
    const brokenDay = f.broken.key.slice(0, f.broken.key.lastIndexOf('/') + 1);
    expect(saved.completedDays).not.toContain(brokenDay);
    expect(saved.completedKeys).toEqual(keysOf(f.good.filter((file) => file.key.startsWith(brokenDay))));
    expect(saved.completedDays).toHaveLength(4 * 4 + 1 - 1);
  });

  it('on a rerun with the checkpoint, retries only the failed file', async () => {
    // Prepare
    const seen: string[] = [];
    const checkpoint = await BackfillCheckpoint.load(checkpointPath, { bucket: f.p.bucket, prefix: '' });

    // Act
    const rerun = await runBackfill(indexerDeps(f, seen), { bucket: f.p.bucket, checkpoint, now: LATER });

    // Assess
    expect(seen).toEqual([f.broken.key]);
    expect(rerun.alreadyDone).toEqual(sum(f.good));
    expect(rerun.failed).toEqual([{ key: f.broken.key, reason: 'truncated-gzip' }]);
  });
});

describe('idempotency', () => {
  it('a second run without a checkpoint adds no item', async () => {
    // Prepare
    const range = { since: '2026-11-20' };
    const first = await runBackfill(indexerDeps(f), { bucket: f.p.bucket, ...range });
    const before = await countItems(f.p);

    // Act
    const second = await runBackfill(indexerDeps(f), { bucket: f.p.bucket, ...range });

    // Assess
    expect(first.indexed).toBeGreaterThan(0);
    expect(second.indexed).toBe(first.indexed);
    expect(await countItems(f.p)).toBe(before);
  });
});

describe('alerts', () => {
  it('with alerts on, publishes each vault deletion once, however often the file is backfilled', async () => {
    // Prepare
    const day = { since: '2026-11-18', until: '2026-11-18' };

    // Act
    const first = await runBackfill(indexerDeps(f), { bucket: f.p.bucket, ...day, alerts: true });
    const firstAlerts = await receiveAlerts(f.p);
    const second = await runBackfill(indexerDeps(f), { bucket: f.p.bucket, ...day, alerts: true });
    const secondAlerts = await receiveAlerts(f.p, 0);

    // Assess
    expect(first.alertsPublished).toBe(1);
    expect(firstAlerts).toHaveLength(1);
    expect(firstAlerts[0]?.subject).toMatch(/^CRITICAL: Glacier vault deleted: /);
    expect(second.alertsPublished).toBe(0);
    expect(secondAlerts).toEqual([]);
  });
});

describe('resume after an interruption', () => {
  it('processes each file once over a run cut short by --max-files, one aborted, and one to the end', async () => {
    // Prepare
    const path = join(dir, 'nested', 'checkpoint.json');
    const scope = { bucket: f.p.bucket, prefix: '' };
    const runs: string[][] = [[], [], []];

    // Act
    const first = await runBackfill(indexerDeps(f, runs[0]), {
      bucket: f.p.bucket,
      concurrency: 2,
      maxFiles: 5,
      checkpoint: BackfillCheckpoint.fresh(path, scope),
      now: LATER,
    });
    const controller = new AbortController();
    const aborting = indexerDeps(f, runs[1]);
    const second = await runBackfill(
      {
        ...aborting,
        processFile: async (file, options) => {
          const result = await aborting.processFile(file, options);
          if (runs[1]?.length === 3) controller.abort();
          return result;
        },
      },
      {
        bucket: f.p.bucket,
        concurrency: 1,
        checkpoint: await BackfillCheckpoint.load(path, scope),
        signal: controller.signal,
        now: LATER,
      },
    );
    const third = await runBackfill(indexerDeps(f, runs[2]), {
      bucket: f.p.bucket,
      concurrency: 3,
      checkpoint: await BackfillCheckpoint.load(path, scope),
      now: LATER,
    });

    // Assess
    expect(runs.map((r) => r.length)).toEqual([5, 3, f.all.length - 8]);
    expect(runs.flat().sort()).toEqual(keysOf(f.all));
    expect(first.remaining.files).toBe(f.all.length - 5);
    expect(second.interrupted).toBe(true);
    expect(second.alreadyDone.files).toBe(5);
    expect(third.interrupted).toBe(false);
    expect(third.remaining.files).toBe(0);
    expect(third.failed.map((x) => x.key)).toEqual([f.broken.key]);
  });

  it('a file whose processing throws is reported and retried on the next run, not checkpointed', async () => {
    // Prepare
    const path = join(dir, 'checkpoint.json');
    const scope = { bucket: f.p.bucket, prefix: '' };
    const victim = f.good.find((x) => x.day === '2026-11-17');
    if (victim === undefined) throw new Error('fixture has no file on 2026-11-17');
    const real = indexerDeps(f);
    const flaky: BackfillDeps = {
      ...real,
      processFile: (file, options): Promise<FileResult> =>
        file.key === victim.key
          ? Promise.reject(new Error('ProvisionedThroughputExceededException: slow down'))
          : real.processFile(file, options),
    };
    const range = { since: '2026-11-17', until: '2026-11-17' };
    const first = await runBackfill(flaky, {
      bucket: f.p.bucket,
      ...range,
      checkpoint: BackfillCheckpoint.fresh(path, scope),
      now: LATER,
    });
    const seen: string[] = [];

    // Act
    const second = await runBackfill(indexerDeps(f, seen), {
      bucket: f.p.bucket,
      ...range,
      checkpoint: await BackfillCheckpoint.load(path, scope),
      now: LATER,
    });

    // Assess
    expect(first.failed).toEqual([
      { key: victim.key, reason: 'ProvisionedThroughputExceededException: slow down' },
    ]);
    expect(seen).toEqual([victim.key]);
    expect(second.failed).toEqual([]);
    expect(existsSync(path)).toBe(true);
  });
});

describe('progress', () => {
  it('announces what it will process, then each file, up to that total', async () => {
    // Prepare
    const planned: Volume[] = [];
    const advanced: Volume[] = [];
    let finished = 0;
    const progress: BackfillProgress = {
      planned: (total) => planned.push({ ...total }),
      advanced: (done) => advanced.push({ ...done }),
      finished: () => {
        finished += 1;
      },
    };
    const files = f.all.filter((x) => x.day === '2026-11-19');

    // Act
    await runBackfill(indexerDeps(f), {
      bucket: f.p.bucket,
      since: '2026-11-19',
      until: '2026-11-19',
      concurrency: 3,
      progress,
    });

    // Assess
    expect(planned).toEqual([sum(files)]);
    expect(advanced.map((v) => v.files)).toEqual(files.map((_, i) => i + 1));
    expect(advanced.at(-1)).toEqual(sum(files));
    expect(finished).toBe(1);
  });
});

describe('interruption while listing', () => {
  it('stops before processing anything', async () => {
    // Prepare
    const seen: string[] = [];
    const controller = new AbortController();
    controller.abort();

    // Act
    const run = runBackfill(indexerDeps(f, seen), { bucket: f.p.bucket, signal: controller.signal });

    // Assess
    await expect(run).rejects.toThrow(BackfillError);
    expect(seen).toEqual([]);
  });
});

describe('checkpoint', () => {
  it('keeps the keys of a day CloudTrail may still deliver into', async () => {
    // Prepare
    const path = join(dir, 'checkpoint.json');
    const scope = { bucket: f.p.bucket, prefix: '' };
    const today = new Date('2026-11-20T18:00:00Z');

    // Act
    await runBackfill(indexerDeps(f), {
      bucket: f.p.bucket,
      since: '2026-11-19',
      checkpoint: BackfillCheckpoint.fresh(path, scope),
      now: today,
    });

    // Assess
    const saved = JSON.parse(readFileSync(path, 'utf8')) as {
      completedDays: string[];
      completedKeys: string[];
    };
    expect(saved.completedKeys).toEqual(
      expect.arrayContaining(keysOf(f.good.filter((x) => x.day === '2026-11-20'))),
    );
    expect(saved.completedDays.some((d) => d.endsWith('/2026/11/20/'))).toBe(false);
  });

  it('refuses a checkpoint of another bucket', async () => {
    // Prepare
    const path = join(dir, 'checkpoint.json');
    const checkpoint = BackfillCheckpoint.fresh(path, { bucket: 'other-bucket', prefix: '' });
    checkpoint.markDone('AWSLogs/x');
    await checkpoint.save();

    // Act
    const loading = BackfillCheckpoint.load(path, { bucket: f.p.bucket, prefix: '' });

    // Assess
    await expect(loading).rejects.toThrow(/belongs to s3:\/\/other-bucket\//);
  });

  it('refuses a file that is not a checkpoint', async () => {
    // Prepare
    const path = join(dir, 'checkpoint.json');
    writeFileSync(path, '{"completedKeys": 3}');

    // Act
    const loading = BackfillCheckpoint.load(path, { bucket: f.p.bucket, prefix: '' });

    // Assess
    await expect(loading).rejects.toThrow(/not a trail-index backfill checkpoint/);
  });
});

describe('prefix', () => {
  it('finds the logs of a trail with an S3 key prefix', async () => {
    // Prepare
    const key = logFileKey({
      prefix: 'audit/trail',
      account: ACCOUNTS[0],
      region: REGIONS[0],
      at: new Date('2026-11-10T00:10:00Z'),
    });
    const file = await putLogFile(f.p, key, '2026-11-10', [glacierRecord('DescribeVault')]);

    // Act
    const report = await runBackfill(indexerDeps(f, [], 'audit/trail'), {
      bucket: f.p.bucket,
      prefix: '/audit/trail/',
    });

    // Assess
    expect(report.listed).toEqual(sum([file]));
    expect(report.indexed).toBe(1);
    expect(await getEvent(f.p, file.eventIDs[0] ?? '')).toMatchObject({ logKey: key });
  });
});

it('lists nothing under a prefix that holds no AWSLogs/', async () => {
  // Act
  const report = await runBackfill(indexerDeps(f), {
    bucket: f.p.bucket,
    prefix: 'no-such-prefix',
    dryRun: true,
  });

  // Assess
  expect(report.listed).toEqual({ files: 0, bytes: 0 });
});
