import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { deadLetterQueue } from './dead-letter-queue';

export interface AlertsProps {
  /**
   * Email address subscribed to the alert topic. The recipient must confirm the subscription.
   * @default - no subscription
   */
  readonly email?: string;
}

/**
 * Where people hear about vault deletions and pipeline failures: an encrypted topic the indexer
 * and the CloudWatch alarms publish to, with an optional email subscription.
 *
 * It has its own key so that publishers get `kms:GenerateDataKey*` on this key only, and the
 * trail key stays decrypt-only for the indexer.
 */
export class Alerts extends Construct {
  public readonly key: kms.Key;
  public readonly topic: sns.Topic;
  /** Alert emails SNS could not deliver, kept for an operator to read; absent without an email. */
  public readonly deliveryDeadLetterQueue?: sqs.Queue;

  public constructor(scope: Construct, id: string, props: AlertsProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    const cloudWatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    // CloudWatch alarms publish as the service: scope them to this account's alarms.
    const fromThisAccountsAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*`,
      },
    };

    this.key = new kms.Key(this, 'Key', {
      description: 'trail-index: alert notifications',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // An alarm cannot publish to a topic encrypted with alias/aws/sns; its key must admit CloudWatch.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublishToEncryptedTopic',
        principals: [cloudWatch],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: fromThisAccountsAlarms,
      }),
    );

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'trail-index alerts',
      masterKey: this.key,
      enforceSSL: true,
    });
    // The topic policy replaces SNS's default one, so the alarms' right to publish is stated here.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: fromThisAccountsAlarms,
      }),
    );

    if (props.email !== undefined) {
      // A vault-deletion alert that cannot be emailed must not vanish: keep it in a queue.
      this.deliveryDeadLetterQueue = deadLetterQueue(this, 'DeliveryDeadLetterQueue');
      this.topic.addSubscription(
        new subscriptions.EmailSubscription(props.email, { deadLetterQueue: this.deliveryDeadLetterQueue }),
      );
    }
  }
}
