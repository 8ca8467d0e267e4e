import { createRequire } from 'node:module';
import { S3Client } from '@aws-sdk/client-s3';
import { Presets, SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import type * as IndexerCore from '../../lambdas/indexer/process-log-file';
import type * as IndexerDeps from '../../lambdas/indexer/deps';
import { IndexerConfig, readIndexingSettings } from '../../lambdas/indexer/config';
import { normaliseKeyPrefix, type LogSource } from '../../lambdas/indexer/log-source';
import { ConfigError } from '../../lambdas/indexer/errors';
import type { FileResult } from '../../lambdas/indexer/types';
import { DEFAULT_INDEXED_SOURCES, DEFAULT_STACK_NAME, ENV, STACK_OUTPUT } from '../../lambdas/shared/config';
import { safeText } from '../../lambdas/shared/safe-text';
import { addAwsOptions } from '../aws-options';
import { BackfillError, BackfillProgress, BackfillReport, runBackfill, Volume } from '../backfill';
import { BackfillCheckpoint, defaultCheckpointPath } from '../checkpoint';
import { DeployedSettings, deployedSettings, readStackOutputs, requireOutput } from '../deployment';
import { CliError, UsageError } from '../errors';
import { parseTimeRange } from '../time';
import { distributedBackfill, type DistributedOptions } from './backfill-distributed';

interface BackfillCommandOptions extends IndexerTuning {
  readonly stack?: string | true;
  readonly bucket?: string;
  readonly table?: string;
  readonly alertTopic?: string;
  readonly prefix?: string;
  readonly since?: string;
  readonly until?: string;
  readonly dryRun?: boolean;
  readonly alerts?: boolean;
  readonly concurrency: number;
  readonly checkpoint?: string;
  readonly restart?: boolean;
  readonly maxFiles?: number;
  readonly progress: boolean;
  readonly distributed?: boolean;
}

/** Indexer settings given on the command line; they win over the stack's outputs. */
export interface IndexerTuning {
  readonly sources?: string;
  readonly retentionDays?: number;
  readonly debug?: boolean;
}

export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

/** Adds `--sources` and `--retention-days`; with `--stack`, the stack's outputs give both. */
export function addIndexerOptions(command: Command): Command {
  return command
    .option(
      '--sources <list>',
      `comma-separated event sources to index (default: the stack's ${STACK_OUTPUT.indexedSources} output, else ${ENV.indexedSources}, else ${DEFAULT_INDEXED_SOURCES.join(',')})`,
    )
    .option(
      '--retention-days <n>',
      `days to keep indexed events (default: the stack's ${STACK_OUTPUT.indexRetentionDays} output, else ${ENV.retentionDays}, else forever)`,
      positiveInteger,
    );
}

/**
 * The indexer's dependencies for a table and topic, loaded only now: its logger reads its level
 * when its module loads. Its structured logs would bury the report, so they are off unless
 * `--debug` (then they go to stdout as JSON, as in Lambda).
 */
export function loadIndexer(
  target: { tableName: string; alertTopicArn: string; logSource: LogSource; settings?: DeployedSettings },
  tuning: IndexerTuning,
): { deps: ReturnType<typeof IndexerDeps.defaultDeps>; core: typeof IndexerCore } {
  if (tuning.debug !== true) {
    process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  }
  const load = createRequire(__filename);
  const { defaultDeps } = load('../../lambdas/indexer/deps') as typeof IndexerDeps;
  const core = load('../../lambdas/indexer/process-log-file') as typeof IndexerCore;
  // Flags first, then the stack's outputs, then the environment; parsed and checked exactly as
  // the Lambda parses its own environment.
  const first = (...values: (string | number | undefined)[]) => values.find((v) => v !== undefined);
  let settings: ReturnType<typeof readIndexingSettings>;
  try {
    settings = readIndexingSettings({
      [ENV.indexedSources]: first(
        tuning.sources,
        target.settings?.sources,
        process.env[ENV.indexedSources],
      )?.toString(),
      [ENV.retentionDays]: first(
        tuning.retentionDays,
        target.settings?.retentionDays,
        process.env[ENV.retentionDays],
      )?.toString(),
    });
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, { cause: err });
    throw err;
  }
  const config: IndexerConfig = {
    tableName: target.tableName,
    alertTopicArn: target.alertTopicArn,
    logSource: target.logSource,
    ...settings,
  };
  return { deps: defaultDeps(config), core };
}

export function backfillCommand(): Command {
  const command = new Command('backfill')
    .summary('index log files already in the trail bucket')
    .description(
      'Index CloudTrail log files already in the trail bucket with the indexer core: the same items, ' +
        'idempotency and alert markers as the Lambda. Lists only the account, region and day folders in ' +
        'range, skips digest and Insights files, processes files in parallel and records each finished ' +
        'file in a checkpoint, so that an interrupted run resumes where it stopped.',
    )
    .addOption(
      new Option(
        '--stack [name]',
        `read the bucket, table and alert topic from the stack's outputs (default name: ${DEFAULT_STACK_NAME})`,
      ),
    )
    .option('--bucket <name>', 'the trail bucket (instead of, or overriding, the stack output)')
    .option('--table <name>', 'the index table (instead of, or overriding, the stack output)')
    .option('--alert-topic <arn>', 'the alert topic (instead of, or overriding, the stack output)')
    .option('--prefix <prefix>', "the trail's S3 key prefix, if it has one (the part before AWSLogs/)")
    .option('--since <date>', 'first day folder (UTC): a date, an ISO-8601 time or a duration ago (7d)')
    .option('--until <date>', 'last day folder (UTC, inclusive), same forms')
    .option('--dry-run', 'list and count the files and bytes, index nothing')
    .option('--alerts', 'publish alerts for vault deletions found (each once, as the Lambda does)')
    .option('--concurrency <n>', 'log files processed at the same time', positiveInteger, 8)
    .option('--checkpoint <file>', 'checkpoint file (default: .trail-index/backfill-<stack or bucket>.json)')
    .option('--restart', 'ignore the checkpoint and start over (it is then rewritten)')
    .option('--max-files <n>', 'stop after this many files (run again to continue)', positiveInteger)
    .option('--no-progress', 'no progress bar or progress lines')
    .option(
      '--distributed',
      "run on the deployed stack's Step Functions backfill (Distributed Map) instead of this machine: for years of history and archived files",
    )
    .option('--account <id>', 'with --distributed: only this account')
    .option('--region <region>', 'with --distributed and --account: only this region')
    .addOption(
      new Option(
        '--restore-tier <tier>',
        'with --distributed: the retrieval tier for archived files (never Expedited)',
      )
        .choices(['Bulk', 'Standard'])
        .default('Bulk'),
    )
    .option(
      '--restore-days <n>',
      'with --distributed: days a restored copy is kept (default 3)',
      positiveInteger,
    )
    .option(
      '--max-concurrency <n>',
      "with --distributed: child executions at once (default: the stack's)",
      positiveInteger,
    )
    .option('--inventory <s3-uri>', 'with --distributed: read the files from this S3 Inventory manifest.json')
    .option(
      '--events-per-file <n>',
      'with --distributed --dry-run: Glacier and Support events per file, for the estimate',
      Number,
      1,
    )
    .addOption(
      new Option(
        '--status [execution-arn]',
        "a distributed backfill's progress (default: the last started here)",
      ),
    )
    .addOption(
      new Option(
        '--attach [execution-arn]',
        'follow a distributed backfill until it ends (Ctrl-C stops watching only)',
      ),
    )
    .addOption(new Option('--redrive [execution-arn]', "rerun a distributed backfill's failed batches"));
  addIndexerOptions(command);
  addAwsOptions(command);
  command.addHelpText(
    'after',
    `
The day folders are those of delivery (the time in the file name), in UTC; a file may hold events
from a little earlier. Failed files are listed at the end (exit code 1) and left out of the
checkpoint, so the next run retries them. Ctrl-C finishes the files in progress, saves the
checkpoint and stops; run the same command again to resume.

Examples:
  trail-index backfill --stack --since 2026-01-01 --dry-run
  trail-index backfill --stack --since 90d --concurrency 16
  trail-index backfill --stack MyTrailIndex --prefix audit --since 2026-11-01 --until 2026-11-15 --alerts

Years of history, archived files included, on AWS's own engine (see the README):
  trail-index backfill --stack --distributed --since 2019-01-01 --dry-run
  trail-index backfill --stack --distributed --since 2019-01-01
  trail-index backfill --stack --status`,
  );
  return command.action(async (options: BackfillCommandOptions & DistributedOptions, cmd: Command) => {
    if (
      options.distributed === true ||
      options.status !== undefined ||
      options.attach !== undefined ||
      options.redrive !== undefined
    ) {
      await distributedBackfill(options);
      return;
    }
    await backfill({ ...options, debug: cmd.optsWithGlobals<{ debug?: boolean }>().debug === true });
  });
}

async function backfill(options: BackfillCommandOptions): Promise<void> {
  const range = parseTimeRange(options.since, options.until);
  const target = await resolveTarget(options);
  // The stack says where an attached trail's files are; --prefix overrides it.
  const prefix = normaliseKeyPrefix(options.prefix ?? target.prefix);
  const checkpointPath = options.checkpoint ?? defaultCheckpointPath(target.name);
  const scope = { bucket: target.bucket, prefix };
  const checkpoint =
    options.restart === true
      ? BackfillCheckpoint.fresh(options.dryRun === true ? undefined : checkpointPath, scope)
      : await BackfillCheckpoint.load(checkpointPath, scope);

  const s3 = new S3Client({});
  const indexer =
    options.dryRun === true
      ? undefined
      : loadIndexer(
          {
            tableName: target.table ?? '',
            alertTopicArn: target.alertTopic ?? '',
            logSource: { bucket: target.bucket, prefix },
            ...(target.settings === undefined ? {} : { settings: target.settings }),
          },
          options,
        );
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
    process.stderr.write(
      '\nStopping after the files in progress; the checkpoint keeps what is done. (Ctrl-C again to quit now.)\n',
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let report: BackfillReport;
  try {
    process.stderr.write(`Listing s3://${target.bucket}/${prefix}AWSLogs/ ${describeRange(range)}...\n`);
    report = await runBackfill(
      {
        s3,
        processFile: (file, opts) =>
          indexer === undefined
            ? Promise.reject(new CliError('dry run'))
            : indexer.core.processLogFile(indexer.deps, file, opts),
      },
      {
        bucket: target.bucket,
        prefix,
        ...range,
        dryRun: options.dryRun === true,
        alerts: options.alerts === true,
        concurrency: options.concurrency,
        checkpoint,
        ...(options.maxFiles === undefined ? {} : { maxFiles: options.maxFiles }),
        signal: controller.signal,
        ...(options.progress ? { progress: createProgress() } : {}),
      },
    );
  } catch (err) {
    // The core's own errors (interrupted while listing) are messages for the user, not bugs.
    if (err instanceof BackfillError) throw new CliError(err.message, { cause: err });
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    s3.destroy();
  }
  process.stdout.write(
    formatBackfillReport(report, { checkpointPath, alerts: options.alerts === true, range }),
  );
  if (report.failed.length > 0) {
    throw new CliError(
      `${report.failed.length} log file${report.failed.length === 1 ? '' : 's'} failed (listed above); run again to retry them`,
    );
  }
  if (report.interrupted) throw new CliError('interrupted: run the same command again to resume');
}

interface Target {
  readonly bucket: string;
  readonly table?: string;
  readonly alertTopic?: string;
  /** For the default checkpoint file name. */
  readonly name: string;
  /** The trail's key prefix, from the stack's outputs. */
  readonly prefix?: string;
  readonly settings?: DeployedSettings;
}

async function resolveTarget(options: BackfillCommandOptions): Promise<Target> {
  let target: Target;
  if (options.stack !== undefined) {
    const stackName = options.stack === true ? DEFAULT_STACK_NAME : options.stack;
    const outputs = await readStackOutputs(stackName);
    target = {
      name: stackName,
      bucket: options.bucket ?? requireOutput(outputs, 'logBucketName', stackName),
      ...(outputs.logKeyPrefix === undefined ? {} : { prefix: outputs.logKeyPrefix }),
      table: options.table ?? requireOutput(outputs, 'tableName', stackName),
      alertTopic: options.alertTopic ?? requireOutput(outputs, 'alertTopicArn', stackName),
      settings: deployedSettings(outputs),
    };
  } else if (options.bucket !== undefined) {
    target = {
      name: options.bucket,
      bucket: options.bucket,
      ...(options.table === undefined ? {} : { table: options.table }),
      ...(options.alertTopic === undefined ? {} : { alertTopic: options.alertTopic }),
    };
  } else {
    throw new UsageError(
      `which deployment? Give --stack [NAME] (default ${DEFAULT_STACK_NAME}), or --bucket NAME with --table NAME`,
    );
  }
  if (options.dryRun !== true && target.table === undefined) {
    throw new UsageError('--table NAME is needed with --bucket (or use --stack)');
  }
  if (options.alerts === true && target.alertTopic === undefined) {
    throw new UsageError('--alerts needs --alert-topic ARN (or use --stack)');
  }
  return target;
}

function describeRange(range: { since?: string; until?: string }): string {
  const since = range.since?.slice(0, 10);
  const until = range.until?.slice(0, 10);
  if (since !== undefined && until !== undefined) return `from ${since} to ${until}`;
  if (since !== undefined) return `from ${since}`;
  if (until !== undefined) return `up to ${until}`;
  return '(all days)';
}

/** A progress bar on a terminal; elsewhere a line every 10% (and at the end), on stderr. */
function createProgress(): BackfillProgress {
  let total: Volume = { files: 0, bytes: 0 };
  let failed = 0;
  if (process.stderr.isTTY === true) {
    const bar = new SingleBar(
      {
        format:
          'backfill [{bar}] {percentage}% | {value}/{total} files | {done} of {size} | {failed} failed | ETA {eta_formatted}',
        hideCursor: true,
        stream: process.stderr,
        etaBuffer: 50,
      },
      Presets.shades_classic,
    );
    return {
      planned(volume) {
        total = volume;
        bar.start(volume.files, 0, { done: formatBytes(0), size: formatBytes(volume.bytes), failed: 0 });
      },
      advanced(done, file: FileResult) {
        if (file.status === 'failed') failed += 1;
        bar.update(done.files, { done: formatBytes(done.bytes), failed });
      },
      finished() {
        bar.stop();
      },
    };
  }
  let nextStep = 1;
  return {
    planned(volume) {
      total = volume;
      process.stderr.write(`backfill: ${volume.files} files, ${formatBytes(volume.bytes)} to process\n`);
    },
    advanced(done, file: FileResult) {
      if (file.status === 'failed') failed += 1;
      const step = Math.floor((done.files * 10) / Math.max(total.files, 1));
      if (step < nextStep) return;
      nextStep = step + 1;
      process.stderr.write(
        `backfill: ${done.files}/${total.files} files (${Math.floor((done.files * 100) / Math.max(total.files, 1))}%), ` +
          `${formatBytes(done.bytes)} of ${formatBytes(total.bytes)}, ${failed} failed\n`,
      );
    },
    finished() {},
  };
}

export function formatBackfillReport(
  report: BackfillReport,
  context: { checkpointPath: string; alerts: boolean; range: { since?: string; until?: string } },
): string {
  const lines: string[] = [];
  const where = `s3://${report.bucket}/${report.prefix}AWSLogs/ ${describeRange(context.range)}`;
  lines.push(`${report.dryRun ? 'Dry run: would backfill' : 'Backfilled'} ${where}`);
  if (report.locations.length > 0) {
    lines.push('');
    const rows = [
      ['ACCOUNT', 'REGION', 'DAYS', 'FILES', 'SIZE'],
      ...report.locations.map((l) => [
        l.organization === undefined ? l.account : `${l.organization}/${l.account}`,
        l.region,
        String(l.days),
        String(l.files),
        formatBytes(l.bytes),
      ]),
    ];
    lines.push(...alignRows(rows, [false, false, true, true, true]).map((line) => `  ${line}`));
  }
  lines.push('');
  const accounts = new Set(report.locations.map((l) => l.account)).size;
  const regions = new Set(report.locations.map((l) => l.region)).size;
  lines.push(
    `Listed:        ${count(report.listed.files, 'log file')}, ${formatBytes(report.listed.bytes)} ` +
      `(${count(accounts, 'account')}, ${count(regions, 'region')})` +
      (report.otherObjects > 0
        ? `; ${count(report.otherObjects, 'other object')} in day folders skipped`
        : ''),
  );
  if (report.alreadyDone.files > 0) {
    lines.push(
      `Already done:  ${count(report.alreadyDone.files, 'file')}, ${formatBytes(report.alreadyDone.bytes)} (checkpoint ${context.checkpointPath})`,
    );
  }
  if (report.dryRun) {
    lines.push(
      `To process:    ${count(report.remaining.files, 'file')}, ${formatBytes(report.remaining.bytes)}`,
    );
    return `${lines.map(safeText).join('\n')}\n`;
  }
  lines.push(
    `Processed:     ${count(report.processed.files, 'file')}, ${formatBytes(report.processed.bytes)}: ` +
      `${report.indexed} indexed, ${report.skipped} skipped, ${report.failed.length} failed`,
  );
  const events = Object.values(report.eventsIndexed).reduce((n, c) => n + c, 0);
  const bySource = Object.entries(report.eventsIndexed)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([source, n]) => `${source} ${n}`);
  lines.push(`Events:        ${events} indexed${bySource.length > 0 ? ` (${bySource.join(', ')})` : ''}`);
  const names = Object.entries(report.eventNames).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  if (names.length > 0) {
    lines.push(`               ${names.map(([name, n]) => `${name} ${n}`).join(', ')}`);
  }
  lines.push(
    context.alerts
      ? `Alerts:        ${report.alertsPublished} published`
      : 'Alerts:        off (--alerts publishes them, each once)',
  );
  if (report.remaining.files > 0) {
    lines.push(
      `Remaining:     ${count(report.remaining.files, 'file')}, ${formatBytes(report.remaining.bytes)}` +
        `${report.interrupted ? ' (interrupted)' : ''}: run the same command again to continue`,
    );
  }
  if (report.processed.files > 0 || report.alreadyDone.files > 0) {
    lines.push(`Checkpoint:    ${context.checkpointPath}`);
  }
  if (report.failed.length > 0) {
    lines.push('', 'Failed files (not checkpointed; the next run retries them):');
    lines.push(
      ...alignRows(
        report.failed.map((f) => [f.reason, f.key]),
        [false, false],
      ).map((l) => `  ${l}`),
    );
  }
  return `${lines.map(safeText).join('\n')}\n`;
}

function alignRows(rows: readonly string[][], rightAligned: readonly boolean[]): string[] {
  const widths = rightAligned.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, i) =>
        i === r.length - 1 && rightAligned[i] !== true
          ? cell
          : rightAligned[i] === true
            ? cell.padStart(widths[i] ?? 0)
            : cell.padEnd(widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd(),
  );
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit] ?? 'TB'}`;
}
