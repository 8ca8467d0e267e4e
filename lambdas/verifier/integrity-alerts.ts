/**
 * Alerts for what the digests prove: a digest or log file that is invalid or missing, a gap in a
 * chain, digests that stopped while logging goes on. Each is published once (the alert marker is
 * keyed by the rule and the object it is about) on the same topic as the vault alerts.
 */
import { SNS_SUBJECT_MAX_CHARS } from '../shared/aws-limits';
import {
  ALERT_BODY_MAX_BYTES,
  type AlertMessage,
  asciiSafe,
  attributeValue,
  bodyValue,
} from '../indexer/alert-rules';

export type IntegrityAlertKind =
  | 'digest-invalid'
  | 'digest-missing'
  | 'log-file-invalid'
  | 'log-file-missing'
  | 'digest-overdue'
  | 'chain-gap';

const ALERTS: Readonly<Record<IntegrityAlertKind, { title: string; eventName: string; headline: string }>> = {
  'digest-invalid': {
    title: 'CloudTrail digest INVALID',
    eventName: 'DigestInvalid',
    headline:
      'A CloudTrail digest file failed verification: it was altered, moved or not signed by CloudTrail.',
  },
  'digest-missing': {
    title: 'CloudTrail digest MISSING',
    eventName: 'DigestMissing',
    headline:
      'A CloudTrail digest file named by the next one in its chain is not in the bucket: it was deleted.',
  },
  'log-file-invalid': {
    title: 'CloudTrail log file INVALID',
    eventName: 'LogFileInvalid',
    headline:
      'A CloudTrail log file is not what CloudTrail delivered: its SHA-256 differs from the signed digest.',
  },
  'log-file-missing': {
    title: 'CloudTrail log file MISSING',
    eventName: 'LogFileMissing',
    headline: 'A CloudTrail log file listed by a signed digest is not in the bucket: it was deleted.',
  },
  'digest-overdue': {
    title: 'CloudTrail digests OVERDUE',
    eventName: 'DigestOverdue',
    headline:
      'Log files are still delivered but CloudTrail has written no digest for over two hours: log file validation may be off, or digests are being deleted.',
  },
  'chain-gap': {
    title: 'CloudTrail digest chain GAP',
    eventName: 'DigestChainGap',
    headline:
      'A CloudTrail digest chain restarted: logging was stopped or log file validation was off in between, and nothing delivered then is covered by a digest.',
  },
};

/** The rule id of each kind: part of the exactly-once marker key, so never renamed. */
export function integrityRuleId(kind: IntegrityAlertKind): string {
  return `integrity-${kind}`;
}

export interface IntegrityFacts {
  readonly accountId: string;
  readonly region: string;
  /** `s3://bucket/key` of what the alert is about. */
  readonly object: string;
  readonly detail: string;
  /** The digest that says so, when it is not the object itself. */
  readonly digest?: string;
}

/** The alert, keyed for exactly-once by its kind and the object it is about. */
export function integrityAlert(kind: IntegrityAlertKind, facts: IntegrityFacts): AlertMessage {
  const alert = ALERTS[kind];
  const where = ` (${asciiSafe(facts.accountId)}, ${asciiSafe(facts.region)})`;
  const subject = `${alert.title}${where}`.slice(0, SNS_SUBJECT_MAX_CHARS);
  const lines: [string, string | undefined][] = [
    ['What', alert.title],
    ['Object', facts.object],
    ['Detail', facts.detail],
    ['Digest', facts.digest],
    ['Account', facts.accountId],
    ['Region', facts.region],
    ['Rule', integrityRuleId(kind)],
  ];
  const present = lines.filter((line): line is [string, string] => line[1] !== undefined);
  const width = Math.max(...present.map(([label]) => label.length)) + 2;
  const body = [
    alert.headline,
    '',
    ...present.map(([label, value]) => `${`${label}:`.padEnd(width)}${bodyValue(value)}`),
    '',
  ].join('\n');
  return {
    ruleId: integrityRuleId(kind),
    eventID: facts.object,
    subject,
    // 7 lines of at most ~4 KB each stay far below the limit.
    body: Buffer.byteLength(body) <= ALERT_BODY_MAX_BYTES ? body : body.slice(0, ALERT_BODY_MAX_BYTES / 4),
    attributes: {
      eventName: alert.eventName,
      account: attributeValue(facts.accountId),
      region: attributeValue(facts.region),
      outcome: 'failed',
    },
  };
}
