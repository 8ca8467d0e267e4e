/**
 * Alerts for what the digests prove: a digest or log file that is invalid or missing, a gap in a
 * chain, digests that stopped while logging goes on. Each is published once (the alert marker is
 * keyed by the rule and the object it is about) on the same topic as the vault alerts.
 */
import { SNS_SUBJECT_MAX_CHARS } from '../shared/aws-limits';
import { type AlertMessage, asciiSafe, finishAlert, shellQuote } from '../shared/alert-message';
import type { Severity } from '../shared/alert-rules';

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
  const severity: Severity = kind === 'digest-overdue' || kind === 'chain-gap' ? 'high' : 'critical';
  return finishAlert({
    ruleId: integrityRuleId(kind),
    eventID: facts.object,
    subject,
    severity,
    headline: alert.headline,
    lines: [
      ['What', alert.title],
      ['Object', facts.object],
      ['Detail', facts.detail],
      ['Digest', facts.digest],
      ['Account', facts.accountId],
      ['Region', facts.region],
      ['Rule', `${integrityRuleId(kind)} (${severity})`],
    ],
    next: 'Run trail-index verify over the hours around it to see what else changed, and restore the file from its previous S3 version if it has one.',
    query: `trail-index verify --account ${shellQuote(facts.accountId)} --region ${shellQuote(facts.region)} --since 24h`,
    attributes: {
      eventName: alert.eventName,
      account: facts.accountId,
      region: facts.region,
      outcome: 'failed',
    },
    chatTitle: subject,
    keywords: [severity, integrityRuleId(kind), facts.accountId, facts.region],
  });
}
