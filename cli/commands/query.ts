import { S3Client } from '@aws-sdk/client-s3';
import { Command, InvalidArgumentError, Option } from 'commander';
import { addAwsOptions } from '../aws-options';
import { addTableOptions, openTable, TableOptions } from '../deployment';
import { UsageError } from '../errors';
import { formatJsonLine, formatTable } from '../format';
import { decodeRecord } from '../record';
import { planQuery, QueryFilters } from '../query-plan';
import { getEventItems, getLogFileIntegrity, runQuery } from '../query';
import { SERVICE_NAMES } from '../services';
import { parseTimeRange } from '../time';

interface QueryOptions extends TableOptions, QueryFilters {
  readonly limit: number;
  readonly pageSize?: number;
  readonly json?: boolean;
  readonly full?: boolean;
  readonly explain?: boolean;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

export function queryCommand(): Command {
  const command = new Command('query')
    .summary('find indexed Glacier and Support events, newest first')
    .description(
      'Find indexed Glacier and Support events, newest first. Uses DynamoDB Query on the index that ' +
        'serves the filters (never Scan); a combination no index serves is refused with a suggestion.',
    )
    .option('--vault <name>', 'Glacier vault name (with --account and --region)')
    .option('--case <id>', 'AWS Support case id')
    .option('--principal <arn>', 'caller ARN, or the service name for AWS service callers')
    .option('--event <name>', 'event name, e.g. DeleteVault (the service is inferred for known names)')
    .addOption(new Option('--service <service>', 'glacier or support').choices(SERVICE_NAMES))
    .option('--account <id>', 'AWS account id of the events')
    .option('--region <region>', 'AWS region of the events (not of the index: see --aws-region)')
    .option('--since <time>', 'from this time: ISO-8601, a date, or a duration ago (30m, 24h, 7d)')
    .option('--until <time>', 'up to this time (inclusive), same forms')
    .option('--errors-only', 'only failed calls (with an errorCode)')
    .option('--limit <n>', 'at most this many events', positiveInteger, 50)
    .option('--json', 'one JSON object per line instead of a table')
    .option('--full', 'add the original CloudTrail record (implies --json)')
    .option('--explain', 'print the index and key chosen (on stderr) before the results')
    .addOption(
      new Option('--page-size <n>', 'DynamoDB Limit per request').argParser(positiveInteger).hideHelp(),
    );
  addTableOptions(command);
  addAwsOptions(command);
  command.addHelpText(
    'after',
    `
Index chosen, first match wins (other filters narrow the results):
  --vault V --account A --region R   by vault (vault names are unique per account and region)
  --case ID                          by support case
  --principal ARN                    by caller
  --event NAME [--service S]         by service and event name
  --account A --region R [--service S]  by account and region

Examples:
  trail-index query --local --event DeleteVault
  trail-index query --stack --vault examplevault --account 111122223333 --region us-east-1 --since 7d
  trail-index query --table trail-index --principal arn:aws:iam::111122223333:user/alice --errors-only --json`,
  );
  return command.action(async (options: QueryOptions, cmd: Command) => {
    const filters = toFilters(options);
    const plan = planQuery(filters, { command: `trail-index query${targetArgs(options)}` });
    if (options.explain === true || cmd.optsWithGlobals<{ debug?: boolean }>().debug === true) {
      process.stderr.write(
        `query ${plan.index} ${plan.partitionKey} = ${plan.partitions.join(' | ')}, ${plan.sortKey} between ${plan.range.lower} and ${plan.range.upper}` +
          `${plan.conditions.length > 0 ? `, filter ${plan.conditions.map((c) => (c.kind === 'exists' ? `exists(${c.attribute})` : `${c.attribute} = ${c.value}`)).join(' and ')}` : ''}\n`,
      );
    }
    const target = await openTable(options);
    try {
      // One more than shown, to tell whether --limit cut the list.
      const found = await runQuery(target.client, target.tableName, plan, {
        limit: options.limit + 1,
        ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
      });
      const integrity = await getLogFileIntegrity(
        target.client,
        target.tableName,
        found.slice(0, options.limit),
      );
      const events = found
        .slice(0, options.limit)
        .map((e) => ({ ...e, integrity: integrity.get(`s3://${e.logBucket}/${e.logKey}`) }));
      if (options.full === true) {
        const items = await getEventItems(
          target.client,
          target.tableName,
          events.map((e) => e.eventID),
        );
        // Only a deployed index has its log bucket at hand (local mode does not keep the files).
        const s3 = target.local ? undefined : new S3Client({});
        try {
          for (const event of events) {
            const item = items.get(event.eventID);
            const record = item === undefined ? null : await decodeRecord(item, s3);
            process.stdout.write(formatJsonLine(event, record));
          }
        } finally {
          s3?.destroy();
        }
      } else if (options.json === true) {
        for (const event of events) process.stdout.write(formatJsonLine(event));
      } else if (events.length === 0) {
        process.stderr.write(`no events match (${plan.description}) in ${target.description}\n`);
      } else {
        process.stdout.write(formatTable(events));
        if (found.length > events.length) {
          process.stderr.write(
            `(the newest ${events.length} shown; more match: raise --limit, or narrow with --since/--until)\n`,
          );
        }
      }
    } finally {
      await target.close();
    }
  });
}

/** The options that say where the index is, as typed, for suggestions that work as given. */
function targetArgs(options: TableOptions): string {
  if (options.local === true) return ` --local${options.data === undefined ? '' : ` --data ${options.data}`}`;
  if (options.table !== undefined) return ` --table ${options.table}`;
  if (options.stack !== undefined) return options.stack === true ? ' --stack' : ` --stack ${options.stack}`;
  return '';
}

function toFilters(options: QueryOptions): QueryFilters {
  const range = parseTimeRange(options.since, options.until);
  const filters: QueryFilters = {
    ...pick(options, ['vault', 'case', 'principal', 'event', 'service', 'account', 'region'] as const),
    ...range,
    ...(options.errorsOnly === true ? { errorsOnly: true } : {}),
  };
  if (Object.keys(filters).length === 0) {
    throw new UsageError('give at least one filter, e.g. --event DeleteVault (see trail-index query --help)');
  }
  return filters;
}

function pick<K extends keyof QueryOptions>(
  options: QueryOptions,
  names: readonly K[],
): Partial<Pick<QueryOptions, K>> {
  const out: Partial<Pick<QueryOptions, K>> = {};
  for (const name of names) if (options[name] !== undefined) out[name] = options[name];
  return out;
}
