import { createRequire } from 'node:module';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Command, Option } from 'commander';
import type * as CreateHandler from '../../lambdas/indexer/create-handler';
import { DEFAULT_STACK_NAME } from '../../lambdas/shared/config';
import { normaliseKeyPrefix, type LogSource } from '../../lambdas/indexer/log-source';
import { safeText } from '../../lambdas/shared/safe-text';
import { addAwsOptions } from '../aws-options';
import { DeployedSettings, deployedSettings, readStackOutputs, requireOutput } from '../deployment';
import { CliError, UsageError } from '../errors';
import { QUEUE_LABEL, RedriveOutcome, RedriveQueue, RedriveReport, runRedrive } from '../redrive';
import { addIndexerOptions, IndexerTuning, loadIndexer, positiveInteger } from './backfill';

interface RedriveCommandOptions extends IndexerTuning {
  readonly stack?: string | true;
  readonly table?: string;
  readonly alertTopic?: string;
  readonly bucket?: string;
  readonly prefix?: string;
  readonly failureQueue?: string;
  readonly deadLetterQueue?: string;
  readonly dryRun?: boolean;
  readonly max?: number;
  readonly visibilityTimeout: number;
}

export function redriveCommand(): Command {
  const command = new Command('redrive')
    .summary('reprocess the notifications the indexer failed on')
    .description(
      "Reprocess the notifications in the indexer's failure destination (Lambda invocation records) and " +
        "in the SNS subscription's dead-letter queue (SNS envelopes), through the same handler as the " +
        'Lambda, on this machine. A message is deleted only after its event was handled; what still fails ' +
        'stays in its queue, visible again, and is reported with the reason.',
    )
    .addOption(
      new Option(
        '--stack [name]',
        `read the queues, table, alert topic and trail bucket from the stack's outputs (default name: ${DEFAULT_STACK_NAME})`,
      ),
    )
    .option('--table <name>', 'the index table (instead of, or overriding, the stack output)')
    .option('--alert-topic <arn>', 'the alert topic (instead of, or overriding, the stack output)')
    .option(
      '--bucket <name>',
      'the trail bucket, the only one read (instead of, or overriding, the stack output): a message naming another is refused',
    )
    .option('--prefix <prefix>', "the trail's S3 key prefix, if it has one (the part before AWSLogs/)")
    .option(
      '--failure-queue <url>',
      "the failure destination queue's URL (instead of, or overriding, the stack output)",
    )
    .option(
      '--dead-letter-queue <url>',
      "the subscription DLQ's URL (instead of, or overriding, the stack output)",
    )
    .option('--dry-run', 'receive and list the messages and the files they name, change nothing')
    .option('--max <n>', 'handle at most this many messages', positiveInteger)
    .addOption(
      new Option('--visibility-timeout <seconds>', 'how long messages stay hidden while this run holds them')
        .argParser(positiveInteger)
        .default(900),
    );
  addIndexerOptions(command);
  addAwsOptions(command);
  command.addHelpText(
    'after',
    `
The handler publishes alerts as the Lambda does (each vault deletion once, whatever the retries).
Messages that are neither an invocation record nor an SNS notification are reported, never deleted.
Only files in the trail bucket under its prefix are read: a message naming another bucket or key
(one planted in a queue, say) is refused, reported and kept, and nothing of it is read with your
credentials.
Exit code 1 when anything is left in a queue.

Examples:
  trail-index redrive --stack --dry-run
  trail-index redrive --stack --max 10`,
  );
  return command.action(async (options: RedriveCommandOptions, cmd: Command) => {
    await redrive({ ...options, debug: cmd.optsWithGlobals<{ debug?: boolean }>().debug === true });
  });
}

async function redrive(options: RedriveCommandOptions): Promise<void> {
  const target = await resolveTarget(options);
  const { deps } = loadIndexer(target, options);
  const { createHandler } = createRequire(__filename)(
    '../../lambdas/indexer/create-handler',
  ) as typeof CreateHandler;
  const handler = createHandler(deps);
  // Queue URLs come from the stack; the endpoint comes from the region (or AWS_ENDPOINT_URL_SQS).
  const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
  let report: RedriveReport;
  try {
    report = await runRedrive(
      { sqs, handle: (event) => handler(event) },
      {
        queues: target.queues,
        dryRun: options.dryRun === true,
        visibilityTimeoutSeconds: options.visibilityTimeout,
        ...(options.max === undefined ? {} : { max: options.max }),
      },
    );
  } finally {
    sqs.destroy();
  }
  process.stdout.write(formatRedriveReport(report, target.queues));
  const left = report.stillFailing + report.unrecognised;
  if (left > 0) {
    throw new CliError(
      `${left} message${left === 1 ? '' : 's'} left in the queues (${report.stillFailing} still failing, ${report.unrecognised} unrecognised)`,
    );
  }
}

interface Target {
  readonly tableName: string;
  readonly alertTopicArn: string;
  readonly logSource: LogSource;
  readonly queues: RedriveQueue[];
  readonly settings?: DeployedSettings;
}

async function resolveTarget(options: RedriveCommandOptions): Promise<Target> {
  let table = options.table;
  let alertTopic = options.alertTopic;
  let bucket = options.bucket;
  let failureQueue = options.failureQueue;
  let deadLetterQueue = options.deadLetterQueue;
  let settings: DeployedSettings | undefined;
  let prefix = options.prefix;
  if (options.stack !== undefined) {
    const stackName = options.stack === true ? DEFAULT_STACK_NAME : options.stack;
    const outputs = await readStackOutputs(stackName);
    table ??= requireOutput(outputs, 'tableName', stackName);
    alertTopic ??= requireOutput(outputs, 'alertTopicArn', stackName);
    bucket ??= requireOutput(outputs, 'logBucketName', stackName);
    prefix ??= outputs.logKeyPrefix;
    failureQueue ??= requireOutput(outputs, 'failureDestinationQueueUrl', stackName);
    deadLetterQueue ??= requireOutput(outputs, 'subscriptionDlqUrl', stackName);
    settings = deployedSettings(outputs);
  }
  const queues: RedriveQueue[] = [
    ...(failureQueue === undefined ? [] : [{ role: 'failure-destination' as const, url: failureQueue }]),
    ...(deadLetterQueue === undefined ? [] : [{ role: 'subscription-dlq' as const, url: deadLetterQueue }]),
  ];
  if (table === undefined || alertTopic === undefined || bucket === undefined || queues.length === 0) {
    throw new UsageError(
      `which deployment? Give --stack [NAME] (default ${DEFAULT_STACK_NAME}), or --table, --alert-topic, ` +
        '--bucket and at least one of --failure-queue and --dead-letter-queue',
    );
  }
  return {
    tableName: table,
    alertTopicArn: alertTopic,
    logSource: { bucket, prefix: normaliseKeyPrefix(prefix) },
    queues,
    ...(settings === undefined ? {} : { settings }),
  };
}

const STATUS_LABEL: Readonly<Record<RedriveOutcome['status'], string>> = {
  redriven: 'redriven, deleted',
  failed: 'STILL FAILING, kept',
  unrecognised: 'UNRECOGNISED, kept',
  pending: 'would redrive',
};

export function formatRedriveReport(report: RedriveReport, queues: readonly RedriveQueue[]): string {
  const lines: string[] = [];
  for (const queue of queues) {
    const outcomes = report.outcomes.filter((o) => o.queue === queue.role);
    lines.push(`${capitalise(QUEUE_LABEL[queue.role])} (${queue.url}): ${count(outcomes.length, 'message')}`);
    for (const o of outcomes) {
      const events = Object.values(o.eventsIndexed).reduce((n, c) => n + c, 0);
      const detail = [
        o.status === 'redriven' ? `${count(events, 'event')} indexed` : undefined,
        o.alertsPublished > 0 ? `${count(o.alertsPublished, 'alert')} published` : undefined,
      ].filter((s) => s !== undefined);
      lines.push(
        `  ${o.messageId}  ${STATUS_LABEL[o.status]}${detail.length > 0 ? ` (${detail.join(', ')})` : ''}`,
      );
      if (o.lastError !== undefined) lines.push(`    failed before: ${o.lastError}`);
      for (const key of o.keys) {
        const failure = o.failedFiles.find((f) => f.key === key);
        lines.push(`    ${failure === undefined ? '' : `${failure.reason}: `}${key}`);
      }
      if (o.status === 'failed' && o.failedFiles.length === 0 && o.reason !== undefined) {
        lines.push(`    still failing: ${o.reason}`);
      }
      if (o.status === 'unrecognised' && o.reason !== undefined) lines.push(`    ${o.reason}`);
    }
  }
  lines.push('');
  if (report.dryRun) {
    lines.push(`Dry run: ${count(report.outcomes.length, 'message')} received, all left in place.`);
  } else {
    lines.push(
      `Redriven: ${report.redriven}, still failing: ${report.stillFailing}, unrecognised: ${report.unrecognised}` +
        (report.stillFailing + report.unrecognised > 0 ? ' (left in their queues, visible again)' : ''),
    );
  }
  if (report.truncated) lines.push('Stopped at --max: more messages may be waiting; run again to continue.');
  // Keys and reasons come from queued messages, which anyone allowed to send them chose.
  return `${lines.map(safeText).join('\n')}\n`;
}

function capitalise(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
