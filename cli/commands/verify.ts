import { CloudTrailClient, DescribeTrailsCommand } from '@aws-sdk/client-cloudtrail';
import { S3Client } from '@aws-sdk/client-s3';
import { MultiBar, Presets } from 'cli-progress';
import { Command, Option } from 'commander';
import { gunzipSync } from 'node:zlib';
import { DEFAULT_STACK_NAME } from '../../lambdas/shared/config';
import { safeText } from '../../lambdas/shared/safe-text';
import { cloudTrailKeySource, s3DigestStore, s3LogFileHasher } from '../../lambdas/verifier/aws-adapters';
import {
  type ChainScope,
  displayDate,
  type DigestStore,
  NoPublicKeysError,
  type PublicKeySource,
} from '../../lambdas/verifier/digest-traverser';
import type { LogFileHasher } from '../../lambdas/verifier/log-file-check';
import { addAwsOptions } from '../aws-options';
import { errorText, readStackOutputs } from '../deployment';
import { CliError, ExitStatus, UsageError } from '../errors';
import { folderStore, publicKeyFile } from '../folder-store';
import { parseTime } from '../time';
import { discoverChains, runVerify, StatusWriter, type VerifyEntry } from '../verify';

interface VerifyOptions {
  readonly since?: string;
  readonly until?: string;
  readonly startTime?: string;
  readonly endTime?: string;
  readonly account?: string;
  readonly accountId?: string;
  readonly region?: string;
  readonly trailArn?: string;
  readonly s3Bucket?: string;
  readonly s3Prefix?: string;
  readonly stack?: string | true;
  readonly dir?: string;
  readonly publicKeys?: string;
  readonly verbose?: boolean;
  readonly json?: boolean;
  readonly concurrency: number;
}

const TRAIL_ARN = /^arn:[^:]+:cloudtrail:([^:]+):(\d{12}):trail\/(.+)$/;

export function verifyCommand(): Command {
  const command = new Command('verify')
    .summary("prove the log files are CloudTrail's, from its signed digests")
    .description(
      "Verify CloudTrail's signed digest chain over a time range, and every log file the digests list, " +
        'as `aws cloudtrail validate-logs` does: the same checks, lines, counts and exit code, and its ' +
        'options too. It finds every account, region and trail with digests in the bucket (or the ones ' +
        'you name), and works on a deployed stack, any bucket, or a local folder of downloaded files.',
    )
    .option('--since <time>', 'start of the range: ISO-8601, a date, or a duration before now (7d)')
    .option('--until <time>', 'end of the range (default: now)')
    .option('--start-time <time>', 'the same as --since (validate-logs)')
    .option('--end-time <time>', 'the same as --until (validate-logs)')
    .option('--account <id>', 'only this account (organization trails hold many)')
    .option('--account-id <id>', 'the same as --account (validate-logs)')
    .option(
      '--region <region>',
      'only the digests of this region (default: every region; with --trail-arn, the AWS region, as validate-logs)',
    )
    .option('--trail-arn <arn>', 'only this trail; its bucket and prefix come from CloudTrail unless given')
    .option('--s3-bucket <name>', 'the bucket holding the digests (validate-logs)')
    .option('--s3-prefix <prefix>', "the trail's key prefix, the part before AWSLogs/ (validate-logs)")
    .addOption(
      new Option(
        '--stack [name]',
        `the deployed stack's bucket and trail (default name: ${DEFAULT_STACK_NAME})`,
      ),
    )
    .option('--dir <folder>', 'verify a local folder of downloaded files, laid out by their S3 keys')
    .option(
      '--public-keys <file>',
      "CloudTrail's public keys, as `aws cloudtrail list-public-keys` prints them (default: ask CloudTrail)",
    )
    .option('--verbose', 'print every valid digest and log file too')
    .option('--json', 'one JSON object per verdict, then a summary object')
    .addOption(
      new Option('--concurrency <n>', 'log files hashed at once').argParser(positiveInteger).default(8),
    );
  addAwsOptions(command);
  command.addHelpText(
    'after',
    `
Exit code 0 when every digest and log file is valid, 1 when any is not (as validate-logs).
A folder has no S3 metadata: keep each digest's signature beside it in <digest>.metadata.json
(aws s3api head-object --bucket B --key K --query Metadata > K.metadata.json).

Examples:
  trail-index verify --stack --since 24h
  trail-index verify --trail-arn arn:aws:cloudtrail:us-east-1:111122223333:trail/org --start-time 2026-11-01T00:00:00Z --account-id 444455556666
  trail-index verify --dir samples --public-keys samples/public-keys.json --since 2014-12-10 --until 2014-12-12 --verbose`,
  );
  return command.action(async (options: VerifyOptions) => {
    await verify(options);
  });
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`"${value}" is not a positive whole number`);
  return n;
}

interface Target {
  readonly store: DigestStore;
  readonly hasher: LogFileHasher;
  readonly bucket: string;
  readonly prefix?: string;
  readonly trail?: { arn: string; name: string; homeRegion: string; accountId: string };
  readonly keys: (region: string) => PublicKeySource;
}

async function verify(options: VerifyOptions): Promise<void> {
  const now = new Date();
  const since = options.since ?? options.startTime;
  const until = options.until ?? options.endTime;
  if (since === undefined) throw new UsageError('--since (or --start-time) is required');
  const start = new Date(parseTime(since, '--since', now));
  const end = until === undefined ? now : new Date(parseTime(until, '--until', now, true));
  if (start > end)
    throw new UsageError('Invalid time range specified: start-time must occur before end-time');
  if (options.dir !== undefined && options.stack !== undefined) {
    throw new UsageError('--dir and --stack name two places: give one');
  }
  const target = await resolveTarget(options);
  const explicitTrail = options.trailArn !== undefined;
  const region = options.region ?? (explicitTrail ? process.env.AWS_REGION : undefined);
  const accountId =
    options.account ?? options.accountId ?? (explicitTrail ? target.trail?.accountId : undefined);
  const chains: ChainScope[] = await discoverChains(
    target.store,
    { bucket: target.bucket, ...(target.prefix === undefined ? {} : { prefix: target.prefix }) },
    { start, end },
    {
      ...(accountId === undefined ? {} : { accountId }),
      ...(region === undefined ? {} : { region }),
      ...(target.trail === undefined
        ? {}
        : { trailName: target.trail.name, homeRegion: target.trail.homeRegion }),
    },
  );

  const label =
    target.trail?.arn ?? `s3://${target.bucket}/${target.prefix === undefined ? '' : `${target.prefix}/`}`;
  const json = options.json === true;
  const out = (text: string) => void process.stdout.write(text);
  const err = (text: string) => void process.stderr.write(text);
  const bar =
    !json && options.verbose !== true && process.stderr.isTTY === true
      ? new MultiBar(
          {
            format: 'verifying |{bar}| {value}/{total} log files',
            hideCursor: true,
            clearOnComplete: true,
            stream: process.stderr,
          },
          Presets.shades_classic,
        )
      : undefined;
  const progress = bar?.create(0, 0);
  const writer = new StatusWriter(
    out,
    (text) => (bar === undefined ? err(text) : bar.log(text)),
    options.verbose === true,
  );
  if (!json)
    out(
      `Validating log files for trail ${safeText(label)} between ${displayDate(start)} and ${displayDate(end)}\n\n`,
    );
  let result;
  try {
    result = await runVerify(
      {
        store: target.store,
        hasher: target.hasher,
        keys: target.keys,
        chains,
        start,
        end,
        concurrency: options.concurrency,
      },
      {
        // Keys and messages come from the bucket: escaped before they reach a terminal.
        line: (text, isError) => {
          if (!json) writer.line(text.split('\t').map(safeText).join('\t'), isError);
        },
        entry: (entry: VerifyEntry) => {
          if (json) out(`${JSON.stringify(entry)}\n`);
        },
        planned: (n) => progress?.setTotal(progress.getTotal() + n),
        checked: (n) => progress?.increment(n),
      },
    );
  } catch (e) {
    if (e instanceof NoPublicKeysError) throw new CliError(e.message);
    throw e;
  } finally {
    bar?.stop();
  }
  if (json) {
    out(
      `${JSON.stringify({
        type: 'summary',
        trail: label,
        requested: { start: displayDate(start), end: displayDate(end) },
        ...(result.foundStart === undefined || result.foundEnd === undefined
          ? {}
          : { found: { start: displayDate(result.foundStart), end: displayDate(result.foundEnd) } }),
        chains: chains.length,
        ...result.counts,
      })}\n`,
    );
  } else {
    out(writer.summary(result, start, end));
  }
  const { counts } = result;
  if (counts.invalidDigests + counts.invalidBackfillDigests + counts.invalidLogs > 0) throw new ExitStatus(1);
}

async function resolveTarget(options: VerifyOptions): Promise<Target> {
  let trail: Target['trail'];
  let bucket = options.s3Bucket;
  let prefix = options.s3Prefix?.replace(/^\/+|\/+$/g, '');
  if (options.trailArn !== undefined) trail = parseTrailArn(options.trailArn);
  if (options.stack !== undefined) {
    const outputs = await readStackOutputs(options.stack === true ? DEFAULT_STACK_NAME : options.stack);
    bucket ??= outputs.logBucketName;
    if (outputs.logKeyPrefix !== undefined && outputs.logKeyPrefix !== '') prefix ??= outputs.logKeyPrefix;
    if (trail === undefined && outputs.trailArn !== undefined) trail = parseTrailArn(outputs.trailArn);
  }
  const keysFromFile = options.publicKeys === undefined ? undefined : await publicKeyFile(options.publicKeys);
  const clients = new Map<string, CloudTrailClient>();
  const keys = (region: string): PublicKeySource => {
    if (keysFromFile !== undefined) return keysFromFile;
    let client = clients.get(region);
    if (client === undefined) {
      client = new CloudTrailClient({ region });
      clients.set(region, client);
    }
    return cloudTrailKeySource(client);
  };

  if (options.dir !== undefined) {
    const store = await folderStore(options.dir);
    bucket ??= await bucketNamedInFolder(store);
    return { store, hasher: store, bucket, ...(prefix ? { prefix } : {}), ...(trail ? { trail } : {}), keys };
  }
  if (bucket === undefined && trail !== undefined) {
    const described = await describeTrail(trail.arn);
    bucket = described.bucket;
    prefix ??= described.prefix;
  }
  if (bucket === undefined) {
    throw new UsageError('say where the digests are: --stack, --s3-bucket, --trail-arn or --dir');
  }
  const s3 = new S3Client({});
  return {
    store: s3DigestStore(s3),
    hasher: s3LogFileHasher(s3),
    bucket,
    ...(prefix ? { prefix } : {}),
    ...(trail ? { trail } : {}),
    keys,
  };
}

function parseTrailArn(arn: string): NonNullable<Target['trail']> {
  const m = TRAIL_ARN.exec(arn);
  if (m === null) throw new UsageError(`Invalid trail ARN provided: ${arn}`);
  const [, homeRegion, accountId, name] = m as unknown as [string, string, string, string];
  return { arn, name, homeRegion, accountId };
}

async function describeTrail(arn: string): Promise<{ bucket: string; prefix?: string }> {
  const client = new CloudTrailClient({});
  try {
    const { trailList = [] } = await client.send(new DescribeTrailsCommand({ trailNameList: [arn] }));
    const found = trailList.find((t) => t.TrailARN === arn) ?? trailList[0];
    if (found?.S3BucketName === undefined) throw new CliError(`trail ${arn} not found (give --s3-bucket)`);
    return {
      bucket: found.S3BucketName,
      ...(found.S3KeyPrefix ? { prefix: found.S3KeyPrefix.replace(/^\/+|\/+$/g, '') } : {}),
    };
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`could not describe trail ${arn}: ${errorText(err)}`, { cause: err });
  } finally {
    client.destroy();
  }
}

/** The bucket the folder's digests say they were written to (the newest digest's `digestS3Bucket`). */
async function bucketNamedInFolder(store: DigestStore): Promise<string> {
  let newest: string | undefined;
  for await (const key of store.listKeys('', '', '')) {
    if (/\/CloudTrail-Digest\/.*\.json\.gz$/.test(key)) newest = key;
  }
  if (newest !== undefined) {
    const object = await store.getObject('', newest);
    try {
      const data: unknown = JSON.parse(gunzipSync(object!.body).toString('utf8'));
      const named = (data as { digestS3Bucket?: unknown }).digestS3Bucket;
      if (typeof named === 'string' && named !== '') return named;
    } catch {
      // Fall through to the usage error: the user names the bucket.
    }
  }
  throw new UsageError('no readable digest in the folder names its bucket: give --s3-bucket');
}
