/**
 * When the trail itself goes quiet: what GetTrailStatus says is wrong, and what changed since the
 * last check. Pure: the handler reads the status and the last state, this decides the alerts.
 * A stopped trail cannot log its own stopping once its StopLogging record is lost, and a trail
 * whose bucket or topic refuses it delivers nothing: only the API tells.
 */
import { type AlertMessage, finishAlert, shellQuote } from '../shared/alert-message';
import type { Severity } from '../shared/alert-rules';
import { SNS_SUBJECT_MAX_CHARS } from '../shared/aws-limits';

/** The fields of CloudTrail's GetTrailStatus response that are looked at. */
export interface TrailStatus {
  readonly IsLogging?: boolean;
  readonly LatestDeliveryError?: string;
  readonly LatestNotificationError?: string;
  readonly LatestDigestDeliveryError?: string;
  readonly StopLoggingTime?: Date;
  readonly LatestDeliveryTime?: Date;
}

export const PROBLEMS = {
  'not-logging': { field: 'IsLogging', severity: 'critical', what: 'the trail is not logging' },
  'delivery-error': {
    field: 'LatestDeliveryError',
    severity: 'critical',
    what: 'CloudTrail cannot deliver log files to the bucket',
  },
  'notification-error': {
    field: 'LatestNotificationError',
    severity: 'high',
    what: 'CloudTrail cannot publish to the SNS topic: this index receives no log files',
  },
  'digest-delivery-error': {
    field: 'LatestDigestDeliveryError',
    severity: 'high',
    what: 'CloudTrail cannot deliver digest files: log file integrity cannot be proven',
  },
} as const satisfies Record<string, { field: keyof TrailStatus; severity: Severity; what: string }>;
export type Problem = keyof typeof PROBLEMS;

/** Each problem present, with its detail (the error CloudTrail reports). */
export function problemsOf(status: TrailStatus): Partial<Record<Problem, string>> {
  const problems: Partial<Record<Problem, string>> = {};
  if (status.IsLogging === false)
    problems['not-logging'] =
      status.StopLoggingTime === undefined
        ? 'IsLogging is false'
        : `stopped at ${status.StopLoggingTime.toISOString()}`;
  for (const kind of ['delivery-error', 'notification-error', 'digest-delivery-error'] as const) {
    const error = status[PROBLEMS[kind].field];
    if (typeof error === 'string' && error.trim() !== '') problems[kind] = error;
  }
  return problems;
}

export interface Transition {
  readonly problem: Problem;
  readonly change: 'raised' | 'cleared';
  readonly detail: string;
}

/**
 * What changed: a problem that appeared, or whose error changed (a new cause), is raised; one that
 * is gone is cleared. The same problem seen again is no transition, so each check alerts nothing.
 */
export function transitions(
  previous: Partial<Record<Problem, string>>,
  current: Partial<Record<Problem, string>>,
): Transition[] {
  const out: Transition[] = [];
  for (const problem of Object.keys(PROBLEMS) as Problem[]) {
    const before = previous[problem];
    const now = current[problem];
    if (now !== undefined && now !== before) out.push({ problem, change: 'raised', detail: now });
    else if (now === undefined && before !== undefined)
      out.push({ problem, change: 'cleared', detail: before });
  }
  return out;
}

export const TRAIL_STATUS_RULE = 'trail-status';

/** The alert for one transition; `version` is the state it leads to, so each transition alerts once. */
export function trailStatusAlert(
  trailArn: string,
  version: number,
  transition: Transition,
  checkedAt: Date,
): AlertMessage {
  const problem = PROBLEMS[transition.problem];
  const raised = transition.change === 'raised';
  const severity: Severity = raised ? problem.severity : 'low';
  const match = /^arn:[^:]+:cloudtrail:([^:]+):(\d{12}):trail\/(.+)$/.exec(trailArn);
  const [region, account, name] = [match?.[1] ?? 'unknown', match?.[2] ?? 'unknown', match?.[3] ?? trailArn];
  const title = raised
    ? `${severity === 'critical' ? 'CRITICAL: ' : 'HIGH: '}Trail ${name}: ${problem.what}`
    : `RECOVERED: trail ${name}: ${problem.what}, no longer`;
  const subject = title.replace(/[^\x20-\x7e]/g, '?');
  return finishAlert({
    ruleId: `${TRAIL_STATUS_RULE}-${transition.problem}`,
    eventID: `trail-status:${trailArn}#${version}:${transition.change}`,
    subject:
      subject.length <= SNS_SUBJECT_MAX_CHARS ? subject : `${subject.slice(0, SNS_SUBJECT_MAX_CHARS - 3)}...`,
    severity,
    headline: raised
      ? `GetTrailStatus says ${problem.what}.`
      : `GetTrailStatus no longer reports that ${problem.what}.`,
    lines: [
      ['Trail', trailArn],
      ['Problem', transition.problem],
      [raised ? 'Detail' : 'Was', transition.detail],
      ['Checked at', checkedAt.toISOString()],
      ['Account', account],
      ['Region', region],
      ['Rule', `${TRAIL_STATUS_RULE}-${transition.problem} (${severity})`],
    ],
    next: raised
      ? transition.problem === 'not-logging'
        ? `Start logging (aws cloudtrail start-logging --name ${shellQuote(trailArn)}) and find who stopped it.`
        : "Check the bucket's, topic's and key's policies against the stack (cdk diff) and redeploy."
      : 'Nothing to do; run trail-index backfill over the time it lasted if log files were missed.',
    query: `trail-index query --event StopLogging --since 24h`,
    attributes: { eventName: 'GetTrailStatus', account, region, outcome: raised ? 'failed' : 'succeeded' },
    chatTitle: subject,
    keywords: [severity, transition.problem, name],
  });
}
