/**
 * The fast path: CloudTrail's `AWS API Call via CloudTrail` events from EventBridge, seconds after
 * the call, run through the same rules and the same alert code as the log files. The marker keyed
 * by eventID and rule is shared, so whichever path sees an event first alerts and the other does
 * not. The log-file path stays the complete record: an event this path never saw (EventBridge
 * delivers AWS service events on a best-effort basis) is alerted when its file arrives.
 */
import { type AlertRule, matchingRules, type OwnResources } from '../shared/alert-rules';
import { buildEventItem } from '../shared/event-item';
import { type AlertingDeps, raise, type RaiseOutcome, toMatches } from '../indexer/alerting';

export const API_CALL_DETAIL_TYPE = 'AWS API Call via CloudTrail';

export interface FastPathDeps extends AlertingDeps {
  readonly rules: readonly AlertRule[];
  readonly own: OwnResources;
  /** Days an event's alert marker is kept, as the index keeps the event. @default - forever */
  readonly retentionDays?: number;
}

export interface FastPathResult {
  /** Why the event was not looked at, if it was not. */
  readonly skipped?: string;
  readonly eventID?: string;
  readonly outcomes: { readonly ruleId: string; readonly outcome: RaiseOutcome }[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Alerts on one EventBridge event. An event that is not a CloudTrail API call, or has no event
 * name or source, is skipped with the reason (a retry could not fix it); DynamoDB and SNS errors
 * are thrown, so that Lambda retries and then the failure destination keeps the event.
 */
export async function handleEvent(
  deps: FastPathDeps,
  event: unknown,
  now = new Date(),
): Promise<FastPathResult> {
  if (!isObject(event)) return { skipped: 'not an EventBridge event', outcomes: [] };
  if (event['detail-type'] !== API_CALL_DETAIL_TYPE)
    return { skipped: `detail-type is not "${API_CALL_DETAIL_TYPE}"`, outcomes: [] };
  const detail = event.detail;
  if (!isObject(detail) || typeof detail.eventSource !== 'string' || typeof detail.eventName !== 'string')
    return { skipped: 'detail has no eventSource and eventName', outcomes: [] };
  // Another resource than this deployment's (the patterns only name the calls): nothing to build.
  const hit = matchingRules(deps.rules, detail, deps.own);
  if (hit.length === 0) return { outcomes: [] };
  // The same item the log-file path builds from the same record: the same eventID (fitted the same
  // way), so that the two paths claim the same marker.
  const {
    logBucket: _bucket,
    logKey: _key,
    ...facts
  } = buildEventItem(detail, {
    logBucket: '',
    logKey: '',
    indexedAt: now,
    ...(deps.retentionDays === undefined ? {} : { retentionDays: deps.retentionDays }),
  });
  const outcomes: { ruleId: string; outcome: RaiseOutcome }[] = [];
  for (const match of toMatches(hit, detail, facts, facts.expiresAt)) {
    const { outcome } = await raise(deps, match, 'eventbridge');
    outcomes.push({ ruleId: match.rule.id, outcome });
  }
  return { eventID: facts.eventID, outcomes };
}
