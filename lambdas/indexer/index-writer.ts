/**
 * Writes index items with BatchWriteItem: groups of 25 PutRequests, a small pool of concurrent
 * requests, and `UnprocessedItems` (or a throttled request) retried with exponential backoff and
 * full jitter until they succeed or the deadline comes; then {@link WriteDeadlineError}. Puts are
 * keyed by eventID, so writing an item twice, or retrying an invocation, is harmless.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PARTITION_KEY, SORT_KEY } from '../shared/schema';
import { DYNAMODB_BATCH_WRITE_MAX_ITEMS } from '../shared/aws-limits';
import { WriteDeadlineError } from './errors';

/** DynamoDB's limit of requests in one BatchWriteItem (see aws-limits.ts). */
export const BATCH_SIZE = DYNAMODB_BATCH_WRITE_MAX_ITEMS;

export interface IndexWriter {
  /** Writes every item or throws; `deadline` is an epoch-ms time after which it gives up. */
  write(items: readonly object[], options?: { deadline?: number }): Promise<WriteResult>;
}

export interface WriteResult {
  /** BatchWriteItem requests sent. */
  readonly requests: number;
  /** Of which retries (unprocessed items or throttled requests). */
  readonly retries: number;
}

export interface IndexWriterOptions {
  readonly client: DynamoDBClient | DynamoDBDocumentClient;
  readonly tableName: string;
  /** Concurrent BatchWriteItem requests. @default 4 */
  readonly concurrency?: number;
  /** First backoff ceiling in ms; doubles per attempt. @default 50 */
  readonly baseDelayMs?: number;
  /** Largest backoff ceiling in ms. @default 5000 */
  readonly maxDelayMs?: number;
  /** Attempts per batch when no deadline is given. @default 20 */
  readonly maxAttemptsWithoutDeadline?: number;
}

/** The same client behaviour everywhere: undefined optional attributes are left out. */
export function documentClient(client: DynamoDBClient | DynamoDBDocumentClient): DynamoDBDocumentClient {
  return client instanceof DynamoDBDocumentClient
    ? client
    : DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

const RETRYABLE_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createIndexWriter(options: IndexWriterOptions): IndexWriter {
  const client = documentClient(options.client);
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const baseDelay = options.baseDelayMs ?? 50;
  const maxDelay = options.maxDelayMs ?? 5_000;
  const maxAttempts = options.maxAttemptsWithoutDeadline ?? 20;

  return {
    async write(items, { deadline } = {}) {
      const batches = toBatches(items);
      let requests = 0;
      let retries = 0;

      const writeBatch = async (batch: object[]) => {
        let pending = batch;
        for (let attempt = 0; ; attempt += 1) {
          requests += 1;
          if (attempt > 0) retries += 1;
          let failure: unknown;
          try {
            const { UnprocessedItems } = await client.send(
              new BatchWriteCommand({
                RequestItems: {
                  [options.tableName]: pending.map((item) => ({
                    PutRequest: { Item: item as Record<string, unknown> },
                  })),
                },
              }),
            );
            pending = (UnprocessedItems?.[options.tableName] ?? []).flatMap((request) =>
              request.PutRequest?.Item === undefined ? [] : [request.PutRequest.Item],
            );
            if (pending.length === 0) return;
          } catch (err) {
            // Throttled as a whole (after the SDK's own retries): same treatment as unprocessed items.
            if (!(err instanceof Error) || !RETRYABLE_ERRORS.has(err.name)) throw err;
            failure = err;
          }
          // Full jitter: a random wait up to an exponentially growing ceiling spreads the retries
          // of concurrent writers instead of synchronising them.
          const delay = Math.random() * Math.min(maxDelay, baseDelay * 2 ** attempt);
          const outOfTime =
            deadline === undefined ? attempt + 1 >= maxAttempts : Date.now() + delay >= deadline;
          if (outOfTime) throw new WriteDeadlineError(pending.length, { cause: failure });
          await sleep(delay);
        }
      };

      // A small pool: `concurrency` workers take the next batch until none are left.
      let next = 0;
      let failed = false;
      const worker = async () => {
        while (!failed && next < batches.length) {
          const batch = batches[next];
          next += 1;
          if (batch === undefined) continue;
          try {
            await writeBatch(batch);
          } catch (err) {
            failed = true; // the other workers stop taking batches; the invocation fails and retries
            throw err;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
      return { requests, retries };
    },
  };
}

/**
 * Groups of 25, one item per key: DynamoDB rejects a batch with two requests for the same key, and
 * CloudTrail can repeat an event. The last copy wins (they are the same event).
 */
export function toBatches(items: readonly object[]): object[][] {
  const byKey = new Map<string, object>();
  for (const item of items) {
    const keyed = item as Record<string, unknown>;
    byKey.set(`${String(keyed[PARTITION_KEY])}\u0000${String(keyed[SORT_KEY])}`, item);
  }
  const unique = [...byKey.values()];
  const batches: object[][] = [];
  for (let i = 0; i < unique.length; i += BATCH_SIZE) batches.push(unique.slice(i, i + BATCH_SIZE));
  return batches;
}
