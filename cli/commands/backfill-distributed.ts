/**
 * The distributed half of `trail-index backfill`: `--distributed` (with `--dry-run`), `--status`,
 * `--attach` and `--redrive`. The single-machine backfill stays the default; a user picks this one
 * by the flag, never by a guess from the range.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { Presets, SingleBar } from 'cli-progress';
import { DEFAULT_RESTORE_DAYS, type RestoreTier } from '../../lambdas/backfill/archive';
import { listingPrefix } from '../../lambdas/backfill/plan';
import { DEFAULT_STACK_NAME } from '../../lambdas/shared/config';
import { estimateBackfill, type Estimate, type RangeInventory } from '../backfill-estimate';
import { readStackOutputs, requireOutput } from '../deployment';
import {
  backfillStatus,
  countRange,
  formatStatus,
  redriveBackfill,
  startBackfill,
  type BackfillStatus,
} from '../distributed-backfill';
import { CliError, UsageError } from '../errors';
import { parseTimeRange } from '../time';

/**
 * Keys one child indexes per second: the slowest of the runs `npm run bench` has measured on the
 * emulators (125 to 388 keys/s, 4 files at a time, 65 KB of JSON each). On AWS each GET waits for
 * S3 (tens of milliseconds), which the 4 files in flight hide in part.
 */
export const MEASURED_KEYS_PER_SECOND_PER_CHILD = 125;
/** The batch function's memory and batch size (lib/constructs/distributed-backfill.ts). */
const LAMBDA_MEMORY_MB = 1024;
const ITEMS_PER_BATCH = 200;
/** DynamoDB write units per indexed event, measured by `npm run bench` (item + 4 GSI copies). */
const WRITE_UNITS_PER_EVENT = 6.31;

export interface DistributedOptions {
  readonly stack?: string | true;
  readonly prefix?: string;
  readonly since?: string;
  readonly until?: string;
  readonly dryRun?: boolean;
  readonly alerts?: boolean;
  readonly account?: string;
  readonly region?: string;
  readonly restoreTier: RestoreTier;
  readonly restoreDays?: number;
  readonly maxConcurrency?: number;
  readonly inventory?: string;
  readonly eventsPerFile: number;
  readonly status?: string | true;
  readonly attach?: string | true;
  readonly redrive?: string | true;
  readonly progress: boolean;
}

const lastExecutionFile = (stack: string) =>
  `.trail-index/backfill-distributed-${stack.replace(/[^A-Za-z0-9._-]/g, '_')}.txt`;

export async function distributedBackfill(options: DistributedOptions): Promise<void> {
  const stackName =
    options.stack === undefined || options.stack === true ? DEFAULT_STACK_NAME : options.stack;
  const sfn = new SFNClient({});
  try {
    const follow = options.status ?? options.attach ?? options.redrive;
    if (follow !== undefined) {
      const arn = follow === true ? await lastExecution(stackName) : follow;
      if (options.redrive !== undefined) {
        await redriveBackfill(sfn, arn);
        process.stderr.write(`Redriving the failed batches of ${arn}\n`);
        await watch(sfn, arn, options.progress);
        return;
      }
      if (options.attach !== undefined) {
        await watch(sfn, arn, options.progress);
        return;
      }
      process.stdout.write(formatStatus(await backfillStatus(sfn, arn)));
      return;
    }
    if (options.stack === undefined)
      throw new UsageError("--distributed runs the deployed stack's backfill: give --stack [NAME]");
    if (options.since === undefined)
      throw new UsageError('--distributed needs --since (and --until, default now)');
    if (options.region !== undefined && options.account === undefined)
      throw new UsageError('--region narrows an --account: give both');
    const parsed = parseTimeRange(options.since, options.until);
    const range = { since: new Date(parsed.since ?? 0), until: new Date(parsed.until ?? Date.now()) };
    const outputs = await readStackOutputs(stackName);
    const bucket = requireOutput(outputs, 'logBucketName', stackName);
    const keyPrefix = options.prefix ?? outputs.logKeyPrefix ?? '';
    const root = keyPrefix === '' ? 'AWSLogs/' : `${keyPrefix.replace(/\/$/, '')}/AWSLogs/`;
    const prefix = listingPrefix(
      {
        logsRoot: root,
        ...(options.account === undefined ? {} : { account: options.account }),
        ...(options.region === undefined ? {} : { region: options.region }),
      },
      range,
    );
    const maxConcurrency = options.maxConcurrency ?? Number(outputs.backfillMaxConcurrency ?? 100);
    if (options.dryRun === true) {
      const s3 = new S3Client({});
      try {
        process.stderr.write(
          `Counting s3://${bucket}/${prefix} from ${range.since.toISOString().slice(0, 10)} to ${range.until.toISOString().slice(0, 10)}...\n`,
        );
        let nextReport = 100_000;
        const inventory = await countRange(s3, { bucket, prefix, range }, (seen) => {
          if (options.progress && seen >= nextReport) {
            process.stderr.write(`  ${seen.toLocaleString('en-US')} objects listed\n`);
            nextReport += 100_000;
          }
        });
        const estimate = estimateBackfill(inventory, {
          restoreTier: options.restoreTier,
          restoreDays: options.restoreDays ?? DEFAULT_RESTORE_DAYS,
          maxConcurrency,
          itemsPerBatch: ITEMS_PER_BATCH,
          keysPerSecondPerChild: MEASURED_KEYS_PER_SECOND_PER_CHILD,
          lambdaMemoryMb: LAMBDA_MEMORY_MB,
          eventsPerFile: options.eventsPerFile,
          writeUnitsPerEvent: WRITE_UNITS_PER_EVENT,
        });
        process.stdout.write(
          formatEstimate(inventory, estimate, { maxConcurrency, restoreTier: options.restoreTier }),
        );
      } finally {
        s3.destroy();
      }
      return;
    }
    const stateMachineArn = requireOutput(outputs, 'backfillStateMachineArn', stackName);
    const inventory = options.inventory === undefined ? undefined : parseS3Uri(options.inventory);
    const arn = await startBackfill(sfn, {
      stateMachineArn,
      bucket,
      prefix,
      range,
      alerts: options.alerts === true,
      restoreTier: options.restoreTier,
      restoreDays: options.restoreDays ?? DEFAULT_RESTORE_DAYS,
      ...(options.maxConcurrency === undefined ? {} : { maxConcurrency: options.maxConcurrency }),
      ...(inventory === undefined ? {} : { inventory }),
    });
    await mkdir(dirname(lastExecutionFile(stackName)), { recursive: true });
    await writeFile(lastExecutionFile(stackName), `${arn}\n`);
    process.stderr.write(
      `Started ${arn}\n(Ctrl-C leaves it running; trail-index backfill --stack --attach shows it again)\n`,
    );
    await watch(sfn, arn, options.progress);
  } finally {
    sfn.destroy();
  }
}

async function lastExecution(stack: string): Promise<string> {
  try {
    return (await readFile(lastExecutionFile(stack), 'utf8')).trim();
  } catch {
    throw new UsageError(`no distributed backfill started from here for ${stack}: give the execution ARN`);
  }
}

function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (match === null)
    throw new UsageError(`--inventory must be s3://bucket/path/manifest.json (got "${uri}")`);
  return { bucket: match[1] ?? '', key: match[2] ?? '' };
}

const DONE = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);
/** Seconds between looks at a running execution. */
const POLL_MS = 10_000;

/** Follows an execution until it ends, with a progress bar on a terminal; Ctrl-C only stops watching. */
async function watch(sfn: SFNClient, arn: string, progress: boolean): Promise<void> {
  let stop = false;
  const onSignal = () => {
    stop = true;
  };
  process.on('SIGINT', onSignal);
  const bar =
    progress && process.stderr.isTTY === true
      ? new SingleBar(
          {
            format:
              'round {round} [{bar}] {value}/{total} batches | {indexed} indexed, {failed} failed, {restoring} restoring',
            stream: process.stderr,
            hideCursor: true,
          },
          Presets.shades_classic,
        )
      : undefined;
  let status: BackfillStatus | undefined;
  try {
    bar?.start(1, 0, { round: 1, indexed: 0, failed: 0, restoring: 0 });
    for (;;) {
      status = await backfillStatus(sfn, arn);
      const values = {
        round: status.round,
        indexed: status.totals.indexed ?? 0,
        failed: status.totals.failed ?? 0,
        restoring: status.restoring,
      };
      if (bar !== undefined) {
        bar.setTotal(Math.max(status.items?.total ?? 1, 1));
        bar.update((status.items?.succeeded ?? 0) + (status.items?.failed ?? 0), values);
      } else if (progress) {
        process.stderr.write(
          `${status.status}: round ${values.round}, ${values.indexed} indexed, ${values.failed} failed, ${values.restoring} restoring\n`,
        );
      }
      if (DONE.has(status.status) || stop) break;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      if (stop) break;
    }
  } finally {
    bar?.stop();
    process.off('SIGINT', onSignal);
  }
  if (status === undefined) return;
  process.stdout.write(formatStatus(status));
  if (!DONE.has(status.status)) {
    process.stderr.write('Still running. trail-index backfill --stack --attach shows it again.\n');
    return;
  }
  if (status.status !== 'SUCCEEDED')
    throw new CliError(
      `the backfill ${status.status.toLowerCase()}; trail-index backfill --stack --redrive reruns its failed batches`,
    );
}

const money = (n: number) => `$${n.toFixed(2)}`;
const gb = (bytes: number) => `${(bytes / 1e9).toFixed(2)} GB`;

export function formatEstimate(
  inventory: RangeInventory,
  e: Estimate,
  how: { maxConcurrency: number; restoreTier: RestoreTier },
): string {
  const classes = Object.entries(inventory.byClass).sort(([a], [b]) => a.localeCompare(b));
  const lines = [
    `Log files in range: ${e.objects.toLocaleString('en-US')} (${gb(e.bytes)})`,
    ...classes.map(
      ([cls, c]) => `  ${cls.padEnd(20)} ${c.objects.toLocaleString('en-US').padStart(12)}  ${gb(c.bytes)}`,
    ),
    `Archived, to restore first (${how.restoreTier} tier): ${e.archivedObjects.toLocaleString('en-US')} (${gb(e.archivedBytes)})`,
    '',
    `Estimated time at ${how.maxConcurrency} children of ${MEASURED_KEYS_PER_SECOND_PER_CHILD} files/s: ${e.hours.indexing} h indexing` +
      (e.hours.restoreWait > 0
        ? ` + up to ${e.hours.restoreWait} h waiting for restores = ${e.hours.total} h`
        : ''),
    `Estimated cost: ${money(e.dollars.total)}`,
    `  restore requests   ${money(e.dollars.restoreRequests)}`,
    `  restore retrieval  ${money(e.dollars.restoreRetrieval)}`,
    `  restored copies    ${money(e.dollars.restoredCopies)}`,
    `  S3 GET/HEAD/LIST   ${money(e.dollars.s3Requests)}`,
    `  Step Functions     ${money(e.dollars.stepFunctions)} (${e.childExecutions.toLocaleString('en-US')} child executions)`,
    `  Lambda             ${money(e.dollars.lambda)}`,
    `  DynamoDB writes    ${money(e.dollars.dynamodb)}`,
    `  KMS (at most)      ${money(e.dollars.kms)}`,
    '',
    'Nothing was started. Prices: us-east-1 list prices (cli/prices.ts); assumptions in the README.',
  ];
  return `${lines.join('\n')}\n`;
}
