/**
 * Turns `query` filters into one DynamoDB Query plan, or a {@link UsageError} that names a filter
 * combination that works. Pure: no AWS, no clock (times arrive parsed).
 *
 * Which index serves what (first match wins; other filters become a FilterExpression):
 *
 * | filters                         | index         | partition                          |
 * |---------------------------------|---------------|------------------------------------|
 * | `--vault` + `--account --region`| byResource    | `VAULT#account#region#vault`       |
 * | `--case`                        | byResource    | `CASE#id`                          |
 * | `--principal`                   | byPrincipal   | `PRINCIPAL#arn`                    |
 * | `--event` [+ `--service`]       | byAction      | `ACTION#source#event` (the service is inferred from known event names; an unknown name is looked up under every service and the results merged) |
 * | `--account --region`            | byLocation    | `LOCATION#account#region`          |
 *
 * `--service` alone, `--account` or `--region` alone, or only `--errors-only`/times have no index
 * (that would be a Scan): they get an error with a suggestion.
 */
import { INDEXES, IndexName, keys, timeRange } from '../lambdas/shared/schema';
import { UsageError } from './errors';
import { lookupEventName, SERVICE_NAMES, ServiceName, SERVICES } from './services';

export interface QueryFilters {
  readonly vault?: string;
  readonly case?: string;
  readonly principal?: string;
  readonly event?: string;
  readonly service?: ServiceName;
  readonly account?: string;
  readonly region?: string;
  /** Inclusive lower bound, CloudTrail's `eventTime` format (see `cli/time.ts`). */
  readonly since?: string;
  /** Inclusive upper bound, same format. */
  readonly until?: string;
  readonly errorsOnly?: boolean;
}

/** A condition on a projected attribute, applied as a FilterExpression. */
export type FilterCondition =
  | { readonly kind: 'equals'; readonly attribute: string; readonly value: string }
  | { readonly kind: 'exists'; readonly attribute: string };

export interface QueryPlan {
  readonly index: IndexName;
  /** GSI partition key attribute. */
  readonly partitionKey: string;
  /** GSI sort key attribute. */
  readonly sortKey: string;
  /** One Query per value; several are merged newest first. */
  readonly partitions: readonly string[];
  /** Inclusive bounds on the sort key. */
  readonly range: { readonly lower: string; readonly upper: string };
  readonly conditions: readonly FilterCondition[];
  /** One line for humans (`--explain`, `--debug`). */
  readonly description: string;
}

const ACCOUNT = /^\d{12}$/;
const EXAMPLE = { account: '111122223333', region: 'us-east-1' } as const;

export interface PlanOptions {
  /** How suggestions in errors start, e.g. with the user's `--local`. @default 'trail-index query' */
  readonly command?: string;
}

export function planQuery(filters: QueryFilters, options: PlanOptions = {}): QueryPlan {
  const command = options.command ?? 'trail-index query';
  validate(filters);
  const range = timeRange(filters.since, filters.until);
  const equals = (attribute: string, value: string | undefined): FilterCondition[] =>
    value === undefined ? [] : [{ kind: 'equals', attribute, value }];
  const errors: FilterCondition[] =
    filters.errorsOnly === true ? [{ kind: 'exists', attribute: 'errorCode' }] : [];
  const event = resolveEvent(filters);
  const serviceSource = filters.service === undefined ? undefined : SERVICES[filters.service].eventSource;

  const plan = (
    index: IndexName,
    partitions: string[],
    conditions: FilterCondition[],
    description: string,
  ): QueryPlan => ({
    index,
    partitionKey: INDEXES[index].partitionKey,
    sortKey: INDEXES[index].sortKey,
    partitions,
    range,
    conditions: [...conditions, ...errors],
    description,
  });

  if (filters.vault !== undefined) {
    if (filters.account === undefined || filters.region === undefined) {
      throw new UsageError(
        `--vault needs --account and --region: vault names are unique only within an account and region, e.g.\n` +
          `  ${command} --vault ${filters.vault} --account ${filters.account ?? EXAMPLE.account} --region ${filters.region ?? EXAMPLE.region}`,
      );
    }
    return plan(
      'byResource',
      [keys.vault(filters.account, filters.region, filters.vault)],
      [...equals('principal', filters.principal), ...equals('eventName', event?.eventName)],
      `vault ${filters.vault} in ${filters.account} ${filters.region}`,
    );
  }
  if (filters.case !== undefined) {
    return plan(
      'byResource',
      [keys.supportCase(filters.case)],
      [
        ...equals('recipientAccountId', filters.account),
        ...equals('awsRegion', filters.region),
        ...equals('principal', filters.principal),
        ...equals('eventName', event?.eventName),
      ],
      `support case ${filters.case}`,
    );
  }
  if (filters.principal !== undefined) {
    return plan(
      'byPrincipal',
      [keys.principal(filters.principal)],
      [
        ...equals('recipientAccountId', filters.account),
        ...equals('awsRegion', filters.region),
        ...equals('eventSource', event === undefined ? serviceSource : undefined),
        ...equals('eventName', event?.eventName),
      ],
      `principal ${filters.principal}`,
    );
  }
  if (event !== undefined) {
    return plan(
      'byAction',
      event.sources.map((source) => keys.action(source, event.eventName)),
      [...equals('recipientAccountId', filters.account), ...equals('awsRegion', filters.region)],
      `event ${event.eventName} (${event.sources.join(', ')})`,
    );
  }
  if (filters.account !== undefined && filters.region !== undefined) {
    return plan(
      'byLocation',
      [keys.location(filters.account, filters.region)],
      equals('eventSource', serviceSource),
      `account ${filters.account} in ${filters.region}`,
    );
  }
  throw unservable(filters, command);
}

/** The event name to match and the event sources it may come from. */
function resolveEvent(filters: QueryFilters): { eventName: string; sources: string[] } | undefined {
  if (filters.event === undefined) return undefined;
  const known = lookupEventName(filters.event);
  if (filters.service !== undefined) {
    if (known !== undefined && known.service !== filters.service) {
      throw new UsageError(
        `${known.eventName} is a ${known.service} event, not ${filters.service}: use --service ${known.service} or leave --service out`,
      );
    }
    return { eventName: known?.eventName ?? filters.event, sources: [SERVICES[filters.service].eventSource] };
  }
  if (known !== undefined)
    return { eventName: known.eventName, sources: [SERVICES[known.service].eventSource] };
  // Not a name we know (a new API action?): look for it under every service.
  return { eventName: filters.event, sources: SERVICE_NAMES.map((s) => SERVICES[s].eventSource) };
}

function validate(filters: QueryFilters): void {
  if (filters.vault !== undefined && filters.case !== undefined) {
    throw new UsageError(
      '--vault and --case never match the same event (vaults are Glacier, cases are Support): choose one',
    );
  }
  if (filters.vault !== undefined && filters.service === 'support') {
    throw new UsageError('--vault is a Glacier resource: drop --service support');
  }
  if (filters.case !== undefined && filters.service === 'glacier') {
    throw new UsageError('--case is a Support resource: drop --service glacier');
  }
  if (filters.account !== undefined && !ACCOUNT.test(filters.account)) {
    throw new UsageError(`--account "${filters.account}" is not an AWS account id (12 digits)`);
  }
  for (const [option, value] of Object.entries({
    '--vault': filters.vault,
    '--case': filters.case,
    '--principal': filters.principal,
    '--event': filters.event,
    '--region': filters.region,
  })) {
    if (value !== undefined && value.trim() === '') throw new UsageError(`${option} needs a value`);
  }
}

function unservable(filters: QueryFilters, command: string): UsageError {
  const account = filters.account ?? EXAMPLE.account;
  const region = filters.region ?? EXAMPLE.region;
  const service = filters.service ? ` --service ${filters.service}` : '';
  let reason: string;
  if (filters.account !== undefined || filters.region !== undefined) {
    reason = '--account and --region select events together (the index is per account and region)';
  } else if (filters.service !== undefined) {
    reason = '--service alone matches every event of that service, which only a Scan could find';
  } else {
    reason = 'these filters need an index: give a vault, case, principal, event, or account and region';
  }
  return new UsageError(
    `${reason}. For example:\n` +
      `  ${command} --account ${account} --region ${region}${service}\n` +
      `  ${command} --event ${filters.service === 'support' ? 'CreateCase' : 'DeleteVault'}\n` +
      `  ${command} --principal arn:aws:iam::${account}:user/NAME\n` +
      `  ${command} --vault NAME --account ${account} --region ${region}\n` +
      `  ${command} --case CASE_ID`,
  );
}
