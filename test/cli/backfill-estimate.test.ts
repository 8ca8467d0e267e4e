import {
  BACKFILL_PRICES,
  estimateBackfill,
  RESTORE_HOURS,
  type EstimateAssumptions,
} from '../../cli/backfill-estimate';

const assumptions: EstimateAssumptions = {
  restoreTier: 'Bulk',
  restoreDays: 3,
  maxConcurrency: 100,
  itemsPerBatch: 200,
  keysPerSecondPerChild: 40,
  lambdaMemoryMb: 1024,
  eventsPerFile: 1,
  writeUnitsPerEvent: 6.31,
};

describe('the dry-run estimate', () => {
  test('nothing archived: no restore cost and no wait; time from the concurrency and the measured rate', () => {
    // Act
    const e = estimateBackfill(
      { byClass: { STANDARD: { objects: 1_440_000, bytes: 1_440_000 * 20_000 } }, listRequests: 1440 },
      assumptions,
    );
    // Assess
    expect(e.hours).toEqual({ indexing: 0.1, restoreWait: 0, total: 0.1 });
    expect(e.dollars.restoreRequests + e.dollars.restoreRetrieval + e.dollars.restoredCopies).toBe(0);
    expect(e.childExecutions).toBe(7200);
    expect(e.dollars.s3Requests).toBeCloseTo(
      1_440_000 * BACKFILL_PRICES.s3GetPerRequest + 1440 * BACKFILL_PRICES.s3ListPerRequest,
      2,
    );
  });

  test('Deep Archive on the Bulk tier: its request and retrieval prices, and up to 48 hours of waiting', () => {
    // Prepare: 1 million files of 20 KB in Deep Archive.
    const e = estimateBackfill(
      { byClass: { DEEP_ARCHIVE: { objects: 1e6, bytes: 20e9 } }, listRequests: 1000 },
      assumptions,
    );
    // Assess
    expect(e.dollars.restoreRequests).toBe(25); // $0.025 per 1,000
    expect(e.dollars.restoreRetrieval).toBe(0.05); // 20 GB at $0.0025
    expect(e.hours.restoreWait).toBe(RESTORE_HOURS.DEEP_ARCHIVE.Bulk);
  });

  test('Glacier Flexible Retrieval on the Bulk tier costs no retrieval; Standard does', () => {
    const inv = { byClass: { GLACIER: { objects: 1e6, bytes: 20e9 } }, listRequests: 1000 };
    const bulk = estimateBackfill(inv, assumptions);
    const standard = estimateBackfill(inv, { ...assumptions, restoreTier: 'Standard' });
    expect(bulk.dollars.restoreRequests + bulk.dollars.restoreRetrieval).toBe(0);
    expect(standard.dollars.restoreRequests).toBe(50);
    expect(standard.dollars.restoreRetrieval).toBe(0.2);
    expect(standard.hours.restoreWait).toBe(5);
  });

  test('the total is the sum of its parts', () => {
    const e = estimateBackfill(
      {
        byClass: {
          STANDARD: { objects: 5e6, bytes: 1e11 },
          GLACIER: { objects: 3e6, bytes: 6e10 },
          DEEP_ARCHIVE: { objects: 2e6, bytes: 4e10 },
        },
        listRequests: 10_000,
      },
      assumptions,
    );
    const { total, ...parts } = e.dollars;
    expect(total).toBeCloseTo(
      Object.values(parts).reduce((a, b) => a + b, 0),
      2,
    );
    expect(e.objects).toBe(1e7);
    expect(e.archivedObjects).toBe(5e6);
  });
});
