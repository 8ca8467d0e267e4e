/**
 * One child execution of the distributed backfill: a batch of keys (the Distributed Map's
 * ItemBatcher), each indexed with the indexer's own `processLogFile`, or, if archived, restored
 * first. Every key gets a status; a broken file is reported, not thrown, so one file never fails
 * its batch. Infrastructure errors (DynamoDB, S3 throttling) are thrown: the Task's retries and the
 * Map's failure tolerance handle them, and `--redrive` runs the batch again (indexing is idempotent).
 */
import { processLogFile, type IndexerDeps } from '../indexer/process-log-file';
import { mapLimited } from '../shared/map-limited';
import { archiveState, RESTORE_TIERS, type RestoreTier } from './archive';
import { deliveryDay, inRange } from './plan';

/** What the state machine passes to every batch (the ItemBatcher's BatchInput). */
export interface BatchInput {
  readonly bucket: string;
  readonly since: string;
  readonly until: string;
  /** Publish the alerts of history's events. @default false */
  readonly alerts?: boolean;
  readonly restoreTier: RestoreTier;
  readonly restoreDays: number;
  /** Keys are URL-encoded (S3 Inventory's CSV). @default false */
  readonly keysEncoded?: boolean;
}

/** An item as the readers give it: ListObjectsV2 and S3 Inventory carry the storage class. */
export interface BatchItem {
  readonly Key: string;
  readonly StorageClass?: string;
  readonly Size?: number | string;
}

export type KeyStatus = 'indexed' | 'skipped' | 'out-of-range' | 'restore-requested' | 'restoring' | 'failed';

export interface KeyResult {
  readonly key: string;
  readonly status: KeyStatus;
  readonly reason?: string;
  readonly events?: number;
  /** The storage class, for the next round. */
  readonly storageClass?: string;
}

export interface BatchResult {
  readonly results: KeyResult[];
  readonly counts: Partial<Record<KeyStatus, number>>;
}

export interface ArchiveClient {
  /** HeadObject: the storage class and the Restore header. */
  head(bucket: string, key: string): Promise<{ storageClass?: string; restore?: string }>;
  /** RestoreObject; resolves when S3 accepted it (or one is already in progress). */
  restore(bucket: string, key: string, tier: RestoreTier, days: number): Promise<void>;
}

export interface BatchDeps {
  readonly indexer: IndexerDeps;
  readonly archive: ArchiveClient;
  /** Files of one batch read at once. @default 4 */
  readonly concurrency?: number;
}

export class BatchInputError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'BatchInputError';
  }
}

/** Checks the batch's shape; a malformed batch is a bug in the state machine, so it throws. */
export function parseBatch(event: unknown): { items: BatchItem[]; input: BatchInput } {
  if (typeof event !== 'object' || event === null) throw new BatchInputError('the batch is not an object');
  const { Items, BatchInput: input } = event as { Items?: unknown; BatchInput?: unknown };
  if (!Array.isArray(Items)) throw new BatchInputError('the batch has no Items list');
  if (typeof input !== 'object' || input === null) throw new BatchInputError('the batch has no BatchInput');
  const b = input as Record<string, unknown>;
  for (const name of ['bucket', 'since', 'until'] as const) {
    if (typeof b[name] !== 'string' || b[name] === '')
      throw new BatchInputError(`BatchInput.${name} is missing`);
  }
  if (!(RESTORE_TIERS as readonly unknown[]).includes(b.restoreTier))
    throw new BatchInputError(`BatchInput.restoreTier must be one of ${RESTORE_TIERS.join(', ')}`);
  if (typeof b.restoreDays !== 'number' || !Number.isInteger(b.restoreDays) || b.restoreDays < 1)
    throw new BatchInputError('BatchInput.restoreDays must be a whole number of days');
  const items = Items.map((item, i) => {
    if (typeof item !== 'object' || item === null || typeof (item as BatchItem).Key !== 'string')
      throw new BatchInputError(`Items[${i}] has no Key`);
    return item as BatchItem;
  });
  return { items, input: b as unknown as BatchInput };
}

export async function processBatch(
  deps: BatchDeps,
  items: readonly BatchItem[],
  input: BatchInput,
): Promise<BatchResult> {
  const range = { since: new Date(input.since), until: new Date(input.until) };
  const results = await mapLimited(items, deps.concurrency ?? 4, async (item): Promise<KeyResult> => {
    const key = input.keysEncoded === true ? decodeURIComponent(item.Key.replace(/\+/g, ' ')) : item.Key;
    // Other keys (digests, Insights files) are classified, unread, by processLogFile.
    if (deliveryDay(key) !== undefined && !inRange(key, range)) return { key, status: 'out-of-range' };
    // The storage class the reader gave; none (a pending list from an earlier round, an inventory
    // without the field) is found out by reading.
    if (item.StorageClass !== undefined && archiveState(item.StorageClass, undefined) !== 'available') {
      const waiting = await restoreIfNeeded(deps.archive, input, key);
      if (waiting !== undefined) return waiting;
    }
    // processLogFile reports a broken file in its result; only infrastructure errors are thrown.
    const result = await processLogFile(
      deps.indexer,
      { bucket: input.bucket, key },
      { alerts: input.alerts ?? false },
    );
    return indexed(key, result);
  });
  // A file found archived only when read: restore it, and look again next round.
  const settled = await mapLimited(results, deps.concurrency ?? 4, async (result) => {
    if (result.status !== 'failed' || result.reason !== 'archived') return result;
    return (
      (await restoreIfNeeded(deps.archive, input, result.key)) ?? { ...result, status: 'restoring' as const }
    );
  });
  const counts: Partial<Record<KeyStatus, number>> = {};
  for (const r of settled) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return { results: settled, counts };
}

function indexed(key: string, result: Awaited<ReturnType<typeof processLogFile>>): KeyResult {
  const events = Object.values(result.eventsIndexed).reduce((a, b) => a + b, 0);
  if (result.status === 'failed')
    return { key, status: 'failed', reason: result.reason ?? 'unknown', events };
  if (result.status === 'skipped')
    return { key, status: 'skipped', ...(result.reason === undefined ? {} : { reason: result.reason }) };
  return { key, status: 'indexed', events };
}

/**
 * For an archived object: request its restore (once), or say it is restoring; undefined when it is
 * restored and can be read now.
 */
async function restoreIfNeeded(
  archive: ArchiveClient,
  input: BatchInput,
  key: string,
): Promise<KeyResult | undefined> {
  const { storageClass, restore } = await archive.head(input.bucket, key);
  const state = archiveState(storageClass, restore);
  const kept = storageClass === undefined ? {} : { storageClass };
  if (state === 'archived') {
    await archive.restore(input.bucket, key, input.restoreTier, input.restoreDays);
    return { key, status: 'restore-requested', ...kept };
  }
  if (state === 'restoring') return { key, status: 'restoring', ...kept };
  return undefined;
}
