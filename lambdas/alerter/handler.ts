/**
 * The fast-path alerter Lambda, invoked by EventBridge rules in the home region (events from the
 * other alert regions are forwarded to its bus). Configuration comes from the environment the
 * construct sets; clients are configured by the SDK's standard settings only.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { ENV, METRIC } from '../shared/config';
import { createAlertPublisher } from '../indexer/alert-publisher';
import { readAlertSettings } from '../indexer/config';
import { ConfigError } from '../indexer/errors';
import { count, logger, metrics } from '../indexer/observability';
import { createRateCounter } from '../indexer/rate-counter';
import { type FastPathDeps, type FastPathResult, handleEvent } from './fast-path';

const dynamodb = new DynamoDBClient({});
const sns = new SNSClient({});
let deps: FastPathDeps | undefined;

function required(name: string): string {
  const value = process.env[name]?.trim();
  if (value === undefined || value === '') throw new ConfigError(`environment variable ${name} is required`);
  return value;
}

function depsFromEnvironment(): FastPathDeps {
  const tableName = required(ENV.tableName);
  const retention = process.env[ENV.retentionDays]?.trim();
  const { rules, own } = readAlertSettings();
  return {
    rules,
    own,
    publisher: createAlertPublisher({ dynamodb, sns, tableName, topicArn: required(ENV.alertTopicArn) }),
    rates: createRateCounter({ dynamodb, tableName }),
    ...(retention === undefined || retention === '' ? {} : { retentionDays: Number(retention) }),
  };
}

export async function handler(event: unknown, context?: Context): Promise<FastPathResult> {
  if (context !== undefined) logger.addContext(context);
  deps ??= depsFromEnvironment();
  try {
    const result = await handleEvent(deps, event);
    if (result.skipped !== undefined) {
      logger.warn('Event skipped', { reason: result.skipped });
      count(METRIC.notificationsSkipped, 1);
    }
    const published = result.outcomes.filter((o) => o.outcome === 'published').length;
    count(METRIC.fastAlertsPublished, published);
    for (const { ruleId, outcome } of result.outcomes)
      logger.info('Alert', { ruleId, eventID: result.eventID, outcome, path: 'eventbridge' });
    return result;
  } finally {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
}
