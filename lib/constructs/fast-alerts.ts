import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeAlertingFunction, serviceFunction } from './service-function';
import { type AlertRule, eventPatterns } from '../../lambdas/shared/alert-rules';
import { ENV } from '../../lambdas/shared/config';
import { deadLetterQueue } from './dead-letter-queue';

/**
 * How long EventBridge keeps retrying the function (its retry policy): an alert an hour late is
 * still worth having, and the log file's path alerts within about 15 minutes anyway.
 */
export const FAST_PATH_MAX_EVENT_AGE = Duration.hours(1);

export interface FastAlertsProps {
  readonly table: dynamodb.ITable;
  readonly alertTopic: sns.ITopic;
  /** The rules in force; one EventBridge rule per event source matches their events. */
  readonly rules: readonly AlertRule[];
  /** The function's alert settings: ALERT_RULES and OWN_RESOURCES (see lambdas/indexer/config.ts). */
  readonly alertEnvironment: Readonly<Record<string, string>>;
  /** Days alert markers are kept, as indexed events are. @default - forever */
  readonly retentionDays?: number;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The fast path: EventBridge rules on this region's default bus match CloudTrail's
 * `AWS API Call via CloudTrail` events for every alert rule (events from the other alert regions
 * are forwarded here by {@link AlertForwardingStack}), and a small function runs them through the
 * same rules and alert code as the log files, sharing the exactly-once marker.
 */
export class FastAlerts extends Construct {
  public readonly function: nodejs.NodejsFunction;
  public readonly role: iam.Role;
  /** One per event source, by source. */
  public readonly rules: Map<string, events.Rule> = new Map();
  /** Events EventBridge could not deliver, and invocations that failed after retries. */
  public readonly failureQueue: sqs.Queue;

  public constructor(scope: Construct, id: string, props: FastAlertsProps) {
    super(scope, id);
    this.failureQueue = deadLetterQueue(this, 'FailureQueue');
    ({ fn: this.function, role: this.role } = serviceFunction(this, {
      description: 'trail-index: alert within seconds on CloudTrail API call events from EventBridge',
      roleDescription: 'trail-index fast-path alerter: alert on CloudTrail API call events from EventBridge',
      entry: 'alerter/handler.ts',
      // One event, a few DynamoDB and SNS calls: small and quick.
      memorySize: 256,
      timeout: Duration.seconds(30),
      environment: {
        [ENV.tableName]: props.table.tableName,
        [ENV.alertTopicArn]: props.alertTopic.topicArn,
        ...props.alertEnvironment,
        ...(props.retentionDays === undefined ? {} : { [ENV.retentionDays]: String(props.retentionDays) }),
      },
      onFailure: this.failureQueue,
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
    }));
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        // Alert markers (Get/Put/Update/Delete, with conditions) and rate windows (Update).
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: [props.table.tableArn],
      }),
    );
    props.alertTopic.grantPublish(this.role);

    for (const [source, pattern] of eventPatterns(props.rules)) {
      const name = source.replace(/\.amazonaws\.com$/, '');
      const rule = new events.Rule(this, `Rule-${name}`, {
        description: `trail-index: CloudTrail API calls of ${source} that an alert rule names`,
        eventPattern: toEventPattern(pattern),
        targets: [
          new targets.LambdaFunction(this.function, {
            retryAttempts: 8,
            maxEventAge: FAST_PATH_MAX_EVENT_AGE,
            deadLetterQueue: this.failureQueue,
          }),
        ],
      });
      this.rules.set(source, rule);
    }

    acknowledgeAlertingFunction(
      this.role,
      this.function,
      'each event',
      "Failed invocations and undeliverable events go to the failure queue (OnFailure and the rules' DLQ).",
    );
  }
}

/** A pattern from {@link eventPatterns} in CDK's EventPattern shape. */
export function toEventPattern(pattern: Record<string, unknown>): events.EventPattern {
  const {
    source,
    'detail-type': detailType,
    detail,
  } = pattern as {
    source: string[];
    'detail-type': string[];
    detail: Record<string, unknown>;
  };
  return { source, detailType, detail };
}
