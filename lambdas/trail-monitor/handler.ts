/**
 * The trail monitor Lambda: run every few minutes by an EventBridge schedule, it checks the trail
 * with GetTrailStatus and alerts once per change (see monitor.ts). Clients are configured by the
 * SDK's standard settings only; CloudTrail is called in the trail's own region.
 */
import { CloudTrailClient, GetTrailStatusCommand } from '@aws-sdk/client-cloudtrail';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { ENV, METRIC } from '../shared/config';
import { createAlertPublisher } from '../indexer/alert-publisher';
import { ConfigError } from '../indexer/errors';
import { count, logger, metrics } from '../indexer/observability';
import { type CheckResult, checkTrail, createTrailStateStore } from './monitor';

const dynamodb = new DynamoDBClient({});
const sns = new SNSClient({});
let cloudtrail: CloudTrailClient | undefined;

function required(name: string): string {
  const value = process.env[name]?.trim();
  if (value === undefined || value === '') throw new ConfigError(`environment variable ${name} is required`);
  return value;
}

export async function handler(_event: unknown, context?: Context): Promise<CheckResult> {
  if (context !== undefined) logger.addContext(context);
  const trailArn = required(ENV.trailArn);
  const tableName = required(ENV.tableName);
  const region = /^arn:[^:]+:cloudtrail:([^:]+):/.exec(trailArn)?.[1];
  if (region === undefined) throw new ConfigError(`${ENV.trailArn} must be a trail ARN, got "${trailArn}"`);
  cloudtrail ??= new CloudTrailClient({ region });
  const client = cloudtrail;
  try {
    const result = await checkTrail(
      {
        status: () => client.send(new GetTrailStatusCommand({ Name: trailArn })),
        store: createTrailStateStore({ dynamodb, tableName }),
        alerts: createAlertPublisher({ dynamodb, sns, tableName, topicArn: required(ENV.alertTopicArn) }),
      },
      trailArn,
    );
    // A gauge for the alarm: how many problems the trail has now (0 when healthy).
    metrics.addMetric(METRIC.trailProblems, 'Count', Object.keys(result.problems).length);
    if (result.raised + result.cleared > 0) logger.warn('Trail status changed', { trailArn, ...result });
    count(METRIC.alertsPublished, result.published);
    return result;
  } finally {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
}
