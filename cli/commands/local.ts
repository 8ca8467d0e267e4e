import { createWriteStream, existsSync, mkdirSync, statSync, WriteStream } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { format } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Presets, SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import type * as IndexerHandler from '../../lambdas/indexer/handler';
import { DEFAULT_INDEXED_SOURCES, ENV } from '../../lambdas/shared/config';
import { Emulators, type Pipeline, provisionPipeline, startEmulators } from '../emulators';
import { type LiveOptions, serveLive } from '../live-pipeline';
import { CliError, UsageError } from '../errors';
import {
  DEFAULT_DATA_DIR,
  isAlive,
  localPaths,
  lockDataDir,
  readManifest,
  writeManifest,
} from '../local-index';
import {
  findLogFiles,
  isDigestKey,
  LogFile,
  type LocalRunResult,
  receiveLocalAlerts,
  runLocalPipeline,
} from '../local-pipeline';
import { verifyLocal } from '../local-verify';
import { eventsAt, formatSummary } from '../local-summary';

/** The sample logs shipped in the repository (see `cli/generate-samples.ts`). */
export const SAMPLES_DIR = join(__dirname, '..', '..', 'samples');

/** Above this, a progress bar is worth drawing (on a terminal). */
const LARGE_INPUT = { files: 50, bytes: 50 * 1024 * 1024 };

interface LocalOptions {
  readonly logs?: string;
  readonly data?: string;
  readonly serve?: boolean;
  readonly keysPerNotification: number;
  readonly progress: boolean;
  readonly publicKeys?: string;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

export function localCommand(): Command {
  return new Command('local')
    .summary('run the whole pipeline on this machine, on emulators (npm start)')
    .description(
      'Run the whole pipeline on this machine, with no AWS account: S3, SNS and SQS on fauxqs, DynamoDB on ' +
        'dynalite, all on 127.0.0.1. Each log file is put at its CloudTrail key, announced on the delivery ' +
        'topic as CloudTrail does, and indexed by the same handler as the Lambda; alerts are read back ' +
        'from the alert topic. The index persists in --data, so `trail-index query --local` works afterwards ' +
        'and a second run over the same logs changes nothing.',
    )
    .option(
      '--logs <dir>',
      'folder of CloudTrail .json.gz files at any depth, keys relative to it (default: the shipped samples)',
    )
    .option(
      '--data <dir>',
      `where the index persists (default: ${DEFAULT_DATA_DIR} in the working directory)`,
    )
    .option('--serve', 'keep the emulators running afterwards and print their endpoints (Ctrl-C stops)')
    .addOption(
      new Option('--keys-per-notification <n>', 'log files announced per SNS notification')
        .argParser(positiveInteger)
        .default(5),
    )
    .option(
      '--public-keys <file>',
      "CloudTrail's public keys for verifying the digests, as `aws cloudtrail list-public-keys` prints them (default: public-keys.json in the logs folder)",
    )
    .option('--no-progress', 'never draw the progress bar')
    .addHelpText(
      'after',
      `
Examples:
  npm start                                           # the samples, index in ./${DEFAULT_DATA_DIR}
  trail-index local --logs ./my-trail-bucket --data /tmp/idx   # e.g. after aws s3 sync s3://BUCKET ./my-trail-bucket
  trail-index query --local --data /tmp/idx --event DeleteVault
  trail-index local --serve                           # keep S3/SNS/SQS/DynamoDB up for other tools`,
    )
    .action((options: LocalOptions) => runLocal(options));
}

async function runLocal(options: LocalOptions): Promise<void> {
  const logsDir = resolve(options.logs ?? SAMPLES_DIR);
  if (!existsSync(logsDir) || !statSync(logsDir).isDirectory()) {
    throw new UsageError(`--logs ${options.logs ?? logsDir}: no such folder`);
  }
  const files = findLogFiles(logsDir);
  if (files.length === 0) throw new UsageError(`no *.json.gz files under ${logsDir}`);
  const dataDir = options.data ?? DEFAULT_DATA_DIR;
  const paths = localPaths(dataDir);
  mkdirSync(paths.root, { recursive: true });
  const previous = readManifest(dataDir);
  if (
    previous?.serving !== undefined &&
    previous.serving.pid !== process.pid &&
    isAlive(previous.serving.pid)
  ) {
    throw new CliError(
      `${paths.root} is in use by \`trail-index local --serve\` (process ${previous.serving.pid}): stop it, or use another --data`,
    );
  }
  const release = await lockDataDir(dataDir);
  try {
    await runLocked(options, files, logsDir, dataDir);
  } finally {
    release();
  }
}

async function runLocked(
  options: LocalOptions,
  files: LogFile[],
  logsDir: string,
  dataDir: string,
): Promise<void> {
  const paths = localPaths(dataDir);
  let emulators: Emulators;
  try {
    emulators = await startEmulators({ dataDir: paths.dynamodb });
  } catch (err) {
    throw new CliError(
      `could not start the emulators on ${paths.dynamodb}: ${err instanceof Error ? err.message : String(err)}`,
      {
        cause: err,
      },
    );
  }
  let failedFiles = 0;
  try {
    Object.assign(process.env, emulators.env);
    // A profile could only get in the way: the emulators take the fake credentials above.
    delete process.env.AWS_PROFILE;
    const pipeline = await provisionPipeline();
    writeManifest(dataDir, { tableName: pipeline.tableName, region: emulators.region });
    Object.assign(process.env, {
      [ENV.tableName]: pipeline.tableName,
      [ENV.alertTopicArn]: pipeline.alertTopicArn,
      [ENV.logBucket]: pipeline.bucket,
      // One trail's folder: its prefix is what comes before AWSLogs/ in the first key.
      [ENV.logKeyPrefix]: /^(.*?)AWSLogs\//.exec(files[0]?.key ?? '')?.[1] ?? '',
      [ENV.indexedSources]: process.env[ENV.indexedSources] ?? DEFAULT_INDEXED_SOURCES.join(','),
      // Powertools then writes through the global console, which is pointed at the log file below.
      POWERTOOLS_DEV: 'true',
    });
    // Dev mode turns metrics off; keep them on (into the log file) as in Lambda unless told otherwise.
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'false';

    const client = new DynamoDBClient({});
    const keys = files.map((f) => f.key);
    const before = await eventsAt(client, pipeline.tableName, keys);
    const log = redirectConsole(paths.indexerLog);
    let run: LocalRunResult;
    try {
      // Imported only now: the handler reads its configuration and creates its clients at load.
      const { handler } = createRequire(__filename)('../../lambdas/indexer/handler') as typeof IndexerHandler;
      const bar = progressBar(files, options.progress);
      run = await runLocalPipeline({
        files,
        pipeline,
        invoke: (event) => handler(event),
        keysPerNotification: options.keysPerNotification,
        keepObjects: options.serve === true,
        onProgress: (done) => bar?.update(done.files, { bytes: mb(done.bytes) }),
      });
      bar?.stop();
    } finally {
      await log.restore();
    }
    // The digests, as the hourly verifier checks them on AWS; its alerts join the indexer's.
    const integrity = await verifyLocal({
      pipeline,
      logsDir,
      ...(options.publicKeys === undefined ? {} : { publicKeys: options.publicKeys }),
      prefix: process.env[ENV.logKeyPrefix] ?? '',
      digests: files.filter((f) => isDigestKey(f.key)).length,
      indexed: run.files.filter((f) => f.status === 'indexed').map((f) => f.key),
    });
    run = { ...run, alerts: [...run.alerts, ...(await receiveLocalAlerts(pipeline))] };
    const after = await eventsAt(client, pipeline.tableName, keys);
    client.destroy();
    failedFiles = run.files.filter((f) => f.status === 'failed').length + run.invocationErrors.length;

    const shown = (path: string) =>
      relative(process.cwd(), path).startsWith('..') ? path : relative(process.cwd(), path) || '.';
    process.stdout.write(
      formatSummary({
        logsDir: shown(logsDir),
        totalBytes: files.reduce((sum, f) => sum + f.size, 0),
        run,
        integrity,
        before,
        after,
        queryTarget: options.data === undefined ? '--local' : `--local --data ${options.data}`,
        dataDir: shown(paths.root),
        indexerLog: shown(paths.indexerLog),
      }),
    );

    if (options.serve === true) {
      const { handler } = createRequire(__filename)('../../lambdas/indexer/handler') as typeof IndexerHandler;
      await serve(emulators, pipeline, dataDir, {
        handle: (event) => handler(event),
        known: files.map((f) => f.key),
        indexerLog: paths.indexerLog,
      });
    }
  } finally {
    await emulators.stop();
  }
  if (failedFiles > 0) {
    throw new CliError(
      `${failedFiles} log file${failedFiles === 1 ? '' : 's'} could not be indexed (see above)`,
    );
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function progressBar(files: readonly LogFile[], enabled: boolean): SingleBar | undefined {
  const bytes = files.reduce((sum, f) => sum + f.size, 0);
  const large = files.length >= LARGE_INPUT.files || bytes >= LARGE_INPUT.bytes;
  if (!enabled || !large || process.stdout.isTTY !== true || process.stderr.isTTY !== true) return undefined;
  const bar = new SingleBar(
    {
      format: 'indexing [{bar}] {value}/{total} files | {bytes} of {totalBytes} | {duration_formatted}',
      hideCursor: true,
      stream: process.stderr,
    },
    Presets.shades_classic,
  );
  bar.start(files.length, 0, { bytes: mb(0), totalBytes: mb(bytes) });
  return bar;
}

/**
 * Sends everything written through the global console (Powertools in dev mode, the SDK's warnings)
 * to the log file, one line per entry, so the summary on stdout stays readable.
 */
function redirectConsole(path: string): { restore(): Promise<void> } {
  const stream: WriteStream = createWriteStream(path, { flags: 'a' });
  const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
  // Kept unbound on purpose: restored exactly as they were.
  const saved = methods.map((name) => [name, Reflect.get(console, name) as Console['log']] as const);
  const write = (...args: unknown[]) => {
    let line = format(...args);
    // Powertools pretty-prints JSON in dev mode; one line per entry keeps the file greppable.
    try {
      line = JSON.stringify(JSON.parse(line));
    } catch {
      // Not JSON: keep as written.
    }
    stream.write(`${line}\n`);
  };
  for (const name of methods) console[name] = write;
  return {
    restore: () => {
      for (const [name, fn] of saved) console[name] = fn;
      return new Promise<void>((done) => stream.end(done));
    },
  };
}

async function serve(
  emulators: Emulators,
  pipeline: Pipeline,
  dataDir: string,
  live: { handle: LiveOptions['handle']; known: readonly string[]; indexerLog: string },
): Promise<void> {
  writeManifest(dataDir, {
    tableName: pipeline.tableName,
    region: emulators.region,
    serving: { pid: process.pid, dynamodbEndpoint: emulators.endpoints.dynamodb },
  });
  const env = Object.entries(emulators.env)
    .map(([k, v]) => `${k}=${v}`)
    .join(' \\\n    ');
  process.stdout.write(
    `
Emulators are up (Ctrl-C stops them):
  S3, SNS, SQS  ${emulators.endpoints.s3}
  DynamoDB      ${emulators.endpoints.dynamodb}
  bucket        ${pipeline.bucket}
  topics        ${pipeline.deliveryTopicArn} (delivery), ${pipeline.alertTopicArn} (alerts)
  queues        ${pipeline.deliveryQueueUrl}, ${pipeline.alertQueueUrl}
  table         ${pipeline.tableName}

From another shell, the AWS CLI and SDKs reach them with:
  export ${env}
  npx trail-index query --local${dataDir === DEFAULT_DATA_DIR ? '' : ` --data ${dataDir}`} --event DeleteVault

Live, as deployed: a notification published on the delivery topic (as CloudTrail does), or an
object put in the bucket (announced as an S3 event notification), is indexed as it comes:
`,
  );
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const log = redirectConsole(live.indexerLog);
  try {
    await serveLive({
      pipeline,
      handle: live.handle,
      print: (line) => void process.stdout.write(`  ${line}\n`),
      signal: stop.signal,
      known: live.known,
    });
  } finally {
    await log.restore();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  writeManifest(dataDir, { tableName: pipeline.tableName, region: emulators.region });
  process.stdout.write('Stopping the emulators.\n');
}
