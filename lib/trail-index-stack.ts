import { Annotations, CfnOutput, Stack, type StackProps, Token } from 'aws-cdk-lib';
import { isActive, type OwnResources, resolveRules } from '../lambdas/shared/alert-rules';
import { ENV } from '../lambdas/shared/config';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { STACK_OUTPUT } from '../lambdas/shared/config';
import {
  assertValidOptions,
  resolveIndexedSources,
  resolveLifecycle,
  type TrailIndexOptions,
} from './config';
import { Alerts } from './constructs/alerts';
import { DistributedBackfill } from './constructs/distributed-backfill';
import { FastAlerts } from './constructs/fast-alerts';
import { TrailMonitor } from './constructs/trail-monitor';
import { AuditTrail } from './constructs/audit-trail';
import { IndexTable } from './constructs/index-table';
import { IndexerFunction } from './constructs/indexer-function';
import { IntegrityVerifier } from './constructs/integrity-verifier';
import { LogDelivery } from './constructs/log-delivery';
import { logArchiveStatements, readerRolePolicies } from './cross-account';
import { Monitoring } from './constructs/monitoring';

export interface TrailIndexStackProps extends StackProps, TrailIndexOptions {}

/**
 * trail-index: CloudTrail → encrypted log archive → SNS → indexer Lambda → DynamoDB index,
 * with alerts and monitoring. This class only wires one construct per concern.
 */
export class TrailIndexStack extends Stack {
  /** The trail, its bucket and keys: absent when attached to an existing trail. */
  public readonly audit?: AuditTrail;
  /** The bucket the log files are in: this stack's, or the existing trail's. */
  public readonly logBucket: s3.IBucket;
  /** The key of the log files, if they are SSE-KMS. */
  public readonly logKey?: kms.IKey;
  /** With an existing trail: how its new files reach the indexer. */
  public readonly delivery?: LogDelivery;
  public readonly index: IndexTable;
  public readonly alerts: Alerts;
  public readonly indexer: IndexerFunction;
  public readonly verifier: IntegrityVerifier;
  /** Alerts in seconds, from EventBridge. */
  public readonly fastAlerts: FastAlerts;
  /** History on Step Functions Distributed Map; absent with `distributedBackfill: false`. */
  public readonly backfill?: DistributedBackfill;
  /** GetTrailStatus checks; absent with an existing trail whose ARN was not given. */
  public readonly trailMonitor?: TrailMonitor;
  public readonly monitoring: Monitoring;

  public constructor(scope: Construct, id: string, props: TrailIndexStackProps = {}) {
    super(scope, id, props);
    // Props may come from code as well as from context: reject bad ones here too.
    assertValidOptions(props);
    const indexedSources = resolveIndexedSources(props);

    const attach = props.existingLogBucket;
    const keyPrefix = props.existingLogKeyPrefix ?? '';
    // A bucket in another account names the readers' roles in its policy: with the account and
    // region known at synth, they get fixed names, so that the printed statements are exact.
    const namedRoles =
      attach !== undefined &&
      props.existingLogBucketAccount !== undefined &&
      !Token.isUnresolved(this.account) &&
      !Token.isUnresolved(this.region);
    const roleName = (role: string) =>
      namedRoles ? { roleName: `${this.stackName}-${role}-${this.region}` } : {};
    if (attach === undefined) {
      this.audit = new AuditTrail(this, 'AuditTrail', {
        trailName: props.trailName,
        organizationId: props.organizationId,
        managementAccountId: props.managementAccountId,
        lifecycle: resolveLifecycle(props),
        ...(props.firstArchiveClass === undefined ? {} : { firstArchiveClass: props.firstArchiveClass }),
      });
      this.logBucket = this.audit.logBucket;
      this.logKey = this.audit.key;
    } else {
      // An existing trail: no trail, no bucket, no lifecycle here; only what reads it.
      this.logBucket = s3.Bucket.fromBucketAttributes(this, 'ExistingLogBucket', {
        bucketName: attach,
        ...(props.existingLogBucketAccount === undefined ? {} : { account: props.existingLogBucketAccount }),
      });
      if (props.existingLogKmsKeyArn !== undefined) {
        this.logKey = kms.Key.fromKeyArn(this, 'ExistingLogKey', props.existingLogKmsKeyArn);
      }
    }
    this.index = new IndexTable(this, 'IndexTable');
    this.alerts = new Alerts(this, 'Alerts', { email: props.alertEmail });

    // The alert rules, scoped to this deployment's own trail, bucket, key and pipeline.
    const rules = resolveRules(props.alertRules);
    const trailArn = this.audit?.trailArn ?? props.existingTrailArn;
    const own: OwnResources = {
      ...(trailArn === undefined ? {} : { trail: trailArn }),
      bucket: this.logBucket.bucketName,
      ...(this.logKey === undefined ? {} : { key: this.logKey.keyArn }),
      ...(this.audit !== undefined
        ? { topic: this.audit.deliveryTopic.topicArn }
        : props.notificationTopicArn === undefined
          ? {}
          : { topic: props.notificationTopicArn }),
      table: this.index.table.tableName,
      namePrefix: `${this.stackName}-`,
      ...(this.audit === undefined ? {} : { retentionDays: resolveLifecycle(props).expirationDays }),
    };
    const inactive = rules.filter((rule) => !isActive(rule, own)).map((rule) => rule.id);
    if (inactive.length > 0) {
      Annotations.of(this).addInfo(
        `These alert rules are off: this deployment does not know the resource they watch (set existingTrailArn, existingLogKmsKeyArn, or give the rule "scope": "any" in alertRules): ${inactive.join(', ')}`,
      );
    }
    const alertEnvironment = {
      [ENV.alertRules]: props.alertRules === undefined ? '' : JSON.stringify(props.alertRules),
      [ENV.ownResources]: this.toJsonString(own),
    };
    const reader = props.logReaderRoleArn === undefined ? {} : { readerRoleArn: props.logReaderRoleArn };
    this.indexer = new IndexerFunction(this, 'Indexer', {
      ...roleName('indexer'),
      ...reader,
      ...(this.audit === undefined ? {} : { deliveryTopic: this.audit.deliveryTopic }),
      logBucket: this.logBucket,
      logKeyPrefix: keyPrefix,
      ...(this.logKey === undefined ? {} : { logKey: this.logKey }),
      table: this.index.table,
      alertTopic: this.alerts.topic,
      indexedSources,
      retentionDays: props.indexRetentionDays,
      ...(props.indexedAccounts === undefined ? {} : { indexedAccounts: props.indexedAccounts }),
      alertEnvironment,
    });
    if (attach !== undefined && props.notificationPath !== undefined) {
      this.delivery = new LogDelivery(this, 'Delivery', {
        path: props.notificationPath,
        indexer: this.indexer.function,
        bucket: this.logBucket,
        bucketName: attach,
        ...(props.existingLogBucketAccount === undefined
          ? {}
          : { bucketAccount: props.existingLogBucketAccount }),
        keyPrefix,
        ...(props.notificationTopicArn === undefined ? {} : { topicArn: props.notificationTopicArn }),
        deadLetterQueue: this.indexer.subscriptionDeadLetterQueue,
      });
    }
    this.verifier = new IntegrityVerifier(this, 'Verifier', {
      ...roleName('verifier'),
      ...reader,
      logBucket: this.logBucket,
      logKeyPrefix: keyPrefix,
      ...(this.logKey === undefined ? {} : { logKey: this.logKey }),
      table: this.index.table,
      alertTopic: this.alerts.topic,
    });
    this.fastAlerts = new FastAlerts(this, 'FastAlerts', {
      table: this.index.table,
      alertTopic: this.alerts.topic,
      rules,
      alertEnvironment,
      ...(props.indexRetentionDays === undefined ? {} : { retentionDays: props.indexRetentionDays }),
    });
    if (props.distributedBackfill ?? true) {
      this.backfill = new DistributedBackfill(this, 'Backfill', {
        ...roleName('backfill'),
        ...(namedRoles ? { stateMachineRoleName: `${this.stackName}-backfill-states-${this.region}` } : {}),
        ...reader,
        logBucket: this.logBucket,
        logKeyPrefix: keyPrefix,
        ...(this.logKey === undefined ? {} : { logKey: this.logKey }),
        table: this.index.table,
        alertTopic: this.alerts.topic,
        environment: this.indexer.environment,
        ...(props.backfillInventoryBucket === undefined
          ? {}
          : {
              inventoryBucket: s3.Bucket.fromBucketName(
                this,
                'InventoryBucket',
                props.backfillInventoryBucket,
              ),
            }),
        ...(props.backfillMaxConcurrency === undefined
          ? {}
          : { maxConcurrency: props.backfillMaxConcurrency }),
      });
    }
    if (trailArn !== undefined) {
      this.trailMonitor = new TrailMonitor(this, 'TrailMonitor', {
        trailArn,
        table: this.index.table,
        alertTopic: this.alerts.topic,
      });
    }
    if (attach !== undefined && props.existingLogBucketAccount !== undefined) {
      // A bucket in another account: print what its owner adds, with the roles' ARNs.
      const arn = (role: string) =>
        namedRoles
          ? `arn:${partitionOf(this.region)}:iam::${this.account}:role/${this.stackName}-${role}-${this.region}`
          : `<the ${{ indexer: 'IndexerRoleArn', verifier: 'VerifierRoleArn', backfill: 'BackfillRoleArn', 'backfill-states': "backfill state machine's role" }[role] ?? role} ARN: synthesize with the account and region known to print it here>`;
      const where = {
        bucketName: attach,
        keyPrefix,
        ...(props.existingLogKmsKeyArn === undefined ? {} : { kmsKeyArn: props.existingLogKmsKeyArn }),
      };
      const roleArns = [
        arn('indexer'),
        arn('verifier'),
        ...(this.backfill === undefined ? [] : [arn('backfill')]),
      ];
      const restoreRoleArns = this.backfill === undefined ? [] : [arn('backfill')];
      const listRoleArns = this.backfill === undefined ? [] : [arn('backfill-states')];
      if (props.logReaderRoleArn === undefined) {
        const statements = logArchiveStatements(where, { roleArns, restoreRoleArns, listRoleArns });
        Annotations.of(this).addInfo(
          `The owner of ${attach} (account ${props.existingLogBucketAccount}) adds to its bucket policy:\n${JSON.stringify(statements.bucketPolicy, null, 2)}` +
            (statements.keyPolicy.length === 0
              ? ''
              : `\nand to the key policy of ${props.existingLogKmsKeyArn ?? ''}:\n${JSON.stringify(statements.keyPolicy, null, 2)}`),
        );
      } else {
        const policies = readerRolePolicies(where, { roleArns, restoreRoleArns, listRoleArns });
        Annotations.of(this).addInfo(
          `The owner of ${attach} (account ${props.existingLogBucketAccount}) gives the role ${props.logReaderRoleArn} this trust policy:\n${JSON.stringify(policies.trustPolicy, null, 2)}\nand these permissions:\n${JSON.stringify(policies.permissionsPolicy, null, 2)}` +
            (policies.bucketPolicy.length === 0
              ? ''
              : `\nand adds to its bucket policy, for the backfill's state machine, which lists the bucket itself:\n${JSON.stringify(policies.bucketPolicy, null, 2)}`),
        );
      }
    }

    this.monitoring = new Monitoring(this, 'Monitoring', {
      indexer: this.indexer.function,
      verifier: this.verifier.function,
      functions: [
        { id: 'FastAlerts', label: 'fast-path alerter', fn: this.fastAlerts.function },
        ...(this.trailMonitor === undefined
          ? []
          : [{ id: 'TrailMonitor', label: 'trail monitor', fn: this.trailMonitor.function }]),
      ],
      deadLetterQueues: [
        {
          id: 'FastAlertsFailureQueue',
          label: "fast-path alerter's failure queue",
          queue: this.fastAlerts.failureQueue,
        },
        ...(this.trailMonitor === undefined
          ? []
          : [
              {
                id: 'TrailMonitorFailureQueue',
                label: "trail monitor's failure queue",
                queue: this.trailMonitor.failureQueue,
              },
            ]),
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
      ...(this.audit === undefined ? {} : { deliveryTopic: this.audit.deliveryTopic }),
      alertTopic: this.alerts.topic,
      indexedSources,
    });

    // Output ids are the names the CLI looks up (`trail-index --stack NAME`).
    const outputs: Partial<Record<keyof typeof STACK_OUTPUT, { value: string; description: string }>> = {
      logBucketName: {
        value: this.logBucket.bucketName,
        description: 'Bucket holding the CloudTrail log files',
      },
      logKeyPrefix: {
        value: keyPrefix,
        description: "The trail's key prefix (before AWSLogs/), empty for none",
      },
      notificationPath: {
        value: props.notificationPath ?? 'created-trail',
        description: 'How new log files reach the indexer',
      },
      indexerRoleArn: {
        value: this.indexer.role.roleArn,
        description: "The indexer's role (reads the log files)",
      },
      verifierRoleArn: {
        value: this.verifier.role.roleArn,
        description: "The verifier's role (reads digests and log files)",
      },
      ...(this.audit === undefined
        ? {}
        : {
            trailArn: { value: this.audit.trail.attrArn, description: 'ARN of the trail' },
            deliveryTopicArn: {
              value: this.audit.deliveryTopic.topicArn,
              description: 'Topic CloudTrail announces log files on',
            },
          }),
      ...(this.delivery?.queue === undefined
        ? {}
        : {
            deliveryQueueArn: {
              value: this.delivery.queue.queueArn,
              description: "The queue the bucket's S3 event notifications go to",
            },
          }),
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
      ...(this.backfill === undefined
        ? {}
        : {
            backfillStateMachineArn: {
              value: this.backfill.stateMachine.stateMachineArn,
              description: 'The distributed backfill (trail-index backfill --distributed)',
            },
            backfillRoleArn: {
              value: this.backfill.role.roleArn,
              description: "The distributed backfill's role (reads and restores the log files)",
            },
            backfillMaxConcurrency: {
              value: String(this.backfill.maxConcurrency),
              description: 'Child executions of the distributed backfill at once, by default',
            },
          }),
      indexRetentionDays: {
        value: props.indexRetentionDays === undefined ? 'keep' : String(props.indexRetentionDays),
        description: 'Days an indexed event is kept, or keep (read by trail-index backfill and redrive)',
      },
    };
    for (const [key, output] of Object.entries(outputs) as [
      keyof typeof STACK_OUTPUT,
      (typeof outputs)[keyof typeof STACK_OUTPUT],
    ][]) {
      if (output !== undefined) new CfnOutput(this, STACK_OUTPUT[key], output);
    }
  }
}

/** The partition of a region: `aws-cn`, `aws-us-gov` or `aws`. */
function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}
