import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { DEFAULT_TRAIL_NAME, type LifecycleDays, resolveLifecycle } from '../config';

/** Objects at most this large stay out of the archive tiers under an organization prefix: digests. */
export const DIGEST_SIZE_FLOOR_BYTES = 128 * 1024;

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
   * The organization's management account, when an organization trail is deployed from a
   * CloudTrail delegated administrator account. Such a trail belongs to the management account
   * ("The management account remains the owner of all organization trails created by the delegated
   * administrator", https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-delegated-administrator.html):
   * its ARN, and so `aws:SourceArn`, the key's `aws:cloudtrail:arn` pattern and the management
   * account's own log folder `AWSLogs/<id>/`, carry this id instead of the deploying account's.
   * @default - the deploying account owns the trail
   */
  readonly managementAccountId?: string;
  /**
   * Lifecycle of the log files and of the access logs, in days.
   * @default - see DEFAULT_LIFECYCLE: Glacier at 90, Deep Archive at 365, expire at 2557,
   * noncurrent versions after 30, incomplete uploads after 7, access logs after 365
   */
  readonly lifecycle?: Partial<LifecycleDays>;
  /**
   * The storage class of the first transition: `flexible` (S3 Glacier Flexible Retrieval, read only
   * after a restore of hours) or `instant` (S3 Glacier Instant Retrieval, read directly, so that
   * backfill and verification of that period need no restore). See the README's cost trade-off.
   * @default 'flexible'
   */
  readonly firstArchiveClass?: 'flexible' | 'instant';
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
  /** Encrypts the log files and digest files. Readers need `kms:Decrypt` on it. */
  public readonly key: kms.Key;
  /**
   * Encrypts the delivery topic only. A key of its own, because CloudTrail's documented statement
   * for encrypted topics carries no condition: on this key it opens nothing but the topic.
   */
  public readonly topicKey: kms.Key;
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
    // The account that owns the trail: the deploying account, or the management account for an
    // organization trail created by a delegated administrator (see managementAccountId).
    const trailAccount = props.managementAccountId ?? stack.account;
    this.trailArn = stack.formatArn({
      service: 'cloudtrail',
      resource: 'trail',
      resourceName: this.trailName,
      account: trailAccount,
    });
    const cloudTrail = new iam.ServicePrincipal('cloudtrail.amazonaws.com');
    const fromThisTrail = { 'aws:SourceArn': this.trailArn };

    this.key = new kms.Key(this, 'Key', {
      description: `trail-index: CloudTrail log files and notifications of trail ${this.trailName}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Log file encryption, as "Configure AWS KMS key policies for CloudTrail" writes it
    // (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html,
    // "Granting encrypt permissions for trails"): only trails of the owning account may ask for data
    // keys, and of those only this trail (aws:SourceArn, the page's recommended condition).
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudTrailToEncryptLogFiles',
        principals: [cloudTrail],
        actions: ['kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringLike: {
            'kms:EncryptionContext:aws:cloudtrail:arn': `arn:${stack.partition}:cloudtrail:*:${trailAccount}:trail/*`,
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
    // The log bucket uses an S3 Bucket Key. "If you are using an existing S3 bucket with an S3 Bucket
    // Key, kms:Decrypt permission is required to create or update a trail with SSE-KMS encryption
    // enabled" (same page, "Required KMS key policy sections"; the statement is the one under
    // "Granting decrypt permissions for trails"). Who needs it: the principal that creates and
    // updates the trail, which is CloudFormation's execution role during `cdk deploy`, and the
    // readers of log files (the indexer's role, people with backfill or the AWS CLI). All are IAM
    // principals of this account: the statement names the account, so each still needs kms:Decrypt
    // in its own IAM policy, and limits it to data CloudTrail encrypted, as the page's condition does.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowAccountPrincipalsToDecryptCloudTrailFiles',
        principals: [new iam.AccountRootPrincipal()],
        actions: ['kms:Decrypt'],
        resources: ['*'],
        conditions: { Null: { 'kms:EncryptionContext:aws:cloudtrail:arn': 'false' } },
      }),
    );

    this.topicKey = new kms.Key(this, 'TopicKey', {
      description: `trail-index: notifications of trail ${this.trailName} on their SNS topic`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Publishing to the encrypted delivery topic: SNS asks KMS on CloudTrail's behalf. The statement
    // is exactly the one of "Amazon SNS topic policy for CloudTrail"
    // (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-permissions-for-sns-notifications.html),
    // which has no condition: no AWS page documents which condition keys SNS passes to KMS on this
    // path, and a wrong guess would drop every notification silently. Hence a key used for nothing
    // else. The AWS-managed alias/aws/sns cannot be used, because its policy cannot name CloudTrail.
    this.topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudTrailToPublishToEncryptedTopic',
        principals: [cloudTrail],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
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

    const transitions = [
      {
        storageClass:
          props.firstArchiveClass === 'instant'
            ? s3.StorageClass.GLACIER_INSTANT_RETRIEVAL
            : s3.StorageClass.GLACIER,
        transitionAfter: Duration.days(days.glacierTransitionDays),
      },
      {
        storageClass: s3.StorageClass.DEEP_ARCHIVE,
        transitionAfter: Duration.days(days.deepArchiveTransitionDays),
      },
    ];
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
        // Log files go to the archive tiers; digest files (CloudTrail-Digest/) stay in Standard, so
        // that the chain stays verifiable, by the verifier and by validate-logs, with no restore.
        // A lifecycle filter is a literal prefix, so the rule names the log file folder itself.
        {
          id: 'ArchiveLogFiles',
          prefix: `AWSLogs/${trailAccount}/CloudTrail/`,
          transitions,
        },
        // An organization trail writes every member under AWSLogs/<o-id>/<account>/: no literal
        // prefix tells log files from digests there. Digests list one account and region's hour
        // (a few KB), so a size floor keeps them out. It is S3's own default floor (S3 API Reference,
        // PutBucketLifecycleConfiguration, TransitionDefaultMinimumObjectSize: "all_storage_classes_128K
        // - Objects smaller than 128 KB will not transition to any storage class by default"), written
        // out here so that it holds whatever the bucket's default.
        ...(props.organizationId === undefined
          ? []
          : [
              {
                id: 'ArchiveOrganizationLogFiles',
                prefix: `AWSLogs/${props.organizationId}/`,
                objectSizeGreaterThan: DIGEST_SIZE_FLOOR_BYTES,
                transitions,
              },
            ]),
        {
          id: 'ExpireTrailFiles',
          expiration: Duration.days(days.expirationDays),
          noncurrentVersionExpiration: Duration.days(days.noncurrentVersionExpirationDays),
          abortIncompleteMultipartUploadAfter: Duration.days(days.abortIncompleteMultipartUploadDays),
        },
      ],
      // Audit data outlives the stack: deleting the stack must not delete the logs.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    if (props.organizationId !== undefined) {
      // CloudFormation types ObjectSizeGreaterThan as a string; the L2 construct writes a number.
      (this.logBucket.node.defaultChild as s3.CfnBucket).addPropertyOverride(
        'LifecycleConfiguration.Rules.1.ObjectSizeGreaterThan',
        String(DIGEST_SIZE_FLOOR_BYTES),
      );
    }
    this.logBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudTrailAclCheck',
        principals: [cloudTrail],
        actions: ['s3:GetBucketAcl'],
        resources: [this.logBucket.bucketArn],
        conditions: { StringEquals: fromThisTrail },
      }),
    );
    // The owning account's own files, and with an organization trail every member's under the
    // organization id ("Amazon S3 bucket policy for CloudTrail", organization trails).
    const writablePrefixes = [`AWSLogs/${trailAccount}/*`];
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
      masterKey: this.topicKey,
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
    this.trail.node.addDependency(this.logBucket, this.deliveryTopic, this.key, this.topicKey);
  }
}
