/**
 * Alert rules as data, and the alert they produce. A rule matches records by event source and
 * name, optionally narrowed by a condition; every matching event publishes exactly one alert,
 * whether the call succeeded or failed.
 */
import type { EventItem } from '../shared/event-item';

export interface AlertRule {
  /** Stable id: part of the exactly-once marker key, so never rename a deployed rule. */
  readonly id: string;
  readonly eventSource: string;
  readonly eventNames: readonly string[];
  /** Further narrows the match, on the original record. */
  readonly condition?: (record: Readonly<Record<string, unknown>>) => boolean;
  /** Subject wording; defaults to `<service> <eventName>` and `<service> <eventName> attempt FAILED`. */
  readonly title?: { readonly succeeded: string; readonly failed: string };
}

const GLACIER = 'glacier.amazonaws.com';

/** The rules the indexer applies. Add e.g. `{ id: 'glacier-abort-vault-lock', eventSource: GLACIER, eventNames: ['AbortVaultLock'] }`. */
export const DEFAULT_ALERT_RULES: readonly AlertRule[] = [
  {
    id: 'glacier-delete-vault',
    eventSource: GLACIER,
    eventNames: ['DeleteVault'],
    title: { succeeded: 'Glacier vault deleted', failed: 'Glacier vault deletion attempt FAILED' },
  },
];

export function matchingRules(
  rules: readonly AlertRule[],
  record: Readonly<Record<string, unknown>>,
): AlertRule[] {
  return rules.filter(
    (rule) =>
      record.eventSource === rule.eventSource &&
      typeof record.eventName === 'string' &&
      rule.eventNames.includes(record.eventName) &&
      (rule.condition === undefined || rule.condition(record)),
  );
}

export interface AlertMessage {
  readonly ruleId: string;
  readonly eventID: string;
  /** At most 100 printable ASCII characters (SNS's limit for email subjects). */
  readonly subject: string;
  readonly body: string;
  /** String attributes for SNS subscription filter policies. */
  readonly attributes: {
    readonly eventName: string;
    readonly account: string;
    readonly region: string;
    readonly outcome: 'succeeded' | 'failed';
  };
}

const SUBJECT_MAX = 100;

/** SNS subjects must be ASCII without control characters. */
function asciiSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

function shortService(eventSource: string): string {
  const name = eventSource.replace(/\.amazonaws\.com$/, '');
  return name.charAt(0).toUpperCase() + name.slice(1);
}

export function formatAlert(rule: AlertRule, item: EventItem): AlertMessage {
  const failed = item.errorCode !== undefined;
  const account = item.vaultAccountId ?? item.recipientAccountId;
  const resource = item.vaultName ?? item.caseId ?? item.eventName;
  const service = shortService(item.eventSource);
  return {
    ruleId: rule.id,
    eventID: item.eventID,
    subject: failed
      ? fitSubject(
          `${rule.title?.failed ?? `${service} ${item.eventName} attempt FAILED`} (`,
          item.errorCode ?? '',
          '): ',
          resource,
          ` (${account}, ${item.awsRegion})`,
        )
      : fitSubject(
          `${rule.title?.succeeded ?? `${service} ${item.eventName}`}: `,
          '',
          '',
          resource,
          ` (${account}, ${item.awsRegion})`,
        ),
    body: bodyOf(rule, item, failed, account),
    attributes: {
      eventName: item.eventName,
      account,
      region: item.awsRegion,
      outcome: failed ? 'failed' : 'succeeded',
    },
  };
}

/**
 * `<title><code><middle><resource><where>` in at most 100 ASCII characters. What gives way first
 * is the error code (the body has it whole), then the resource name, then the end of the line.
 */
function fitSubject(title: string, code: string, middle: string, resource: string, where: string): string {
  let [c, r] = [asciiSafe(code), asciiSafe(resource)];
  const fixed = asciiSafe(title).length + asciiSafe(middle).length + asciiSafe(where).length;
  const shorten = (text: string, keep: number) =>
    text.length <= keep ? text : `${text.slice(0, Math.max(0, keep - 3))}...`;
  const over = () => fixed + c.length + r.length - SUBJECT_MAX;
  if (over() > 0) c = shorten(c, Math.max(12, c.length - over()));
  if (over() > 0) r = shorten(r, Math.max(12, r.length - over()));
  const subject = `${asciiSafe(title)}${c}${asciiSafe(middle)}${r}${asciiSafe(where)}`;
  return subject.length <= SUBJECT_MAX ? subject : shorten(subject, SUBJECT_MAX);
}

function bodyOf(rule: AlertRule, item: EventItem, failed: boolean, account: string): string {
  const mfa = item.mfaAuthenticated === undefined ? 'not reported' : item.mfaAuthenticated ? 'yes' : 'no';
  const lines: [string, string | undefined][] = [
    [
      'Outcome',
      failed
        ? `FAILED: ${item.errorCode ?? ''}${item.errorMessage === undefined ? '' : ` - ${item.errorMessage}`}`
        : 'succeeded',
    ],
    ['Action', `${item.eventSource} ${item.eventName}`],
    ['Vault', item.vaultName],
    ['Support case', item.caseId],
    ['Account', account],
    ['Region', item.awsRegion],
    ['Who', item.principal],
    ['Identity type', item.principalType],
    ['MFA', mfa],
    ['Access key id', item.accessKeyId],
    ['When', item.eventTime],
    ['Source IP', item.sourceIPAddress],
    ['User agent', item.userAgent],
    ['Event ID', item.eventID],
    ['Log file', `s3://${item.logBucket}/${item.logKey}`],
    ['Rule', rule.id],
  ];
  const present = lines.filter((line): line is [string, string] => line[1] !== undefined);
  const width = Math.max(...present.map(([label]) => label.length)) + 2;
  const headline = failed
    ? `A ${item.eventName} call was made and FAILED. An attempt is still a signal: check who made it.`
    : `A ${item.eventName} call succeeded.`;
  return [headline, '', ...present.map(([label, value]) => `${`${label}:`.padEnd(width)}${value}`), ''].join(
    '\n',
  );
}
