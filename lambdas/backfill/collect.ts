/**
 * Between rounds of the distributed backfill: read what the round's Map wrote (its ResultWriter
 * manifest and result files), add up the statuses, and list the keys still waiting for a restore,
 * for the next round to read (a JSON item list). Children that failed after their retries count
 * their keys as failed; `trail-index backfill --redrive` runs them again.
 *
 * ResultWriter's layout (Step Functions Developer Guide, "ResultWriter"): `manifest.json` lists the
 * result files by status, each a JSON array of child executions with their `Input` and `Output`.
 */
import type { BatchResult, KeyStatus } from './batch';

export interface ResultStore {
  read(bucket: string, key: string): Promise<string>;
  write(bucket: string, key: string, text: string): Promise<void>;
}

export type Totals = Partial<Record<KeyStatus | 'failed-batches', number>>;

export interface CollectInput {
  readonly round: number;
  /** What the Map state returned with a ResultWriter. */
  readonly mapResult: { readonly ResultWriterDetails: { readonly Bucket: string; readonly Key: string } };
  /** The totals of the earlier rounds. */
  readonly totals?: Totals;
}

export interface CollectOutput {
  /** The next round's number. */
  readonly round: number;
  /** Keys still archived (restore requested or restoring). */
  readonly pending: number;
  /** Where they are listed, for the next round's item reader. */
  readonly pendingBucket: string;
  readonly pendingKey: string;
  /** Over every round: indexed, skipped and failed keys; restores requested; failed batches. */
  readonly totals: Totals;
  /** This round's counts. */
  readonly lastRound: Totals;
}

interface ChildExecution {
  readonly Status?: string;
  readonly Input?: string;
  readonly Output?: string;
}

export class ResultFormatError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'ResultFormatError';
  }
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ResultFormatError(`${what} is not JSON: ${(err as Error).message}`);
  }
}

export async function collect(store: ResultStore, input: CollectInput): Promise<CollectOutput> {
  const { Bucket: bucket, Key: manifestKey } = input.mapResult.ResultWriterDetails;
  const manifest = parseJson(await store.read(bucket, manifestKey), `s3://${bucket}/${manifestKey}`) as {
    ResultFiles?: Record<string, { Key: string }[]>;
  };
  const round: Totals = {};
  const add = (status: keyof Totals, n = 1) => {
    round[status] = (round[status] ?? 0) + n;
  };
  const pending: { Key: string; StorageClass?: string }[] = [];
  for (const [status, files] of Object.entries(manifest.ResultFiles ?? {})) {
    for (const file of files) {
      const children = parseJson(await store.read(bucket, file.Key), `s3://${bucket}/${file.Key}`);
      if (!Array.isArray(children)) throw new ResultFormatError(`s3://${bucket}/${file.Key} is not a list`);
      for (const child of children as ChildExecution[]) {
        if (status === 'SUCCEEDED' && typeof child.Output === 'string') {
          const result = parseJson(child.Output, 'a batch result') as BatchResult;
          for (const r of result.results ?? []) {
            add(r.status);
            if (r.status === 'restore-requested' || r.status === 'restoring') {
              pending.push({
                Key: r.key,
                ...(r.storageClass === undefined ? {} : { StorageClass: r.storageClass }),
              });
            }
          }
        } else {
          // A batch that failed (or was left pending): its keys are failed until redriven.
          add('failed-batches');
          const items =
            typeof child.Input === 'string'
              ? (parseJson(child.Input, 'a batch input') as { Items?: unknown[] }).Items
              : undefined;
          add('failed', Array.isArray(items) ? items.length : 0);
        }
      }
    }
  }
  // Restores requested in this round are still pending in the totals only once they are done.
  const totals: Totals = { ...(input.totals ?? {}) };
  for (const [status, n] of Object.entries(round) as [keyof Totals, number][]) {
    if (status === 'restoring') continue;
    totals[status] = (totals[status] ?? 0) + n;
  }
  const pendingKey = manifestKey.replace(/manifest\.json$/, `pending-round-${input.round}.json`);
  await store.write(bucket, pendingKey, JSON.stringify(pending));
  return {
    round: input.round + 1,
    pending: pending.length,
    pendingBucket: bucket,
    pendingKey,
    totals,
    lastRound: round,
  };
}
