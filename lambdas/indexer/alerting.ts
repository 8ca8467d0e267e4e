/**
 * From a matched rule to a published alert, the same for the log-file path (the indexer) and the
 * fast path (EventBridge): one alert per (event, rule) through the shared marker, and for a rate
 * rule, one per (resource, window) once the count passes its threshold.
 */
import {
  type AlertFacts,
  type AlertMessage,
  type AlertPath,
  finishAlert,
  fitSubject,
  formatAlert,
  shellQuote,
} from '../shared/alert-message';
import { type AlertRule, fieldValue } from '../shared/alert-rules';
import type { AlertOutcome, AlertPublisher } from './alert-publisher';
import type { RateCounter } from './rate-counter';

export interface AlertingDeps {
  readonly publisher: AlertPublisher;
  /** Counts rate rules' events; none: rate rules are not applied. */
  readonly rates?: RateCounter;
}

/** A rule a record matched, with what its alert needs. */
export interface MatchedRule {
  readonly rule: AlertRule;
  readonly facts: AlertFacts;
  /** The resource the call acted on, as the record names it. */
  readonly resource?: string;
  /** The alert marker's TTL (the event's own). */
  readonly expiresAt?: number;
}

/**
 * The rules a record matched (`matchingRules`), ready to raise with the record's facts. Matching
 * comes first so that a record no rule wants costs no item.
 */
export function toMatches(
  matched: readonly AlertRule[],
  record: Readonly<Record<string, unknown>>,
  facts: AlertFacts,
  expiresAt?: number,
): MatchedRule[] {
  return matched.map((rule) => {
    const resource = rule.resource?.fields
      .map((field) => fieldValue(record, field))
      .find((v): v is string => typeof v === 'string');
    return {
      rule,
      facts,
      ...(resource === undefined ? {} : { resource }),
      ...(expiresAt === undefined ? {} : { expiresAt }),
    };
  });
}

export type RaiseOutcome = AlertOutcome | 'below-threshold';

/** Publishes the alert a match calls for (at most once, whichever path gets there first). */
export async function raise(
  deps: AlertingDeps,
  match: MatchedRule,
  path: AlertPath,
): Promise<{ outcome: RaiseOutcome; message?: AlertMessage }> {
  const { rule, facts } = match;
  if (rule.rate === undefined) {
    const message = formatAlert(rule, facts, {
      path,
      ...(match.resource === undefined ? {} : { resource: match.resource }),
    });
    const outcome = await deps.publisher.publish(
      message,
      match.expiresAt === undefined ? {} : { expiresAt: match.expiresAt },
    );
    return { outcome, message };
  }
  if (deps.rates === undefined) return { outcome: 'below-threshold' };
  const account = facts.vaultAccountId ?? facts.recipientAccountId;
  const target = facts.vaultName ?? match.resource ?? 'unknown';
  const resource = `${account}/${facts.awsRegion}/${target}`;
  const counted = await deps.rates.count({ id: rule.id, rate: rule.rate }, resource, facts);
  if (!counted.exceeded) return { outcome: 'below-threshold' };
  const message = rateAlert(rule as AlertRule & { rate: NonNullable<AlertRule['rate']> }, facts, {
    account,
    target,
    window: counted.window,
  });
  return { outcome: await deps.publisher.publish(message), message };
}

/** A rate rule's alert: keyed by rule, resource and window, so each window alerts once. */
export function rateAlert(
  rule: AlertRule & { rate: NonNullable<AlertRule['rate']> },
  facts: AlertFacts,
  at: { account: string; target: string; window: { start: string; end: string } },
): AlertMessage {
  const { threshold, windowMinutes } = rule.rate;
  const what = `More than ${threshold} ${facts.eventName} calls on ${at.target} within ${windowMinutes} minutes`;
  const subject = fitSubject(
    `${rule.severity === 'critical' ? 'CRITICAL: ' : ''}More than ${threshold} ${facts.eventName} in ${windowMinutes} min: `,
    '',
    '',
    at.target,
    ` (${at.account}, ${facts.awsRegion})`,
  );
  return finishAlert({
    ruleId: rule.id,
    eventID: `rate:${at.account}/${facts.awsRegion}/${at.target}@${at.window.start}`,
    subject,
    severity: rule.severity,
    headline: `${rule.description} ${what}.`,
    lines: [
      ['Action', `${facts.eventSource} ${facts.eventName}`],
      ['Vault', facts.vaultName],
      ['Resource', facts.vaultName === undefined ? at.target : undefined],
      ['Account', at.account],
      ['Region', facts.awsRegion],
      ['Window', `${at.window.start} to ${at.window.end}`],
      ['Threshold', `more than ${threshold} calls in ${windowMinutes} minutes`],
      ['Who (the call that passed it)', facts.principal],
      ['Source IP', facts.sourceIPAddress],
      ['Event ID', facts.eventID],
      ['Rule', `${rule.id} (${rule.severity})`],
      ['Why this rule', rule.source],
    ],
    next: rule.next,
    query:
      facts.vaultName === undefined
        ? `trail-index query --event ${shellQuote(facts.eventName)} --since ${at.window.start} --until ${at.window.end}`
        : `trail-index query --vault ${shellQuote(facts.vaultName)} --account ${shellQuote(at.account)} --region ${shellQuote(facts.awsRegion)} --since ${at.window.start} --until ${at.window.end}`,
    attributes: {
      eventName: facts.eventName,
      account: at.account,
      region: facts.awsRegion,
      outcome: 'succeeded',
    },
    chatTitle: subject,
    keywords: [rule.severity, rule.id, facts.eventName, at.account, facts.awsRegion],
  });
}
