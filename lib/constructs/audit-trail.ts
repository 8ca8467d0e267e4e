import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { DEFAULT_TRAIL_NAME, type LifecycleDays, resolveLifecycle } from '../config';

export interface AuditTrailProps {
  /**
   * Name of the trail. It must be known before the trail exists, because the bucket, topic and
   * key policies restrict CloudTrail with `aws:SourceArn` = this trail's ARN.
   * @default 'trail-index'
   */
  readonly trailName?: string;
  /**
   * AWS Organizations id. When set, the trail is an organization trail and CloudTrail may also
   * write under `AWSLogs/<organizationId>/`.
   * @default - a trail for this account only
   */
  readonly organizationId?: string;
  /**
   * Lifecycle of the log files and of the access logs, in days.
   * @default - see DEFAULT_LIFECYCLE: Glacier at 90, Deep Archive at 365, expire at 2557,
   * noncurrent versions after 30, incomplete uploads after 7, access logs after 365
   */
  readonly lifecycle?: Partial<LifecycleDays>;
}

/**
 * The audit trail and everything it writes to: the customer-managed key, the encrypted and
 * versioned log bucket with its lifecycle, the access-log bucket, and the delivery topic.
 *
 * CloudTrail is built from `CfnTrail` rather than the `Trail` L2 on purpose: `Trail` adds bucket
 * and topic policy statements without `aws:SourceArn` (it adds the condition only for organization
 * trails) and writes no key policy at all (aws-cdk #3822). Writing the statements here, once, each
 * scoped to this trail, avoids unconditioned duplicates next to the scoped ones.
 */
export class AuditTrail extends Construct {
  /** Encrypts the log files and the delivery topic. Readers need `kms:Decrypt` on it. */
  public readonly key: kms.Key;
  public readonly logBucket: s3.Bucket;
  public readonly accessLogBucket: s3.Bucket;
  /** CloudTrail announces each delivered log file here. */
  public readonly deliveryTopic: sns.Topic;
  public readonly trail: cloudtrail.CfnTrail;
  public readonly trailName: string;
  /** Known at synth time (built from the trail name), so policies can name it without a cycle. */
  public readonly trailArn: string;

  public constructor(scope: Construct, id: string, props: AuditTrailProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    const days = resolveLifecycle(props.lifecycle ?? {});
    this.trailName = props.trailName ?? DEFAULT_TRAIL_NAME;
    this.trailArn = stack.formatArn({
      service: 'cloudtrail',
      resource: 'trail',
      resourceName: this.trailName,
    });
    const cloudTrail = new iam.ServicePrincipal('cloudtrail.amazonaws.com');
    const fromThisTrail = { 'aws:SourceArn': this.trailArn };

    this.key = new kms.Key(this, 'Key', {
      description: `trail-index: CloudTrail log files and notifications of trail ${this.trailName}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Log file encryption, as the CloudTrail KMS guide writes it: only trails of this account may
    // ask for data keys, and of those only this trail (aws:SourceArn).
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudTrailToEncryptLogFiles',
        principals: [cloudTrail],
        actions: ['kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringLike: {
            'kms:EncryptionContext:aws:cloudtrail:arn': `arn:${stack.partition}:cloudtrail:*:${stack.account}:trail/*`,
          },
          StringEquals: fromThisTrail,
        },
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudTrailToDescribeKey',
        principals: [cloudTrail],
        actions: ['kms:DescribeKey'],
        resources: ['*'],
        conditions: { StringEquals: fromThisTrail },
      }),
    );
    // Publishing to the encrypted delivery topic: SNS asks KMS on CloudTrail's behalf. The
    // AWS-managed alias/aws/sns cannot be used here, because its policy cannot name CloudTrail.
    // The encryption-context condition keeps this statement from opening log file encryption.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudTrailToPublishToEncryptedTopic',
        principals: [cloudTrail],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: {
          StringLike: {
            'kms:EncryptionContext:aws:sns:topicArn': `arn:${stack.partition}:sns:${stack.region}:${stack.account}:*`,
          },
          StringEquals: fromThisTrail,
        },
      }),
    );

    this.accessLogBucket = new s3.Bucket(this, 'AccessLogBucket', {
      // Server access logs can only be delivered to SSE-S3 buckets, not SSE-KMS.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      lifecycleRules: [
        {
          id: 'ExpireAccessLogs',
          expiration: Duration.days(days.accessLogExpirationDays),
          abortIncompleteMultipartUploadAfter: Duration.days(days.abortIncompleteMultipartUploadDays),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.logBucket = new s3.Bucket(this, 'LogBucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'trail-bucket/',
      lifecycleRules: [
        {
          id: 'ArchiveThenExpireLogFiles',
          transitions: [
            {
              storageClass: s3.StorageClass.GLACIER,
              transitionAfter: Duration.days(days.glacierTransitionDays),
            },
            {
              storageClass: s3.StorageClass.DEEP_ARCHIVE,
              transitionAfter: Duration.days(days.deepArchiveTransitionDays),
            },
          ],
          expiration: Duration.days(days.expirationDays),
          noncurrentVersionExpiration: Duration.days(days.noncurrentVersionExpirationDays),
          abortIncompleteMultipartUploadAfter: Duration.days(days.abortIncompleteMultipartUploadDays),
        },
      ],
      // Audit data outlives the stack: deleting the stack must not delete the logs.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.logBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudTrailAclCheck',
        principals: [cloudTrail],
        actions: ['s3:GetBucketAcl'],
        resources: [this.logBucket.bucketArn],
        conditions: { StringEquals: fromThisTrail },
      }),
    );
    const writablePrefixes = [`AWSLogs/${stack.account}/*`];
    if (props.organizationId !== undefined) writablePrefixes.push(`AWSLogs/${props.organizationId}/*`);
    this.logBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudTrailWrite',
        principals: [cloudTrail],
        actions: ['s3:PutObject'],
        resources: writablePrefixes.map((prefix) => this.logBucket.arnForObjects(prefix)),
        conditions: {
          StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', ...fromThisTrail },
        },
      }),
    );

    this.deliveryTopic = new sns.Topic(this, 'DeliveryTopic', {
      displayName: 'trail-index CloudTrail log file deliveries',
      masterKey: this.key,
      enforceSSL: true,
    });
    this.deliveryTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowThisTrailToPublish',
        principals: [cloudTrail],
        actions: ['sns:Publish'],
        resources: [this.deliveryTopic.topicArn],
        conditions: { StringEquals: fromThisTrail },
      }),
    );

    this.trail = new cloudtrail.CfnTrail(this, 'Trail', {
      trailName: this.trailName,
      isLogging: true,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableLogFileValidation: true,
      isOrganizationTrail: props.organizationId !== undefined,
      s3BucketName: this.logBucket.bucketName,
      kmsKeyId: this.key.keyArn,
      snsTopicName: this.deliveryTopic.topicArn,
      // All management events, read and write, with no excluded event sources (CIS 4.1).
      eventSelectors: [{ includeManagementEvents: true, readWriteType: 'All' }],
    });
    // CloudTrail checks its permissions when the trail is created: the policies must exist first.
    this.trail.node.addDependency(this.logBucket, this.deliveryTopic, this.key);
  }
}
