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
import { ENV } from '../../lambdas/shared/config';
import { deadLetterQueue } from './dead-letter-queue';

/** How often GetTrailStatus is checked: a stopped trail is known within this, log files or not. */
export const TRAIL_CHECK_SCHEDULE = Duration.minutes(5);

export interface TrailMonitorProps {
  /** The trail to check (GetTrailStatus accepts its ARN). */
  readonly trailArn: string;
  readonly table: dynamodb.ITable;
  readonly alertTopic: sns.ITopic;
  /** @default TRAIL_CHECK_SCHEDULE */
  readonly schedule?: Duration;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * When the trail goes quiet: a function run every few minutes that asks CloudTrail for the trail's
 * status (logging, delivery, notification and digest errors) and alerts once per change, and once
 * more when it recovers. It works when the trail can no longer record its own stopping.
 */
export class TrailMonitor extends Construct {
  public readonly function: nodejs.NodejsFunction;
  public readonly role: iam.Role;
  public readonly schedule: events.Rule;
  public readonly failureQueue: sqs.Queue;

  public constructor(scope: Construct, id: string, props: TrailMonitorProps) {
    super(scope, id);
    this.failureQueue = deadLetterQueue(this, 'FailureQueue');
    ({ fn: this.function, role: this.role } = serviceFunction(this, {
      description: "trail-index: check the trail's status (GetTrailStatus) and alert on each change",
      roleDescription: "trail-index trail monitor: check the trail's status and alert on changes",
      entry: 'trail-monitor/handler.ts',
      memorySize: 256,
      timeout: Duration.seconds(60),
      // One check at a time: two would read the same state.
      reservedConcurrentExecutions: 1,
      environment: {
        [ENV.trailArn]: props.trailArn,
        [ENV.tableName]: props.table.tableName,
        [ENV.alertTopicArn]: props.alertTopic.topicArn,
      },
      onFailure: this.failureQueue,
      retryAttempts: 1,
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
    }));
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        // GetTrailStatus supports the trail resource type (Service Authorization Reference for AWS
        // CloudTrail): this trail only.
        // https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudtrail.html
        actions: ['cloudtrail:GetTrailStatus'],
        resources: [props.trailArn],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        // The last status seen (Get/Put) and alert markers (Get/Put/Update/Delete).
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: [props.table.tableArn],
      }),
    );
    props.alertTopic.grantPublish(this.role);

    this.schedule = new events.Rule(this, 'Schedule', {
      description: "trail-index: check the trail's status",
      schedule: events.Schedule.rate(props.schedule ?? TRAIL_CHECK_SCHEDULE),
      targets: [
        new targets.LambdaFunction(this.function, { retryAttempts: 1, deadLetterQueue: this.failureQueue }),
      ],
    });

    acknowledgeAlertingFunction(
      this.role,
      this.function,
      'each check',
      'Failed checks go to the OnFailure destination queue.',
    );
  }
}
