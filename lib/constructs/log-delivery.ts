import { Annotations, Duration, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import type { NotificationPath } from '../config';
import { DEAD_LETTER_RETENTION } from './dead-letter-queue';
import { INDEXER_TIMEOUT, logsRoot } from './indexer-function';

export interface LogDeliveryProps {
  readonly path: NotificationPath;
  readonly indexer: lambda.IFunction;
  /** The existing trail's bucket. */
  readonly bucket: s3.IBucket;
  readonly bucketName: string;
  /** The account that owns the bucket, when known at synth. */
  readonly bucketAccount?: string;
  readonly keyPrefix?: string;
  /** The topic of `cloudtrail-sns` and `s3-sns`. */
  readonly topicArn?: string;
  /** Where what could not be delivered goes (the indexer's subscription dead-letter queue). */
  readonly deadLetterQueue: sqs.IQueue;
}

/**
 * Wires an existing trail's announcements of new log files to the indexer, by the path the user
 * chose: a subscription to an SNS topic (CloudTrail's own, or one the bucket's S3 event
 * notifications go to), a queue for S3 event notifications, S3 invoking the function directly, or
 * an EventBridge rule for S3's `Object Created` events. Whatever must be set up on the bucket's
 * side (its notification configuration, a topic policy) is printed at synth.
 */
export class LogDelivery extends Construct {
  /** For `s3-sqs`: the queue S3 sends its event notifications to. */
  public readonly queue?: sqs.Queue;
  /** For `eventbridge`: the rule. */
  public readonly rule?: events.Rule;
  /** What the bucket's or topic's owner must set up, printed at synth and in the README. */
  public readonly ownerSteps: string[] = [];

  public constructor(scope: Construct, id: string, props: LogDeliveryProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const thisAccount = Token.isUnresolved(stack.account) ? '<this account>' : stack.account;
    const bucketArn = `arn:${Token.isUnresolved(stack.partition) ? 'aws' : stack.partition}:s3:::${props.bucketName}`;
    const logs = logsRoot(props.keyPrefix);

    switch (props.path) {
      case 'cloudtrail-sns':
      case 's3-sns': {
        const topic = sns.Topic.fromTopicArn(this, 'Topic', props.topicArn ?? '');
        topic.addSubscription(
          new subscriptions.LambdaSubscription(props.indexer, { deadLetterQueue: props.deadLetterQueue }),
        );
        // A topic in another account: its owner lets this account subscribe ("Tutorial: Using AWS
        // Lambda with Amazon SNS", cross-account: `aws sns add-permission ... --action-name
        // Subscribe ListSubscriptionsByTopic`).
        this.ownerSteps.push(
          `If the topic ${props.topicArn ?? ''} is in another account, its owner runs: aws sns add-permission --topic-arn ${props.topicArn ?? ''} --label trail-index --aws-account-id ${thisAccount} --action-name Subscribe ListSubscriptionsByTopic`,
        );
        if (props.path === 's3-sns') {
          this.ownerSteps.push(
            `The bucket's event notification: s3:ObjectCreated:* with prefix "${logs}" to the topic ${props.topicArn ?? ''}.`,
          );
        }
        break;
      }
      case 's3-sqs': {
        // S3 sends to a queue encrypted with SQS-managed keys; the visibility timeout is six times
        // the function's timeout, as Lambda's SQS event source asks ("Using Lambda with Amazon SQS").
        this.queue = new sqs.Queue(this, 'Queue', {
          encryption: sqs.QueueEncryption.SQS_MANAGED,
          enforceSSL: true,
          visibilityTimeout: Duration.seconds(INDEXER_TIMEOUT.toSeconds() * 6),
          retentionPeriod: DEAD_LETTER_RETENTION,
          deadLetterQueue: { queue: props.deadLetterQueue, maxReceiveCount: 3 },
        });
        // S3's documented queue policy for event notifications ("Granting permissions to publish
        // event notification messages to a destination", S3 User Guide): the bucket's ARN and owner.
        this.queue.addToResourcePolicy(
          new iam.PolicyStatement({
            sid: 'AllowTheTrailBucketToSendEvents',
            principals: [new iam.ServicePrincipal('s3.amazonaws.com')],
            actions: ['sqs:SendMessage'],
            resources: [this.queue.queueArn],
            conditions: {
              ArnLike: { 'aws:SourceArn': bucketArn },
              ...(props.bucketAccount === undefined
                ? {}
                : { StringEquals: { 'aws:SourceAccount': props.bucketAccount } }),
            },
          }),
        );
        props.indexer.addEventSource(
          new sources.SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true }),
        );
        for (const child of props.indexer.node.children) {
          if (!child.node.id.startsWith('SqsEventSource:')) continue;
          NagSuppressions.addResourceSuppressions(child, [
            {
              id: 'Serverless-LambdaEventSourceMappingDestination',
              reason:
                "An SQS event source takes no OnFailure destination: a message that keeps failing goes to the queue's dead-letter queue (its redrive policy, after 3 receives).",
            },
          ]);
        }
        this.ownerSteps.push(
          `The bucket's event notification: s3:ObjectCreated:* with prefix "${logs}" to the queue of the DeliveryQueueArn output.`,
        );
        break;
      }
      case 's3-direct': {
        // S3 may invoke the function for this bucket only ("Tutorial: Using an Amazon S3 trigger to
        // invoke a Lambda function": lambda:InvokeFunction for s3.amazonaws.com, source ARN and account).
        props.indexer.addPermission('AllowTheTrailBucketToInvoke', {
          principal: new iam.ServicePrincipal('s3.amazonaws.com'),
          sourceArn: bucketArn,
          ...(props.bucketAccount === undefined ? {} : { sourceAccount: props.bucketAccount }),
        });
        this.ownerSteps.push(
          `The bucket's event notification: s3:ObjectCreated:* with prefix "${logs}" to the indexer function (IndexerFunctionName output).`,
        );
        break;
      }
      case 'eventbridge': {
        this.rule = new events.Rule(this, 'ObjectCreated', {
          description: 'trail-index: new log files of the existing trail',
          eventPattern: {
            source: ['aws.s3'],
            detailType: ['Object Created'],
            detail: { bucket: { name: [props.bucketName] }, object: { key: [{ prefix: logs }] } },
          },
          targets: [
            new targets.LambdaFunction(props.indexer, {
              retryAttempts: 2,
              deadLetterQueue: props.deadLetterQueue,
            }),
          ],
        });
        this.ownerSteps.push(
          `Amazon EventBridge notifications on for the bucket (aws s3api put-bucket-notification-configuration --bucket ${props.bucketName} --notification-configuration '{"EventBridgeConfiguration":{}}'); it leaves its other notification settings as they are only if they are included in the same call.`,
        );
        break;
      }
    }
    for (const step of this.ownerSteps) Annotations.of(this).addInfo(step);
  }
}
