/**
 * `trail-index backfill`: indexes log files that are already in the trail bucket, with the same
 * indexer core as the Lambda (same items, same idempotency, same alert markers).
 *
 * Listing follows CloudTrail's key layout instead of listing the bucket: accounts (and organization
 * ids) under `AWSLogs/`, regions under `<account>/CloudTrail/`, then only the year, month and day
 * folders inside the requested range, each listed with `Delimiter: '/'`. Digest and Insights files
 * live beside `CloudTrail/`, so they are never listed; anything else in a day folder is classified
 * by the indexer's own rules and skipped.
 */
import { normaliseKeyPrefix } from '../lambdas/indexer/log-source';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { isLogFileKey } from '../lambdas/indexer/notification';
import { failedFileResult, type FileResult } from '../lambdas/indexer/types';
import { BackfillCheckpoint } from './checkpoint';

export interface BackfillDeps {
  readonly s3: S3Client;
  /**
   * Indexes one log file: the indexer core's `processLogFile`, bound to its dependencies. It
   * reports broken files as `failed` results; a throw (DynamoDB, SNS, credentials) fails that file.
   */
  readonly processFile: (
    file: { readonly bucket: string; readonly key: string },
    options: { readonly alerts: boolean },
  ) => Promise<FileResult>;
}

export interface BackfillOptions {
  readonly bucket: string;
  /** The trail's S3 key prefix, without `AWSLogs/` ('' when the trail has none). */
  readonly prefix?: string;
  /** First day folder to include, as an ISO time or date (UTC); its date part is what counts. */
  readonly since?: string;
  /** Last day folder to include (inclusive), likewise. */
  readonly until?: string;
  /** List and count only. */
  readonly dryRun?: boolean;
  /** Publish alerts for matching events (with the same once-only markers as the Lambda). */
  readonly alerts?: boolean;
  /** Files processed at the same time. @default 8 */
  readonly concurrency?: number;
  /** Skips completed files and records new ones; `undefined` for none. */
  readonly checkpoint?: BackfillCheckpoint;
  /** Stop taking new files once this many were processed in this run (a rerun resumes). */
  readonly maxFiles?: number;
  /** Stops taking new files when aborted; files in progress finish and are checkpointed. */
  readonly signal?: AbortSignal;
  readonly progress?: BackfillProgress;
  /** For day-folder closing in the checkpoint. @default new Date() */
  readonly now?: Date;
}

export interface Volume {
  files: number;
  bytes: number;
}

export interface BackfillProgress {
  /** After listing: what this run will process. */
  planned(total: Readonly<Volume>): void;
  /** After each processed file. */
  advanced(done: Readonly<Volume>, file: FileResult): void;
  finished(): void;
}

/** One account + region of the trail, with what was listed in range. */
export interface LocationVolume extends Volume {
  readonly account: string;
  readonly organization?: string;
  readonly region: string;
  days: number;
}

export interface BackfillReport {
  readonly bucket: string;
  readonly prefix: string;
  readonly dryRun: boolean;
  /** Log files in range, before the checkpoint. */
  readonly listed: Volume;
  readonly locations: readonly LocationVolume[];
  /** Objects in day folders that are not log files. */
  readonly otherObjects: number;
  /** Skipped because the checkpoint has them. */
  readonly alreadyDone: Volume;
  /** Processed in this run. */
  readonly processed: Volume;
  readonly indexed: number;
  readonly skipped: number;
  readonly failed: readonly { key: string; reason: string }[];
  /** Events written, per eventSource. */
  readonly eventsIndexed: Readonly<Record<string, number>>;
  /** Events written, per eventName. */
  readonly eventNames: Readonly<Record<string, number>>;
  readonly alertsPublished: number;
  /** Files in range neither done before nor processed now (interrupted or `maxFiles`). */
  readonly remaining: Volume;
  readonly interrupted: boolean;
}

export class BackfillError extends Error {
  override readonly name = 'BackfillError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

interface ListedFile {
  readonly key: string;
  readonly size: number;
  readonly dayPrefix: string;
}

const ACCOUNT = /^\d{12}$/;
const ORGANIZATION = /^o-[a-z0-9]{10,32}$/;
const YEAR = /^\d{4}$/;
const TWO_DIGITS = /^\d{2}$/;

/** `'logs'`, `'logs/'`, `'/logs/'` → `'logs/'`; `''` or `undefined` → `''`. */

export async function runBackfill(deps: BackfillDeps, options: BackfillOptions): Promise<BackfillReport> {
  const prefix = normaliseKeyPrefix(options.prefix);
  const concurrency = options.concurrency ?? 8;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new BackfillError(`concurrency must be a positive integer, not ${concurrency}`);
  }
  const range = { since: options.since?.slice(0, 10), until: options.until?.slice(0, 10) };
  const checkpoint = options.checkpoint;

  // 1. Plan: list every log file in range, grouped by day folder. Listing first gives the dry run
  // and the progress bar their totals; it holds a key and a size per file (about 200 bytes), so a
  // year of a busy multi-region trail fits in a few hundred MB at worst; narrow it with --since.
  const locations: LocationVolume[] = [];
  const byDay = new Map<string, ListedFile[]>();
  const listed: Volume = { files: 0, bytes: 0 };
  let otherObjects = 0;
  for await (const location of listLocations(deps.s3, options.bucket, prefix)) {
    const volume: LocationVolume = { ...location.info, files: 0, bytes: 0, days: 0 };
    for await (const dayPrefix of listDayPrefixes(deps.s3, options.bucket, location.prefix, range)) {
      if (options.signal?.aborted === true) {
        throw new BackfillError('interrupted while listing: nothing was processed');
      }
      const files: ListedFile[] = [];
      for await (const object of listObjects(deps.s3, options.bucket, dayPrefix)) {
        if (!isLogFileKey(object.key)) {
          otherObjects += 1;
          continue;
        }
        files.push({ ...object, dayPrefix });
      }
      if (files.length === 0) continue;
      byDay.set(dayPrefix, files);
      volume.days += 1;
      for (const file of files) {
        volume.files += 1;
        volume.bytes += file.size;
      }
    }
    if (volume.files > 0) {
      locations.push(volume);
      listed.files += volume.files;
      listed.bytes += volume.bytes;
    }
  }

  const alreadyDone: Volume = { files: 0, bytes: 0 };
  const pending: ListedFile[] = [];
  const pendingPerDay = new Map<string, number>();
  for (const [dayPrefix, files] of byDay) {
    let count = 0;
    for (const file of files) {
      if (checkpoint?.isDone(file.key, dayPrefix) === true) {
        alreadyDone.files += 1;
        alreadyDone.bytes += file.size;
      } else {
        pending.push(file);
        count += 1;
      }
    }
    pendingPerDay.set(dayPrefix, count);
  }

  const base = { bucket: options.bucket, prefix, listed, locations, otherObjects, alreadyDone };
  if (options.dryRun === true) {
    return {
      ...base,
      dryRun: true,
      processed: { files: 0, bytes: 0 },
      indexed: 0,
      skipped: 0,
      failed: [],
      eventsIndexed: {},
      eventNames: {},
      alertsPublished: 0,
      remaining: sumVolume(pending),
      interrupted: false,
    };
  }

  // Days completed by an earlier run's individual keys fold into their folder now.
  const now = options.now ?? new Date();
  for (const [dayPrefix, count] of pendingPerDay) {
    if (count === 0) checkpoint?.markDayDone(dayPrefix, keysOf(byDay.get(dayPrefix)), now);
  }

  // 2. Process with bounded concurrency, checkpointing after each file.
  const limit = Math.min(pending.length, options.maxFiles ?? Number.POSITIVE_INFINITY);
  options.progress?.planned(sumVolume(pending.slice(0, limit)));
  const processed: Volume = { files: 0, bytes: 0 };
  const failed: { key: string; reason: string }[] = [];
  let indexed = 0;
  let skipped = 0;
  const eventsIndexed: Record<string, number> = {};
  const eventNames: Record<string, number> = {};
  let alertsPublished = 0;
  let next = 0;
  let checkpointError: Error | undefined;

  const processOne = async (file: ListedFile): Promise<void> => {
    let result: FileResult;
    try {
      result = await deps.processFile(
        { bucket: options.bucket, key: file.key },
        { alerts: options.alerts === true },
      );
    } catch (err) {
      result = failedFileResult({ bucket: options.bucket, key: file.key }, err);
    }
    processed.files += 1;
    processed.bytes += file.size;
    addCounts(eventsIndexed, result.eventsIndexed);
    addCounts(eventNames, result.eventNames);
    alertsPublished += result.alertsPublished;
    // Before any await, so that the counts shown are those of this file.
    options.progress?.advanced({ ...processed }, result);
    if (result.status === 'failed') {
      failed.push({ key: file.key, reason: result.reason ?? 'unknown reason' });
    } else {
      if (result.status === 'indexed') indexed += 1;
      else skipped += 1;
      if (checkpoint !== undefined) {
        checkpoint.markDone(file.key);
        const left = (pendingPerDay.get(file.dayPrefix) ?? 1) - 1;
        pendingPerDay.set(file.dayPrefix, left);
        if (left === 0) checkpoint.markDayDone(file.dayPrefix, keysOf(byDay.get(file.dayPrefix)), now);
        await checkpoint.save().catch((err: unknown) => {
          checkpointError ??= err instanceof Error ? err : new BackfillError(String(err));
        });
      }
    }
  };

  const worker = async (): Promise<void> => {
    while (next < limit && options.signal?.aborted !== true && checkpointError === undefined) {
      const file = pending[next];
      next += 1;
      if (file !== undefined) await processOne(file);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(limit, 1)) }, worker));
  } finally {
    options.progress?.finished();
  }
  await checkpoint?.save();
  if (checkpointError !== undefined) throw checkpointError;

  failed.sort((a, b) => a.key.localeCompare(b.key));
  return {
    ...base,
    dryRun: false,
    processed,
    indexed,
    skipped,
    failed,
    eventsIndexed,
    eventNames,
    alertsPublished,
    remaining: sumVolume(pending.slice(next)),
    interrupted: options.signal?.aborted === true && next < pending.length,
  };
}

interface Location {
  /** `[prefix/]AWSLogs/[o-id/]<account>/CloudTrail/<region>/` */
  readonly prefix: string;
  readonly info: { readonly account: string; readonly organization?: string; readonly region: string };
}

/** Every account + region folder of the trail (and of organization trails) in the bucket. */
export async function* listLocations(s3: S3Client, bucket: string, prefix: string): AsyncGenerator<Location> {
  const root = `${prefix}AWSLogs/`;
  for await (const first of listFolders(s3, bucket, root)) {
    const name = folderName(first);
    const accounts: { account: string; organization?: string; prefix: string }[] = [];
    if (ACCOUNT.test(name)) {
      accounts.push({ account: name, prefix: first });
    } else if (ORGANIZATION.test(name)) {
      for await (const second of listFolders(s3, bucket, first)) {
        const account = folderName(second);
        if (ACCOUNT.test(account)) accounts.push({ account, organization: name, prefix: second });
      }
    }
    for (const a of accounts) {
      for await (const regionPrefix of listFolders(s3, bucket, `${a.prefix}CloudTrail/`)) {
        const info = { account: a.account, region: folderName(regionPrefix) };
        yield {
          prefix: regionPrefix,
          info: a.organization === undefined ? info : { ...info, organization: a.organization },
        };
      }
    }
  }
}

/**
 * The `YYYY/MM/DD/` folders under a region folder within `[since, until]` (dates `YYYY-MM-DD`,
 * inclusive). Each level is listed once and pruned before descending, so days outside the range
 * are never listed.
 */
export async function* listDayPrefixes(
  s3: S3Client,
  bucket: string,
  regionPrefix: string,
  range: { since?: string; until?: string },
): AsyncGenerator<string> {
  const inRange = (value: string): boolean =>
    (range.since === undefined || value >= range.since.slice(0, value.length)) &&
    (range.until === undefined || value <= range.until.slice(0, value.length));
  for await (const yearPrefix of listFolders(s3, bucket, regionPrefix)) {
    const year = folderName(yearPrefix);
    if (!YEAR.test(year) || !inRange(year)) continue;
    for await (const monthPrefix of listFolders(s3, bucket, yearPrefix)) {
      const month = folderName(monthPrefix);
      if (!TWO_DIGITS.test(month) || !inRange(`${year}-${month}`)) continue;
      for await (const dayPrefix of listFolders(s3, bucket, monthPrefix)) {
        const day = folderName(dayPrefix);
        if (TWO_DIGITS.test(day) && inRange(`${year}-${month}-${day}`)) yield dayPrefix;
      }
    }
  }
}

/** The sub-folders (common prefixes) directly under `prefix`. */
async function* listFolders(s3: S3Client, bucket: string, prefix: string): AsyncGenerator<string> {
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }),
    );
    for (const p of page.CommonPrefixes ?? []) if (p.Prefix !== undefined) yield p.Prefix;
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
}

/** The objects directly in the folder `prefix`. */
async function* listObjects(
  s3: S3Client,
  bucket: string,
  prefix: string,
): AsyncGenerator<{ key: string; size: number }> {
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) if (o.Key !== undefined) yield { key: o.Key, size: o.Size ?? 0 };
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
}

function folderName(folder: string): string {
  const parts = folder.split('/');
  return parts[parts.length - 2] ?? '';
}

function keysOf(files: readonly ListedFile[] | undefined): string[] {
  return (files ?? []).map((f) => f.key);
}

function sumVolume(files: readonly ListedFile[]): Volume {
  return files.reduce((v, f) => ({ files: v.files + 1, bytes: v.bytes + f.size }), { files: 0, bytes: 0 });
}

function addCounts(total: Record<string, number>, counts: Readonly<Record<string, number>>): void {
  for (const [name, n] of Object.entries(counts)) total[name] = (total[name] ?? 0) + n;
}
