/**
 * `trail-index backfill --distributed`: counts a range for a dry run, starts the deployed state
 * machine, shows an execution's progress and redrives its failed items. Step Functions and S3 are
 * reached through the SDK's standard settings only (`AWS_ENDPOINT_URL_SFN`, `AWS_ENDPOINT_URL_S3`).
 */
import { randomUUID } from 'node:crypto';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  GetExecutionHistoryCommand,
  ListMapRunsCommand,
  RedriveExecutionCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { RestoreTier } from '../lambdas/backfill/archive';
import type { Totals } from '../lambdas/backfill/collect';
import { type BackfillRange, deliveryDay, inRange } from '../lambdas/backfill/plan';
import type { RangeInventory } from './backfill-estimate';

/** Counts the log files of the range under `prefix`, by storage class, as the backfill would list them. */
export async function countRange(
  s3: S3Client,
  where: { bucket: string; prefix: string; range: BackfillRange },
  onPage?: (seen: number) => void,
): Promise<RangeInventory> {
  const byClass: Record<string, { objects: number; bytes: number }> = {};
  let listRequests = 0;
  let seen = 0;
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: where.bucket, Prefix: where.prefix, ContinuationToken: token }),
    );
    listRequests += 1;
    for (const object of page.Contents ?? []) {
      seen += 1;
      const key = object.Key ?? '';
      if (deliveryDay(key) === undefined || !inRange(key, where.range)) continue;
      const cls = object.StorageClass ?? 'STANDARD';
      const count = (byClass[cls] ??= { objects: 0, bytes: 0 });
      count.objects += 1;
      count.bytes += object.Size ?? 0;
    }
    onPage?.(seen);
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return { byClass: byClass, listRequests };
}

export interface StartRequest {
  readonly stateMachineArn: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly range: BackfillRange;
  readonly alerts: boolean;
  readonly restoreTier: RestoreTier;
  readonly restoreDays: number;
  readonly maxConcurrency?: number;
  /** An S3 Inventory manifest to read the items from instead of listing. */
  readonly inventory?: { readonly bucket: string; readonly key: string };
}

/** The state machine's input: what the Start state completes with its defaults. */
export function executionInput(request: StartRequest): Record<string, unknown> {
  return {
    bucket: request.bucket,
    prefix: request.prefix,
    since: request.range.since.toISOString(),
    until: request.range.until.toISOString(),
    alerts: request.alerts,
    restoreTier: request.restoreTier,
    restoreDays: request.restoreDays,
    ...(request.maxConcurrency === undefined ? {} : { maxConcurrency: request.maxConcurrency }),
    ...(request.inventory === undefined ? {} : { inventory: request.inventory }),
  };
}

export async function startBackfill(sfn: SFNClient, request: StartRequest): Promise<string> {
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn: request.stateMachineArn,
      // Execution names: 1-80 characters of letters, digits, '-' and '_' ("StartExecution").
      name: `backfill-${day(request.range.since)}-${day(request.range.until)}-${randomUUID().slice(0, 8)}`,
      input: JSON.stringify(executionInput(request)),
    }),
  );
  if (executionArn === undefined) throw new Error('StartExecution returned no execution ARN');
  return executionArn;
}

export interface BackfillStatus {
  readonly executionArn: string;
  /** RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE. */
  readonly status: string;
  readonly startDate?: Date;
  readonly stopDate?: Date;
  /** The round in progress (1: the listing; later ones re-read what was restoring). */
  readonly round: number;
  /** The current round's Map Run: its children's items. */
  readonly items?: {
    readonly total: number;
    readonly succeeded: number;
    readonly failed: number;
    readonly running: number;
    readonly pending: number;
  };
  /** Over the finished rounds: keys indexed, failed, restores requested; and what is restoring. */
  readonly totals: Totals;
  readonly restoring: number;
  readonly error?: string;
}

export async function backfillStatus(sfn: SFNClient, executionArn: string): Promise<BackfillStatus> {
  const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  const { mapRuns = [] } = await sfn.send(new ListMapRunsCommand({ executionArn }));
  const latest = mapRuns.sort((a, b) => (b.startDate?.getTime() ?? 0) - (a.startDate?.getTime() ?? 0))[0];
  let items: BackfillStatus['items'];
  if (latest?.mapRunArn !== undefined) {
    const run = await sfn.send(new DescribeMapRunCommand({ mapRunArn: latest.mapRunArn }));
    const c = run.itemCounts;
    if (c !== undefined)
      items = {
        total: c.total ?? 0,
        succeeded: c.succeeded ?? 0,
        failed: (c.failed ?? 0) + (c.timedOut ?? 0) + (c.aborted ?? 0),
        running: c.running ?? 0,
        pending: c.pending ?? 0,
      };
  }
  // The last round's results, from the state that carries them to the next round.
  const { events = [] } = await sfn.send(
    new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 100 }),
  );
  let round = 1;
  let totals: Totals = {};
  let restoring = 0;
  for (const event of events) {
    const exited = event.stateExitedEventDetails;
    if (exited?.name?.startsWith('NextRound') !== true || exited.output === undefined) continue;
    const carried = JSON.parse(exited.output) as { round?: number; totals?: Totals; pending?: number };
    round = carried.round ?? round;
    totals = carried.totals ?? {};
    restoring = carried.pending ?? 0;
    break;
  }
  return {
    executionArn,
    status: execution.status ?? 'UNKNOWN',
    ...(execution.startDate === undefined ? {} : { startDate: execution.startDate }),
    ...(execution.stopDate === undefined ? {} : { stopDate: execution.stopDate }),
    round,
    ...(items === undefined ? {} : { items }),
    totals,
    restoring,
    ...(execution.error === undefined ? {} : { error: `${execution.error}: ${execution.cause ?? ''}` }),
  };
}

/** Reruns the failed child executions of the execution's Map Runs (Step Functions redrive). */
export async function redriveBackfill(sfn: SFNClient, executionArn: string): Promise<void> {
  await sfn.send(new RedriveExecutionCommand({ executionArn }));
}

export function formatStatus(s: BackfillStatus): string {
  const t = s.totals;
  const lines = [
    `Execution: ${s.executionArn}`,
    `Status:    ${s.status}${s.error === undefined ? '' : ` (${s.error})`}`,
    `Round:     ${s.round}${s.round > 1 ? ' (re-reading files that were being restored)' : ''}`,
  ];
  if (s.items !== undefined) {
    const i = s.items;
    lines.push(
      `This round: ${i.succeeded + i.failed}/${i.total} batches done (${i.succeeded} succeeded, ${i.failed} failed, ${i.running} running)`,
    );
  }
  lines.push(
    `Log files: ${t.indexed ?? 0} indexed, ${t.skipped ?? 0} skipped, ${t['out-of-range'] ?? 0} out of range, ${t.failed ?? 0} failed, ${s.restoring} restoring (${t['restore-requested'] ?? 0} restores requested)`,
  );
  return `${lines.join('\n')}\n`;
}
