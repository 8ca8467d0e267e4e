/**
 * What a distributed backfill would take, from what a dry run counts: hours, and dollars by
 * component. Pure; every price in one table with its page. us-east-1 list prices read on
 * 2026-12-02, before free tiers; other regions differ by a few percent.
 */
import type { RestoreTier } from '../lambdas/backfill/archive';
import { PRICES as INDEXER_PRICES } from './prices';

export const BACKFILL_PRICES = {
  /** S3 GET (and HEAD), $0.0004 per 1,000 (https://aws.amazon.com/s3/pricing/). */
  s3GetPerRequest: INDEXER_PRICES.s3GetPerRequest,
  /** S3 LIST, $0.005 per 1,000 requests of up to 1,000 keys (same page). */
  s3ListPerRequest: 0.005 / 1000,
  /** Restore requests, per request, by storage class and tier (same page, "Requests & data retrievals"). */
  restorePerRequest: {
    GLACIER: { Bulk: 0, Standard: 0.05 / 1000 },
    DEEP_ARCHIVE: { Bulk: 0.025 / 1000, Standard: 0.1 / 1000 },
  },
  /** Data retrieved, per GB, by storage class and tier (same page). */
  restorePerGb: {
    GLACIER: { Bulk: 0, Standard: 0.01 },
    DEEP_ARCHIVE: { Bulk: 0.0025, Standard: 0.02 },
  },
  /** The restored copy is billed as S3 Standard while it lives, $0.023 per GB-month (same page). */
  standardStoragePerGbMonth: 0.023,
  /**
   * Step Functions Standard, $0.025 per 1,000 state transitions; a Distributed Map's child
   * executions are billed as Express: $1.00 per million requests and $0.00001667 per GB-second,
   * in 64 MB steps (https://aws.amazon.com/step-functions/pricing/).
   */
  stepFunctionsPerTransition: 0.025 / 1000,
  expressPerRequest: 1 / 1e6,
  expressPerGbSecond: 0.00001667,
  expressMemoryGb: 64 / 1024,
  lambdaArmPerGbSecond: INDEXER_PRICES.lambdaArmPerGbSecond,
  lambdaPerRequest: INDEXER_PRICES.lambdaPerRequest,
  dynamoPerWriteUnit: INDEXER_PRICES.dynamoPerWriteUnit,
  /** KMS, $0.03 per 10,000 requests: at most one per file (an S3 Bucket Key makes it far fewer). */
  kmsPerRequest: INDEXER_PRICES.kmsPerRequest,
} as const;

/**
 * How long a restore takes, in hours, by storage class and tier (S3 User Guide, "Understanding
 * archive retrieval options"): the upper end, which is what a backfill waits for.
 */
export const RESTORE_HOURS = {
  GLACIER: { Bulk: 12, Standard: 5 },
  DEEP_ARCHIVE: { Bulk: 48, Standard: 12 },
} as const;

export interface ClassCount {
  readonly objects: number;
  readonly bytes: number;
}

/** What a dry run counts: the log files of the range, by storage class. */
export interface RangeInventory {
  readonly byClass: Readonly<Record<string, ClassCount>>;
  /** LIST requests the dry run made (a backfill makes as many). */
  readonly listRequests: number;
}

export interface EstimateAssumptions {
  readonly restoreTier: RestoreTier;
  readonly restoreDays: number;
  readonly maxConcurrency: number;
  readonly itemsPerBatch: number;
  /** Keys one child indexes per second (`npm run bench` measures it on the emulators). */
  readonly keysPerSecondPerChild: number;
  /** Lambda memory of the batch function. */
  readonly lambdaMemoryMb: number;
  /** Glacier and Support events per log file (the mix in `npm run bench` has about 1). */
  readonly eventsPerFile: number;
  /** DynamoDB write units per indexed event (the item and its GSI copies; `npm run bench`). */
  readonly writeUnitsPerEvent: number;
}

export interface Estimate {
  readonly objects: number;
  readonly bytes: number;
  readonly archivedObjects: number;
  readonly archivedBytes: number;
  readonly childExecutions: number;
  /** Indexing at the configured concurrency, and waiting for restores (the slowest class). */
  readonly hours: { readonly indexing: number; readonly restoreWait: number; readonly total: number };
  readonly dollars: {
    readonly restoreRequests: number;
    readonly restoreRetrieval: number;
    readonly restoredCopies: number;
    readonly s3Requests: number;
    readonly stepFunctions: number;
    readonly lambda: number;
    readonly dynamodb: number;
    readonly kms: number;
    readonly total: number;
  };
}

const ARCHIVED = ['GLACIER', 'DEEP_ARCHIVE'] as const;
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

export function estimateBackfill(inventory: RangeInventory, a: EstimateAssumptions): Estimate {
  const P = BACKFILL_PRICES;
  const classes = Object.entries(inventory.byClass);
  const objects = classes.reduce((n, [, c]) => n + c.objects, 0);
  const bytes = classes.reduce((n, [, c]) => n + c.bytes, 0);
  let archivedObjects = 0;
  let archivedBytes = 0;
  let restoreRequests = 0;
  let restoreRetrieval = 0;
  let restoreWait = 0;
  for (const cls of ARCHIVED) {
    const c = inventory.byClass[cls];
    if (c === undefined || c.objects === 0) continue;
    archivedObjects += c.objects;
    archivedBytes += c.bytes;
    restoreRequests += c.objects * P.restorePerRequest[cls][a.restoreTier];
    restoreRetrieval += (c.bytes / 1e9) * P.restorePerGb[cls][a.restoreTier];
    restoreWait = Math.max(restoreWait, RESTORE_HOURS[cls][a.restoreTier]);
  }
  const restoredCopies = (archivedBytes / 1e9) * P.standardStoragePerGbMonth * (a.restoreDays / 30);
  const children = Math.ceil(objects / a.itemsPerBatch);
  // A HEAD and a GET per archived file (twice the HEAD: it is looked at again while restoring), a
  // GET per other file, and the listing.
  const s3Requests =
    (objects + archivedObjects * 3) * P.s3GetPerRequest + inventory.listRequests * P.s3ListPerRequest;
  const secondsPerChild = a.itemsPerBatch / a.keysPerSecondPerChild;
  // The parent's transitions: one per child started, and a dozen per round.
  const stepFunctions =
    (children + (archivedObjects > 0 ? 2 : 1) * 12) * P.stepFunctionsPerTransition +
    children * (P.expressPerRequest + secondsPerChild * P.expressMemoryGb * P.expressPerGbSecond);
  const lambda =
    (objects / a.keysPerSecondPerChild) * (a.lambdaMemoryMb / 1024) * P.lambdaArmPerGbSecond +
    children * P.lambdaPerRequest;
  const dynamodb = objects * a.eventsPerFile * a.writeUnitsPerEvent * P.dynamoPerWriteUnit;
  const kms = objects * P.kmsPerRequest;
  const indexing = objects / (a.maxConcurrency * a.keysPerSecondPerChild) / 3600;
  const dollars = {
    restoreRequests: round(restoreRequests),
    restoreRetrieval: round(restoreRetrieval),
    restoredCopies: round(restoredCopies),
    s3Requests: round(s3Requests),
    stepFunctions: round(stepFunctions),
    lambda: round(lambda),
    dynamodb: round(dynamodb),
    kms: round(kms),
  };
  return {
    objects,
    bytes,
    archivedObjects,
    archivedBytes,
    childExecutions: children,
    hours: { indexing: round(indexing, 1), restoreWait, total: round(indexing + restoreWait, 1) },
    dollars: { ...dollars, total: round(Object.values(dollars).reduce((x, y) => x + y, 0)) },
  };
}
