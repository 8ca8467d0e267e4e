import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { STACK_OUTPUT } from '../lambdas/shared/config';
import {
  assertValidOptions,
  resolveIndexedSources,
  resolveLifecycle,
  type TrailIndexOptions,
} from './config';
import { Alerts } from './constructs/alerts';
import { AuditTrail } from './constructs/audit-trail';
import { IndexTable } from './constructs/index-table';
import { IndexerFunction } from './constructs/indexer-function';
import { IntegrityVerifier } from './constructs/integrity-verifier';
import { Monitoring } from './constructs/monitoring';

export interface TrailIndexStackProps extends StackProps, TrailIndexOptions {}

/**
 * trail-index: CloudTrail → encrypted log archive → SNS → indexer Lambda → DynamoDB index,
 * with alerts and monitoring. This class only wires one construct per concern.
 */
export class TrailIndexStack extends Stack {
  public readonly audit: AuditTrail;
  public readonly index: IndexTable;
  public readonly alerts: Alerts;
  public readonly indexer: IndexerFunction;
  public readonly verifier: IntegrityVerifier;
  public readonly monitoring: Monitoring;

  public constructor(scope: Construct, id: string, props: TrailIndexStackProps = {}) {
    super(scope, id, props);
    // Props may come from code as well as from context: reject bad ones here too.
    assertValidOptions(props);
    const indexedSources = resolveIndexedSources(props);

    this.audit = new AuditTrail(this, 'AuditTrail', {
      trailName: props.trailName,
      organizationId: props.organizationId,
      managementAccountId: props.managementAccountId,
      lifecycle: resolveLifecycle(props),
    });
    this.index = new IndexTable(this, 'IndexTable');
    this.alerts = new Alerts(this, 'Alerts', { email: props.alertEmail });
    this.indexer = new IndexerFunction(this, 'Indexer', {
      deliveryTopic: this.audit.deliveryTopic,
      logBucket: this.audit.logBucket,
      logKey: this.audit.key,
      table: this.index.table,
      alertTopic: this.alerts.topic,
      indexedSources,
      retentionDays: props.indexRetentionDays,
    });
    this.verifier = new IntegrityVerifier(this, 'Verifier', {
      logBucket: this.audit.logBucket,
      logKey: this.audit.key,
      table: this.index.table,
      alertTopic: this.alerts.topic,
    });
    this.monitoring = new Monitoring(this, 'Monitoring', {
      indexer: this.indexer.function,
      verifier: this.verifier.function,
      deadLetterQueues: [
        {
          id: 'SubscriptionDeadLetterQueue',
          label: 'subscription dead-letter queue',
          queue: this.indexer.subscriptionDeadLetterQueue,
        },
        {
          id: 'FailureDestinationQueue',
          label: 'failure destination queue',
          queue: this.indexer.failureDestinationQueue,
        },
        {
          id: 'VerifierFailureDestinationQueue',
          label: "verifier's failure destination queue",
          queue: this.verifier.failureDestinationQueue,
        },
        ...(this.alerts.deliveryDeadLetterQueue === undefined
          ? []
          : [
              {
                id: 'AlertDeadLetterQueue',
                label: 'alert email dead-letter queue',
                queue: this.alerts.deliveryDeadLetterQueue,
              },
            ]),
      ],
      deliveryTopic: this.audit.deliveryTopic,
      alertTopic: this.alerts.topic,
      indexedSources,
    });

    // Output ids are the names the CLI looks up (`trail-index --stack NAME`).
    const outputs: Record<keyof typeof STACK_OUTPUT, { value: string; description: string }> = {
      logBucketName: {
        value: this.audit.logBucket.bucketName,
        description: 'Bucket holding the CloudTrail log files',
      },
      trailArn: { value: this.audit.trail.attrArn, description: 'ARN of the trail' },
      deliveryTopicArn: {
        value: this.audit.deliveryTopic.topicArn,
        description: 'Topic CloudTrail announces log files on',
      },
      alertTopicArn: {
        value: this.alerts.topic.topicArn,
        description: 'Topic for vault-deletion alerts and alarms',
      },
      tableName: { value: this.index.table.tableName, description: 'DynamoDB table of indexed events' },
      subscriptionDlqUrl: {
        value: this.indexer.subscriptionDeadLetterQueue.queueUrl,
        description: 'Notifications SNS could not deliver to the indexer',
      },
      failureDestinationQueueUrl: {
        value: this.indexer.failureDestinationQueue.queueUrl,
        description: 'Indexer invocations that failed after retries',
      },
      indexerFunctionName: {
        value: this.indexer.function.functionName,
        description: 'The indexer Lambda function',
      },
      verifierFunctionName: {
        value: this.verifier.function.functionName,
        description: 'The digest verifier Lambda function, run hourly',
      },
      indexedSources: {
        value: indexedSources.join(','),
        description: 'Event sources the indexer indexes (read by trail-index backfill and redrive)',
      },
      indexRetentionDays: {
        value: props.indexRetentionDays === undefined ? 'keep' : String(props.indexRetentionDays),
        description: 'Days an indexed event is kept, or keep (read by trail-index backfill and redrive)',
      },
    };
    for (const [key, output] of Object.entries(outputs) as [
      keyof typeof STACK_OUTPUT,
      (typeof outputs)[keyof typeof STACK_OUTPUT],
    ][]) {
      new CfnOutput(this, STACK_OUTPUT[key], output);
    }
  }
}
