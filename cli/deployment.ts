/**
 * Finding a deployment: the index table (and, for backfill and redrive, the bucket and queues) by
 * `--table`, `--stack` (CloudFormation outputs), `--local [--data DIR]` or `TRAIL_INDEX_TABLE`.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Command, Option } from 'commander';
import { DEFAULT_STACK_NAME, STACK_OUTPUT } from '../lambdas/shared/config';
import { CliError, UsageError } from './errors';
import { DEFAULT_DATA_DIR, openLocalIndex } from './local-index';

/** Environment variable naming the index table when no option does. */
export const TABLE_ENV = 'TRAIL_INDEX_TABLE';

export type StackOutputs = { readonly [K in keyof typeof STACK_OUTPUT]?: string };

/**
 * Reads the stack's outputs by their keys in {@link STACK_OUTPUT}. Outputs the stack does not
 * have are absent; {@link requireOutput} turns a missing one into a clear error.
 */
export async function readStackOutputs(
  stackName: string,
  client: CloudFormationClient = new CloudFormationClient({}),
): Promise<StackOutputs> {
  let outputs: { OutputKey?: string; OutputValue?: string }[];
  try {
    const { Stacks = [] } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    outputs = Stacks[0]?.Outputs ?? [];
  } catch (err) {
    const region = await client.config.region().catch(() => 'the configured region');
    if (err instanceof Error && err.name === 'ValidationError') {
      throw new CliError(
        `stack ${stackName} does not exist in ${region} (check --stack, --aws-region and --profile)`,
        { cause: err },
      );
    }
    throw new CliError(`could not read stack ${stackName} in ${region}: ${errorText(err)}`, { cause: err });
  }
  const byKey = new Map(outputs.map((o) => [o.OutputKey, o.OutputValue]));
  const result: Record<string, string> = {};
  for (const [name, key] of Object.entries(STACK_OUTPUT)) {
    const value = byKey.get(key);
    if (value !== undefined) result[name] = value;
  }
  return result;
}

/** The output or a {@link CliError} naming the stack and the output key. */
/** The indexer's settings as the stack reports them (absent from stacks older than these outputs). */
export interface DeployedSettings {
  readonly sources?: string;
  /** Days, as text; `keep` means no expiry. */
  readonly retentionDays?: string;
}

export function deployedSettings(outputs: StackOutputs): DeployedSettings {
  const retention = outputs.indexRetentionDays;
  return {
    ...(outputs.indexedSources === undefined ? {} : { sources: outputs.indexedSources }),
    ...(retention === undefined || retention === 'keep' ? {} : { retentionDays: retention }),
  };
}

export function requireOutput(
  outputs: StackOutputs,
  name: keyof typeof STACK_OUTPUT,
  stackName: string,
): string {
  const value = outputs[name];
  if (value === undefined) {
    throw new CliError(`stack ${stackName} has no output ${STACK_OUTPUT[name]}: is it a trail-index stack?`);
  }
  return value;
}

/** `--table`, `--stack`, `--local`, `--data`, as parsed by commander. */
export interface TableOptions {
  readonly table?: string;
  /** `true` when `--stack` is given without a name: the default stack name. */
  readonly stack?: string | true;
  readonly local?: boolean;
  readonly data?: string;
}

/** Adds the options of {@link TableOptions} to a command. */
export function addTableOptions(command: Command): Command {
  return command
    .addOption(new Option('--table <name>', `index table name (or set ${TABLE_ENV})`))
    .addOption(
      new Option(
        '--stack [name]',
        `read the table from a deployed stack's outputs (default name: ${DEFAULT_STACK_NAME})`,
      ),
    )
    .addOption(new Option('--local', 'use the local index written by `trail-index local`'))
    .addOption(
      new Option('--data <dir>', `data directory of the local index (default: ${DEFAULT_DATA_DIR})`),
    );
}

export interface TableTarget {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Where the table came from, for messages: `table X`, `stack Y`, `local index in DIR`. */
  readonly description: string;
  /** The local index of `trail-index local` (no S3 bucket behind it). */
  readonly local: boolean;
  close(): Promise<void>;
}

/** Opens the table the options point at; the caller closes it. */
export async function openTable(
  options: TableOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<TableTarget> {
  const chosen = [
    options.table !== undefined && '--table',
    options.stack !== undefined && '--stack',
    options.local === true && '--local',
  ].filter((x): x is string => typeof x === 'string');
  if (chosen.length > 1) throw new UsageError(`choose one of ${chosen.join(', ')}`);
  if (options.data !== undefined && options.local !== true) {
    throw new UsageError('--data applies to the local index: add --local');
  }

  if (options.local === true) return openLocalIndex(options.data ?? DEFAULT_DATA_DIR);

  let tableName: string;
  let description: string;
  if (options.table !== undefined) {
    tableName = options.table;
    description = `table ${tableName}`;
  } else if (options.stack !== undefined) {
    const stackName = options.stack === true ? DEFAULT_STACK_NAME : options.stack;
    tableName = requireOutput(await readStackOutputs(stackName), 'tableName', stackName);
    description = `stack ${stackName} (table ${tableName})`;
  } else if (env[TABLE_ENV]) {
    tableName = env[TABLE_ENV];
    description = `table ${tableName} (from ${TABLE_ENV})`;
  } else {
    throw new UsageError(
      `which index? Give --stack [NAME] (a deployed stack, default ${DEFAULT_STACK_NAME}), --table NAME, ` +
        `--local [--data DIR] (after \`trail-index local\`), or set ${TABLE_ENV}`,
    );
  }
  const client = new DynamoDBClient({});
  return {
    client,
    tableName,
    description,
    local: false,
    close: () => {
      client.destroy();
      return Promise.resolve();
    },
  };
}

/** An error's message, with the SDK's error name when it adds something. */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.name && err.name !== 'Error' && !err.message.startsWith(err.name)
    ? `${err.name}: ${err.message}`
    : err.message;
}
