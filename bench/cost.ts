/**
 * Dollars per million events, from what the benchmark measures: CPU time per record (the realistic
 * mix, warm), the DynamoDB write units of the items actually built (the item and its GSI copies),
 * and one S3 GET, one KMS request at most and one SNS notification per log file.
 *
 * Every price is in PRICES, with its page. They are the us-east-1 list prices read on 2026-12-02,
 * before free tiers; other regions differ by a few percent.
 */
import { buildEventItem, estimateItemSize } from '../lambdas/shared/event-item';
import { INDEXES, PROJECTED_ATTRIBUTES, TIME_KEY } from '../lambdas/shared/schema';
import { INDEXER_MEMORY_MB } from '../lib/constructs/indexer-function';
import { makeRecord, prng } from './cloudtrail-generator';
import { round } from './stats';

export { PRICES } from '../cli/prices';
import { PRICES } from '../cli/prices';

/** Write units of items as built from generated selected records: the item, plus each GSI copy. */
export function measureWriteUnits(samples = 2000): {
  perEvent: number;
  itemKB: number;
  gsiCopies: number;
  storedKB: number;
} {
  const rng = prng(23);
  const indexedAt = new Date('2026-12-02T00:00:00Z');
  let units = 0;
  let bytes = 0;
  let copies = 0;
  // DynamoDB bills storage per item and per GSI copy, plus 100 bytes of overhead for each.
  let stored = 0;
  for (let k = 0; k < samples; k++) {
    const record = makeRecord(rng, { selectedShare: 1, largeShare: 0.01 });
    const item = buildEventItem(record, {
      logBucket: 'trail-index-logs',
      logKey: 'AWSLogs/x.json.gz',
      indexedAt,
    });
    const size = estimateItemSize(item);
    bytes += size;
    stored += size + 100;
    // A write unit covers 1 KB; a GSI write is the projected copy: its keys and projected attributes.
    units += Math.ceil(size / 1024);
    const projected = Object.fromEntries(
      Object.entries(item).filter(
        ([name]) => PROJECTED_ATTRIBUTES.includes(name as never) || name === TIME_KEY,
      ),
    );
    for (const index of Object.values(INDEXES)) {
      const key = (item as unknown as Record<string, unknown>)[index.partitionKey];
      if (typeof key !== 'string') continue; // a sparse index: no copy
      copies++;
      const copy = estimateItemSize({ ...projected, [index.partitionKey]: key });
      units += Math.ceil(copy / 1024);
      stored += copy + 100;
    }
  }
  return {
    perEvent: units / samples,
    itemKB: bytes / samples / 1024,
    gsiCopies: copies / samples,
    storedKB: stored / samples / 1024,
  };
}

export interface CostInputs {
  /** CloudTrail records per CPU-second, scanner, warm (measured). */
  readonly recordsPerCpuSecond: number;
  /** Records per log file in the mix. */
  readonly recordsPerFile: number;
  /** Indexed (Glacier and Support) share of records. */
  readonly indexedShare: number;
}

export interface CostResult {
  readonly prices: typeof PRICES;
  readonly memoryMb: number;
  readonly writeUnitsPerEvent: number;
  readonly itemKB: number;
  readonly gsiCopiesPerEvent: number;
  /** Dollars per million CloudTrail records read (the trail's volume), by part. */
  readonly perMillionRecords: Record<'lambda' | 's3' | 'kms' | 'sns' | 'dynamodb' | 'total', number>;
  /** Dollars per million indexed events: the DynamoDB writes they cost, and everything at their share. */
  readonly perMillionIndexedEvents: { readonly dynamodbWrites: number; readonly allIn: number };
  /** Storage of a million indexed events (items and GSI copies), per month. */
  readonly storagePerMillionEventsPerMonth: number;
}

export function costPerMillion(inputs: CostInputs): CostResult {
  const writes = measureWriteUnits();
  const memoryGb = INDEXER_MEMORY_MB / 1024;
  const vcpu = INDEXER_MEMORY_MB / PRICES.lambdaMbPerVcpu;
  // CPU-bound: the billed duration is the CPU time stretched to the share of a vCPU the function has.
  const secondsPerRecord = 1 / inputs.recordsPerCpuSecond / Math.min(1, vcpu);
  const files = 1e6 / inputs.recordsPerFile;
  const lambda =
    1e6 * secondsPerRecord * memoryGb * PRICES.lambdaArmPerGbSecond + files * PRICES.lambdaPerRequest;
  const indexed = 1e6 * inputs.indexedShare;
  const dynamodb = indexed * writes.perEvent * PRICES.dynamoPerWriteUnit;
  const parts = {
    lambda,
    s3: files * PRICES.s3GetPerRequest,
    kms: files * PRICES.kmsPerRequest,
    sns: files * PRICES.snsPerPublish,
    dynamodb,
  };
  const total = Object.values(parts).reduce((sum, v) => sum + v, 0);
  const r = (v: number) => round(v, 4);
  return {
    prices: PRICES,
    memoryMb: INDEXER_MEMORY_MB,
    writeUnitsPerEvent: round(writes.perEvent, 2),
    itemKB: round(writes.itemKB, 2),
    gsiCopiesPerEvent: round(writes.gsiCopies, 2),
    perMillionRecords: {
      lambda: r(parts.lambda),
      s3: r(parts.s3),
      kms: r(parts.kms),
      sns: r(parts.sns),
      dynamodb: r(parts.dynamodb),
      total: r(total),
    },
    perMillionIndexedEvents: {
      dynamodbWrites: r(writes.perEvent * PRICES.dynamoPerWriteUnit * 1e6),
      allIn: r(total / inputs.indexedShare),
    },
    storagePerMillionEventsPerMonth: r(
      ((writes.storedKB * 1024 * 1e6) / 1e9) * PRICES.dynamoStoragePerGbMonth,
    ),
  };
}
