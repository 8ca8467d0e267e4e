/**
 * The distributed backfill's function, for two states of its state machine: each child execution
 * of the Distributed Map invokes it with a batch of keys (`{ Items, BatchInput }`), and the step
 * between rounds with `{ action: "collect", … }`. It indexes with the indexer's own dependencies
 * (same table, rules and bucket); clients are configured by the SDK's standard settings only.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { defaultDeps } from '../indexer/deps';
import type { IndexerDeps } from '../indexer/process-log-file';
import { logger } from '../indexer/observability';
import { readerClientConfig } from '../shared/reader-credentials';
import { s3ArchiveClient, s3ResultStore } from './aws-adapters';
import { type BatchResult, parseBatch, processBatch } from './batch';
import { collect, type CollectInput, type CollectOutput } from './collect';

const reader = new S3Client(readerClientConfig('trail-index-backfill'));
const results = new S3Client({});
let indexer: IndexerDeps | undefined;

export async function handler(event: unknown, context?: Context): Promise<BatchResult | CollectOutput> {
  if (context !== undefined) logger.addContext(context);
  if (typeof event === 'object' && event !== null && (event as { action?: unknown }).action === 'collect') {
    const output = await collect(s3ResultStore(results), event as unknown as CollectInput);
    logger.info('Round collected', {
      round: output.round - 1,
      pending: output.pending,
      counts: output.lastRound,
    });
    return output;
  }
  const { items, input } = parseBatch(event);
  indexer ??= defaultDeps();
  const result = await processBatch({ indexer, archive: s3ArchiveClient(reader) }, items, input);
  logger.info('Batch done', { keys: items.length, counts: result.counts });
  return result;
}
