/**
 * Alert rules as data, and the alert they produce. A rule matches records by event source and
 * name, optionally narrowed by a condition; every matching event publishes exactly one alert,
 * whether the call succeeded or failed.
 */
import { SNS_MESSAGE_MAX_BYTES, SNS_SUBJECT_MAX_CHARS } from '../shared/aws-limits';
import type { EventItem } from '../shared/event-item';
import { safeText } from '../shared/safe-text';

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
  /** 1 to 99 printable ASCII characters, starting with a letter (SNS Publish's Subject rules). */
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

const SUBJECT_MAX = SNS_SUBJECT_MAX_CHARS;
/** A line of the body, value included: long enough for any real value, and 20 of them fit any message. */
const BODY_VALUE_MAX_CHARS = 4096;
/** Room left in the message for its attributes (4 short string attributes, names and types included). */
const ATTRIBUTES_ALLOWANCE_BYTES = 8 * 1024;
export const ALERT_BODY_MAX_BYTES = SNS_MESSAGE_MAX_BYTES - ATTRIBUTES_ALLOWANCE_BYTES;
/** Each attribute value: what subscription filter policies match on, never long in real events. */
const ATTRIBUTE_VALUE_MAX_CHARS = 256;

/** SNS subjects must be ASCII without control characters. */
export function asciiSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

/** A body value: terminal-safe, on one line, and bounded. */
export function bodyValue(text: string): string {
  const safe = safeText(text);
  return safe.length <= BODY_VALUE_MAX_CHARS
    ? safe
    : `${safe.slice(0, BODY_VALUE_MAX_CHARS)}... [${safe.length - BODY_VALUE_MAX_CHARS} more characters in the record]`;
}

/** An attribute value: non-empty (SNS refuses empty values), terminal-safe and bounded. */
export function attributeValue(text: string): string {
  const safe = safeText(text).slice(0, ATTRIBUTE_VALUE_MAX_CHARS);
  return safe === '' ? 'unknown' : safe;
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
      eventName: attributeValue(item.eventName),
      account: attributeValue(account),
      region: attributeValue(item.awsRegion),
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
  const body = [
    bodyValue(headline),
    '',
    ...present.map(([label, value]) => `${`${label}:`.padEnd(width)}${bodyValue(value)}`),
    '',
  ].join('\n');
  // 20 lines of at most ~4 KB each cannot reach the limit; checked all the same, since SNS would
  // refuse the message and the alert would never arrive.
  return Buffer.byteLength(body) <= ALERT_BODY_MAX_BYTES ? body : truncateUtf8(body, ALERT_BODY_MAX_BYTES);
}

function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  let cut = maxBytes;
  while (cut > 0 && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut--;
  return bytes.toString('utf8', 0, cut);
}
