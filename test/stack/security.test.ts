/**
 * One assertion per control of SECURITY.md that the template can prove, numbered as there, plus
 * the negative checks: what must not be in the template.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { METRIC, STACK_OUTPUT } from '../../lambdas/shared/config';
import { INDEXES, PROJECTED_ATTRIBUTES, TTL_ATTRIBUTE } from '../../lambdas/shared/schema';
import type { TrailIndexStack } from '../../lib/trail-index-stack';
import { buildStack } from './build-stack';

type Json = Record<string, unknown>;
type Statement = {
  Effect: string;
  Principal?: unknown;
  Action: string | string[];
  Resource?: unknown;
  Condition?: Json;
};

const TRAIL_NAME = 'trail-index';

let stack: TrailIndexStack;
let template: Template;

beforeAll(() => {
  stack = buildStack({ alertEmail: 'ops@example.com' });
  template = Template.fromStack(stack);
});

/** The one resource of a type whose logical id starts with a prefix (construct path). */
function logicalId(type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1) throw new Error(`expected one ${type} named ${prefix}*, found ${ids.join(', ')}`);
  return ids[0]!;
}
const ref = (id: string) => ({ Ref: id });
/** A token (ARN, name) as the template writes it, without hard-coding logical ids. */
const resolve = (value: string): unknown => stack.resolve(value) as unknown;
const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

/** The ARN CloudFormation will build for the trail, as the template writes it. */
const trailArn = {
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':cloudtrail:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:trail/${TRAIL_NAME}`,
    ],
  ],
};

/** Every policy statement of the template, with the resource that holds it. */
function allStatements(t: Template): { holder: string; statement: Statement }[] {
  const found: { holder: string; statement: Statement }[] = [];
  for (const [id, resource] of Object.entries(
    t.toJSON().Resources as Record<string, { Properties?: Json }>,
  )) {
    const properties = resource.Properties ?? {};
    for (const key of ['PolicyDocument', 'KeyPolicy', 'AssumeRolePolicyDocument']) {
      const document = properties[key] as { Statement?: Statement[] } | undefined;
      for (const statement of document?.Statement ?? []) found.push({ holder: id, statement });
    }
  }
  return found;
}

function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

function isEveryone(principal: unknown): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) return false;
  const aws = (principal as Json).AWS;
  return aws === '*' || (Array.isArray(aws) && aws.includes('*'));
}

describe('1-2 trail (CIS 4.1, 4.2)', () => {
  it('is multi-region, logs global service events, is logging and validates log files', () => {
    template.hasResourceProperties('AWS::CloudTrail::Trail', {
      TrailName: TRAIL_NAME,
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      IsLogging: true,
      EnableLogFileValidation: true,
      IsOrganizationTrail: false,
    });
  });

  it('records all management events, read and write, excluding no event source', () => {
    template.hasResourceProperties('AWS::CloudTrail::Trail', {
      EventSelectors: [
        {
          IncludeManagementEvents: true,
          ReadWriteType: 'All',
          ExcludeManagementEventSources: Match.absent(),
        },
      ],
      AdvancedEventSelectors: Match.absent(),
    });
  });

  it('notifies the delivery topic', () => {
    template.hasResourceProperties('AWS::CloudTrail::Trail', {
      SnsTopicName: ref(logicalId('AWS::SNS::Topic', 'AuditTrailDeliveryTopic')),
    });
  });

  it('is created only after the policies that let CloudTrail write and publish', () => {
    const trail = template.findResources('AWS::CloudTrail::Trail');
    const dependsOn = Object.values(trail)[0]!.DependsOn as string[];
    expect(dependsOn).toEqual(
      expect.arrayContaining([
        logicalId('AWS::S3::BucketPolicy', 'AuditTrailLogBucketPolicy'),
        logicalId('AWS::SNS::TopicPolicy', 'AuditTrailDeliveryTopicPolicy'),
        logicalId('AWS::KMS::Key', 'AuditTrailKey'),
      ]),
    );
  });
});

describe('3 encryption with a customer-managed key (CIS 4.5, CloudTrail.2, S3.17)', () => {
  it('encrypts the trail with the key', () => {
    template.hasResourceProperties('AWS::CloudTrail::Trail', {
      KMSKeyId: resolve(stack.logKey!.keyArn),
    });
  });

  it('encrypts the log bucket with the same key and an S3 bucket key', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: resolve(stack.logKey!.keyArn),
            },
            BucketKeyEnabled: true,
          },
        ],
      },
      LoggingConfiguration: Match.anyValue(),
    });
  });
});

describe('4 key rotation (CIS 4.6, KMS.4)', () => {
  it('rotates every key and keeps it when the stack is deleted', () => {
    template.allResourcesProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.allResources('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
  });
});

describe('5 CloudTrail may use the key only for this trail', () => {
  it('lets CloudTrail generate data keys for trails of this account, and only as this trail', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'AllowCloudTrailToEncryptLogFiles',
            Effect: 'Allow',
            Principal: { Service: 'cloudtrail.amazonaws.com' },
            Action: 'kms:GenerateDataKey*',
            Resource: '*',
            Condition: {
              StringLike: {
                'kms:EncryptionContext:aws:cloudtrail:arn': {
                  'Fn::Join': [
                    '',
                    [
                      'arn:',
                      { Ref: 'AWS::Partition' },
                      ':cloudtrail:*:',
                      { Ref: 'AWS::AccountId' },
                      ':trail/*',
                    ],
                  ],
                },
              },
              StringEquals: { 'aws:SourceArn': trailArn },
            },
          },
        ]),
      },
    });
  });

  it('lets this trail describe the key', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudtrail.amazonaws.com' },
            Action: 'kms:DescribeKey',
            Condition: { StringEquals: { 'aws:SourceArn': trailArn } },
          }),
        ]),
      },
    });
  });

  it('gives the indexer kms:Decrypt and nothing else on the trail key', () => {
    const keyArn = arnOf(logicalId('AWS::KMS::Key', 'AuditTrailKey'));
    const onKey = allStatements(template).filter(
      ({ holder, statement }) =>
        holder.startsWith('IndexerRole') && JSON.stringify(statement.Resource) === JSON.stringify(keyArn),
    );
    expect(onKey.map(({ statement }) => statement.Action)).toEqual(['kms:Decrypt']);
  });

  it('writes no arn:aws: literal into any policy, so other partitions work', () => {
    const literal = allStatements(template).filter(({ statement }) =>
      JSON.stringify(statement).includes('arn:aws:'),
    );
    expect(literal).toEqual([]);
  });
});

describe('6 no public access, ACLs disabled (CIS 3.1.4, S3.8, S3.12)', () => {
  it('blocks all public access and disables ACLs on every bucket', () => {
    template.allResourcesProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      AccessControl: Match.absent(),
    });
  });
});

describe('7 TLS only (CIS 3.1.1, S3.5)', () => {
  const denyInsecure = (action: string) =>
    Match.objectLike({
      Effect: 'Deny',
      Action: action,
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });

  it('denies plain HTTP in every bucket policy', () => {
    template.allResourcesProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([denyInsecure('s3:*')]) },
    });
  });

  it('denies plain HTTP publishing on every topic', () => {
    template.allResourcesProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([denyInsecure('sns:Publish')]) },
    });
  });
});

describe('8 CloudTrail writes only as this trail (CloudTrail S3 docs, CIS 2.21)', () => {
  it('allows the ACL check and the write under AWSLogs/<account>/ only with aws:SourceArn = this trail', () => {
    const bucket = logicalId('AWS::S3::Bucket', 'AuditTrailLogBucket');
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: ref(bucket),
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'AllowCloudTrailAclCheck',
            Effect: 'Allow',
            Principal: { Service: 'cloudtrail.amazonaws.com' },
            Action: 's3:GetBucketAcl',
            Resource: arnOf(bucket),
            Condition: { StringEquals: { 'aws:SourceArn': trailArn } },
          },
          {
            Sid: 'AllowCloudTrailWrite',
            Effect: 'Allow',
            Principal: { Service: 'cloudtrail.amazonaws.com' },
            Action: 's3:PutObject',
            Resource: { 'Fn::Join': ['', [arnOf(bucket), '/AWSLogs/', { Ref: 'AWS::AccountId' }, '/*']] },
            Condition: {
              StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceArn': trailArn },
            },
          },
        ]),
      },
    });
  });

  it('has no CloudTrail statement without aws:SourceArn, but the documented one on the topic-only key', () => {
    const topicKey = logicalId('AWS::KMS::Key', 'AuditTrailTopicKey');
    const unscoped = allStatements(template).filter(
      ({ statement }) =>
        JSON.stringify(statement.Principal ?? '').includes('cloudtrail.amazonaws.com') &&
        !JSON.stringify(statement.Condition ?? {}).includes('"aws:SourceArn"'),
    );
    expect(unscoped.map(({ holder }) => holder)).toEqual([topicKey]);
    // That key encrypts the delivery topic and nothing else.
    const users = Object.entries(template.toJSON().Resources as Record<string, { Properties?: unknown }>)
      .filter(
        ([id, resource]) => id !== topicKey && JSON.stringify(resource.Properties).includes(`"${topicKey}"`),
      )
      .map(([id]) => id);
    expect(users).toEqual([logicalId('AWS::SNS::Topic', 'AuditTrailDeliveryTopic')]);
  });
});

describe('9 server access logging (CIS 4.4, S3.9, CloudTrail.7)', () => {
  it('logs the trail bucket into a separate SSE-S3 bucket without Object Lock', () => {
    const accessLogs = logicalId('AWS::S3::Bucket', 'AuditTrailAccessLogBucket');
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { DestinationBucketName: ref(accessLogs), LogFilePrefix: Match.anyValue() },
    });
    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        ObjectLockEnabled: Match.absent(),
        LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 365, Status: 'Enabled' })] },
      },
      DeletionPolicy: 'Retain',
    });
    expect(
      Object.keys(
        template.findResources('AWS::S3::Bucket', { Properties: { LoggingConfiguration: Match.anyValue() } }),
      ),
    ).toEqual([logicalId('AWS::S3::Bucket', 'AuditTrailLogBucket')]);
  });

  it('lets only S3 logging for the trail bucket write access logs', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: ref(logicalId('AWS::S3::Bucket', 'AuditTrailAccessLogBucket')),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Condition: {
              ArnLike: { 'aws:SourceArn': arnOf(logicalId('AWS::S3::Bucket', 'AuditTrailLogBucket')) },
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            },
          }),
        ]),
      },
    });
  });
});

describe('10 lifecycle (S3.13)', () => {
  it('archives log files, keeps digests out of the archive tiers, and expires everything with the documented defaults', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: Match.anyValue(),
      LifecycleConfiguration: {
        Rules: [
          {
            Id: 'ArchiveLogFiles',
            Status: 'Enabled',
            // The log file folder only: CloudTrail-Digest/ stays in Standard, verifiable with no restore.
            Prefix: { 'Fn::Join': ['', ['AWSLogs/', { Ref: 'AWS::AccountId' }, '/CloudTrail/']] },
            Transitions: [
              { StorageClass: 'GLACIER', TransitionInDays: 90 },
              { StorageClass: 'DEEP_ARCHIVE', TransitionInDays: 365 },
            ],
          },
          {
            Id: 'ExpireTrailFiles',
            Status: 'Enabled',
            ExpirationInDays: 2557,
            NoncurrentVersionExpiration: { NoncurrentDays: 30 },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
          },
        ],
      },
    });
  });

  it("keeps an organization trail's digests out of the archive tiers by their size", () => {
    const org = Template.fromStack(buildStack({ organizationId: 'o-abcd123456' }));
    org.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          {
            Id: 'ArchiveOrganizationLogFiles',
            Status: 'Enabled',
            Prefix: 'AWSLogs/o-abcd123456/',
            ObjectSizeGreaterThan: '131072',
            Transitions: [
              { StorageClass: 'GLACIER', TransitionInDays: 90 },
              { StorageClass: 'DEEP_ARCHIVE', TransitionInDays: 365 },
            ],
          },
        ]),
      },
    });
  });

  it('takes the days from the options', () => {
    // Prepare
    const custom = Template.fromStack(
      buildStack({
        glacierTransitionDays: 30,
        deepArchiveTransitionDays: 120,
        expirationDays: 400,
        noncurrentVersionExpirationDays: 5,
        abortIncompleteMultipartUploadDays: 2,
        accessLogExpirationDays: 60,
      }),
    );

    // Assess
    custom.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({
            Transitions: [
              { StorageClass: 'GLACIER', TransitionInDays: 30 },
              { StorageClass: 'DEEP_ARCHIVE', TransitionInDays: 120 },
            ],
          }),
          Match.objectLike({
            ExpirationInDays: 400,
            NoncurrentVersionExpiration: { NoncurrentDays: 5 },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 },
          }),
        ],
      },
    });
    custom.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 60 })] },
    });
  });
});

describe('11 versioning and retention (S3.14)', () => {
  it('versions the log bucket and retains it when the stack is deleted', () => {
    template.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({
        VersioningConfiguration: { Status: 'Enabled' },
        LoggingConfiguration: Match.anyValue(),
      }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });
});

describe('12 only this trail may publish to the delivery topic (SNS.4)', () => {
  it('allows sns:Publish to CloudTrail only with aws:SourceArn = this trail', () => {
    const topic = logicalId('AWS::SNS::Topic', 'AuditTrailDeliveryTopic');
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [ref(topic)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'AllowThisTrailToPublish',
            Effect: 'Allow',
            Principal: { Service: 'cloudtrail.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: ref(topic),
            Condition: { StringEquals: { 'aws:SourceArn': trailArn } },
          },
        ]),
      },
    });
  });
});

describe('13 topics encrypted with customer-managed keys', () => {
  it('encrypts the delivery topic with a key of its own, whose CloudTrail statement is the documented one', () => {
    // "Amazon SNS topic policy for CloudTrail": GenerateDataKey* and Decrypt, Resource *, no condition.
    const key = logicalId('AWS::KMS::Key', 'AuditTrailTopicKey');
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: arnOf(key),
      DisplayName: Match.stringLikeRegexp('deliveries'),
    });
    const statements = allStatements(template).filter(
      ({ holder, statement }) => holder === key && JSON.stringify(statement.Principal).includes('cloudtrail'),
    );
    expect(statements.map(({ statement }) => statement)).toEqual([
      {
        Sid: 'AllowCloudTrailToPublishToEncryptedTopic',
        Effect: 'Allow',
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
      },
    ]);
  });

  it('lets principals of the account decrypt CloudTrail files, as the Bucket Key requires, and nothing more', () => {
    // "Configure AWS KMS key policies for CloudTrail": with an S3 Bucket Key, creating or updating the
    // trail needs kms:Decrypt; the statement of "Granting decrypt permissions for trails".
    const key = logicalId('AWS::KMS::Key', 'AuditTrailKey');
    const statements = allStatements(template)
      .filter(({ holder, statement }) => holder === key && actionsOf(statement).includes('kms:Decrypt'))
      .map(({ statement }) => statement);
    expect(statements).toContainEqual({
      Sid: 'AllowAccountPrincipalsToDecryptCloudTrailFiles',
      Effect: 'Allow',
      Principal: {
        AWS: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']],
        },
      },
      Action: 'kms:Decrypt',
      Resource: '*',
      Condition: { Null: { 'kms:EncryptionContext:aws:cloudtrail:arn': 'false' } },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [Match.objectLike({ BucketKeyEnabled: true })],
      },
    });
  });

  it("encrypts the alert topic with its own key, which admits this account's CloudWatch alarms", () => {
    const key = logicalId('AWS::KMS::Key', 'AlertsKey');
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: arnOf(key),
      DisplayName: 'trail-index alerts',
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
          }),
        ]),
      },
    });
  });

  it('uses no AWS-managed alias for any topic', () => {
    template.allResourcesProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] },
    });
  });
});

describe('14 no lost delivery (Serverless SNSRedrivePolicy)', () => {
  it('gives the indexer subscription a dead-letter queue', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: ref(logicalId('AWS::SNS::Topic', 'AuditTrailDeliveryTopic')),
      RedrivePolicy: {
        deadLetterTargetArn: arnOf(logicalId('AWS::SQS::Queue', 'IndexerSubscriptionDeadLetterQueue')),
      },
    });
  });

  it('lets only the delivery topic send to that queue', () => {
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [ref(logicalId('AWS::SQS::Queue', 'IndexerSubscriptionDeadLetterQueue'))],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'sns.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Condition: {
              ArnEquals: { 'aws:SourceArn': ref(logicalId('AWS::SNS::Topic', 'AuditTrailDeliveryTopic')) },
            },
          }),
        ]),
      },
    });
  });

  it('gives the alert email subscription a dead-letter queue too', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      RedrivePolicy: {
        deadLetterTargetArn: arnOf(logicalId('AWS::SQS::Queue', 'AlertsDeliveryDeadLetterQueue')),
      },
    });
  });
});

describe('15 no public invoke (Lambda.1)', () => {
  it('lets only the delivery topic invoke the indexer, the schedules the verifier and trail monitor, and the fast-path rules the alerter', () => {
    const permissions = template.findResources('AWS::Lambda::Permission');
    const fastPath = ['cloudtrail', 'dynamodb', 'events', 'glacier', 'kms', 'lambda', 's3', 'sns'].map(
      (service) => ({
        Action: 'lambda:InvokeFunction',
        FunctionName: arnOf(logicalId('AWS::Lambda::Function', 'FastAlertsFunction')),
        Principal: 'events.amazonaws.com',
        SourceArn: arnOf(logicalId('AWS::Events::Rule', `FastAlertsRule${service}`)),
      }),
    );
    expect(Object.values(permissions).map((p) => (p as { Properties: Json }).Properties)).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: arnOf(logicalId('AWS::Lambda::Function', 'IndexerFunction')),
        Principal: 'sns.amazonaws.com',
        SourceArn: ref(logicalId('AWS::SNS::Topic', 'AuditTrailDeliveryTopic')),
      },
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: arnOf(logicalId('AWS::Lambda::Function', 'VerifierFunction')),
        Principal: 'events.amazonaws.com',
        SourceArn: arnOf(logicalId('AWS::Events::Rule', 'VerifierSchedule')),
      },
      ...fastPath,
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: arnOf(logicalId('AWS::Lambda::Function', 'TrailMonitorFunction')),
        Principal: 'events.amazonaws.com',
        SourceArn: arnOf(logicalId('AWS::Events::Rule', 'TrailMonitorSchedule')),
      },
    ]);
  });
});

describe('16, 18 runtime and sizing (Lambda.2, AwsSolutions-L1, Serverless memory/timeout)', () => {
  it('runs nodejs24.x on arm64 with explicit memory and a timeout under 900 s', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 1024,
      Timeout: 300,
      LoggingConfig: { LogGroup: ref(logicalId('AWS::Logs::LogGroup', 'IndexerLogGroup')) },
    });
  });

  it('keeps the function logs for a limited time', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });
});

describe('17 no silent loss after retries (Serverless LambdaAsyncFailureDestination)', () => {
  it('sends failed invocations to an SQS queue after two retries and at most six hours', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: ref(logicalId('AWS::Lambda::Function', 'IndexerFunction')),
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21600,
      DestinationConfig: {
        OnFailure: { Destination: arnOf(logicalId('AWS::SQS::Queue', 'IndexerFailureDestinationQueue')) },
      },
    });
  });
});

describe('19 dead-letter queue hygiene (SQS.1, AwsSolutions-SQS3/4)', () => {
  it('encrypts every queue and keeps messages for 14 days', () => {
    template.allResourcesProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1209600,
    });
  });

  it('denies plain HTTP on every queue', () => {
    template.allResourcesProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

describe('20 index table (DynamoDB.1/.2/.6)', () => {
  it('is on-demand, recoverable, protected from deletion, encrypted, retained and expires by TTL', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('has the keys and indexes of the shared schema', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: Object.values(INDEXES).map((index) => ({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...PROJECTED_ATTRIBUTES] },
      })),
    });
  });
});

describe('21 least privilege (AwsSolutions-IAM4/IAM5)', () => {
  const indexerStatements = () =>
    allStatements(template)
      .filter(({ holder }) => holder === logicalId('AWS::IAM::Policy', 'IndexerRole'))
      .map(({ statement }) => statement);

  it('grants the indexer exactly what it needs, each on one resource', () => {
    const bucket = logicalId('AWS::S3::Bucket', 'AuditTrailLogBucket');
    expect(indexerStatements()).toEqual(
      expect.arrayContaining([
        {
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: { 'Fn::Join': ['', [arnOf(bucket), '/AWSLogs/*']] },
        },
        {
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Resource: arnOf(logicalId('AWS::KMS::Key', 'AuditTrailKey')),
        },
        {
          Effect: 'Allow',
          Action: [
            'dynamodb:BatchWriteItem',
            'dynamodb:ConditionCheckItem',
            'dynamodb:DeleteItem',
            'dynamodb:GetItem',
            'dynamodb:PutItem',
            'dynamodb:UpdateItem',
          ],
          Resource: arnOf(logicalId('AWS::DynamoDB::Table', 'IndexTable')),
        },
        {
          Effect: 'Allow',
          Action: 'sns:Publish',
          Resource: ref(logicalId('AWS::SNS::Topic', 'AlertsTopic')),
        },
        {
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          Resource: arnOf(logicalId('AWS::KMS::Key', 'AlertsKey')),
        },
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: arnOf(logicalId('AWS::Logs::LogGroup', 'IndexerLogGroup')),
        },
        {
          Effect: 'Allow',
          Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
          Resource: arnOf(logicalId('AWS::SQS::Queue', 'IndexerFailureDestinationQueue')),
        },
      ]),
    );
    expect(indexerStatements()).toHaveLength(7);
  });

  it('has no wildcard action and no "*" resource in the indexer policy', () => {
    const statements = indexerStatements();
    const actions = statements.flatMap(actionsOf);
    expect(actions.filter((action) => /^(s3|kms|dynamodb|sns|sqs|logs):\*$|^\*$/.test(action))).toEqual([]);
    expect(statements.filter((statement) => JSON.stringify(statement.Resource) === '"*"')).toEqual([]);
    expect(
      statements.filter((statement) => Array.isArray(statement.Resource) && statement.Resource.includes('*')),
    ).toEqual([]);
  });

  it('attaches no managed policy to the indexer role', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      },
      ManagedPolicyArns: Match.absent(),
    });
  });
});

describe('23 failures are visible (monitoring)', () => {
  const alertTopic = () => ref(logicalId('AWS::SNS::Topic', 'AlertsTopic'));

  it.each([
    ['IndexerSubscriptionDeadLetterQueue'],
    ['IndexerFailureDestinationQueue'],
    ['AlertsDeliveryDeadLetterQueue'],
  ])('alarms when %s is not empty', (queue) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId('AWS::SQS::Queue', queue), 'QueueName'] } },
      ],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      AlarmActions: [alertTopic()],
    });
  });

  it('alarms on indexer errors', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [
        { Name: 'FunctionName', Value: ref(logicalId('AWS::Lambda::Function', 'IndexerFunction')) },
      ],
      Threshold: 0,
      AlarmActions: [alertTopic()],
    });
  });

  it('alarms on failed SNS deliveries of the delivery topic', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SNS',
      MetricName: 'NumberOfNotificationsFailed',
      Dimensions: [
        {
          Name: 'TopicName',
          Value: { 'Fn::GetAtt': [logicalId('AWS::SNS::Topic', 'AuditTrailDeliveryTopic'), 'TopicName'] },
        },
      ],
      Threshold: 0,
      AlarmActions: [alertTopic()],
    });
  });

  it('alarms on log files the indexer could not read', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'TrailIndex',
      MetricName: METRIC.filesFailed,
      Dimensions: [{ Name: 'service', Value: 'trail-index' }],
      AlarmActions: [alertTopic()],
    });
  });

  it('treats missing data as healthy on every failure alarm', () => {
    const failureAlarms = template.findResources('AWS::CloudWatch::Alarm', {
      Properties: { ComparisonOperator: 'GreaterThanThreshold' },
    });
    expect(
      Object.values(failureAlarms).map(
        (alarm) => (alarm as { Properties: Json }).Properties.TreatMissingData,
      ),
    ).toEqual(Array<string>(Object.keys(failureAlarms).length).fill('notBreaching'));
  });

  it('alarms when CloudTrail announces nothing for three hours, counting silence as failure', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SNS',
      MetricName: 'NumberOfMessagesPublished',
      Dimensions: [
        {
          Name: 'TopicName',
          Value: { 'Fn::GetAtt': [logicalId('AWS::SNS::Topic', 'AuditTrailDeliveryTopic'), 'TopicName'] },
        },
      ],
      Period: 3600,
      EvaluationPeriods: 3,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
      AlarmActions: [alertTopic()],
    });
  });

  it('plots every indexer metric and every indexed source on the dashboard', () => {
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboards[0]);
    for (const name of Object.values(METRIC)) expect(body).toContain(`\\"${name}\\"`);
    for (const source of ['glacier.amazonaws.com', 'support.amazonaws.com']) expect(body).toContain(source);
  });
});

describe('indexer configuration', () => {
  it('passes the table, alert topic, sources and Powertools names, and no retention by default', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          TABLE_NAME: resolve(stack.index.table.tableName),
          ALERT_TOPIC_ARN: resolve(stack.alerts.topic.topicArn),
          INDEXED_SOURCES: 'glacier.amazonaws.com,support.amazonaws.com',
          POWERTOOLS_SERVICE_NAME: 'trail-index',
          POWERTOOLS_METRICS_NAMESPACE: 'TrailIndex',
          NODE_OPTIONS: '--enable-source-maps',
          RETENTION_DAYS: Match.absent(),
        },
      },
    });
  });

  it('passes the configured sources and retention', () => {
    // Prepare
    const custom = Template.fromStack(
      buildStack({
        indexedSources: ['support.amazonaws.com', 'trustedadvisor.amazonaws.com'],
        indexRetentionDays: 400,
      }),
    );

    // Assess
    custom.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          INDEXED_SOURCES: 'support.amazonaws.com,trustedadvisor.amazonaws.com',
          RETENTION_DAYS: '400',
        }),
      },
    });
  });
});

describe('organization trail', () => {
  it('is an organization trail and may also write under AWSLogs/<organization id>/, still only as this trail', () => {
    // Prepare
    const org = Template.fromStack(buildStack({ organizationId: 'o-abcd123456', trailName: 'org-audit' }));

    // Assess
    org.hasResourceProperties('AWS::CloudTrail::Trail', {
      IsOrganizationTrail: true,
      TrailName: 'org-audit',
    });
    org.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCloudTrailWrite',
            Resource: [
              Match.objectLike({
                'Fn::Join': ['', Match.arrayWith(['/AWSLogs/', { Ref: 'AWS::AccountId' }])],
              }),
              Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['/AWSLogs/o-abcd123456/*'])] }),
            ],
            Condition: {
              StringEquals: Match.objectLike({
                'aws:SourceArn': Match.objectLike({
                  'Fn::Join': ['', Match.arrayWith([':trail/org-audit'])],
                }),
              }),
            },
          }),
        ]),
      },
    });
  });
});

describe('without an alert email', () => {
  it('has no subscription and no alert dead-letter queue', () => {
    // Prepare
    const quiet = Template.fromStack(buildStack());

    // Assess
    expect(quiet.findResources('AWS::SNS::Subscription', { Properties: { Protocol: 'email' } })).toEqual({});
    expect(
      Object.keys(quiet.findResources('AWS::SQS::Queue')).filter((id) => id.startsWith('Alerts')),
    ).toEqual([]);
  });
});

describe('outputs', () => {
  it('exports exactly the outputs the CLI reads', () => {
    expect(Object.keys(template.findOutputs('*')).sort()).toEqual(
      Object.values(STACK_OUTPUT)
        .filter((key) => key !== STACK_OUTPUT.deliveryQueueArn)
        .sort(),
    );
    template.hasOutput(STACK_OUTPUT.trailArn, {
      Value: resolve(stack.audit!.trail.attrArn),
    });
    template.hasOutput(STACK_OUTPUT.tableName, {
      Value: resolve(stack.index.table.tableName),
    });
    template.hasOutput(STACK_OUTPUT.subscriptionDlqUrl, {
      Value: resolve(stack.indexer.subscriptionDeadLetterQueue.queueUrl),
    });
  });
});

describe('negative checks', () => {
  it('has no Allow to "*" without a condition in any policy', () => {
    const open = allStatements(template).filter(
      ({ statement }) =>
        statement.Effect === 'Allow' && isEveryone(statement.Principal) && statement.Condition === undefined,
    );
    expect(open).toEqual([]);
  });

  it('has no Allow to "*" at all', () => {
    const open = allStatements(template).filter(
      ({ statement }) => statement.Effect === 'Allow' && isEveryone(statement.Principal),
    );
    expect(open).toEqual([]);
  });

  it('destroys no audit data with the stack: buckets and table are retained, no auto-delete', () => {
    template.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.allResources('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    expect(template.findResources('Custom::S3AutoDeleteObjects')).toEqual({});
  });
});

describe('organization trail from a delegated administrator (managementAccountId)', () => {
  const MANAGEMENT = '123456789012';
  let org: Template;

  beforeAll(() => {
    org = Template.fromStack(buildStack({ organizationId: 'o-a1b2c3d4e5', managementAccountId: MANAGEMENT }));
  });

  /** The trail ARN as the management account owns it. */
  const managementTrailArn = {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':cloudtrail:',
        { Ref: 'AWS::Region' },
        `:${MANAGEMENT}:trail/${TRAIL_NAME}`,
      ],
    ],
  };

  it('names the management account in every aws:SourceArn', () => {
    const sourceArns = allStatements(org)
      .map(({ statement }) => (statement.Condition?.StringEquals as Json | undefined)?.['aws:SourceArn'])
      .filter((value) => value !== undefined);
    expect(sourceArns.length).toBeGreaterThanOrEqual(4);
    for (const arn of sourceArns) expect(arn).toEqual(managementTrailArn);
  });

  it("limits data keys to the management account's trails and lets it write its own folder and the members'", () => {
    const statements = allStatements(org).map(({ statement }) => statement);
    expect(statements).toContainEqual(
      expect.objectContaining({
        Sid: 'AllowCloudTrailToEncryptLogFiles',
        Condition: expect.objectContaining({
          StringLike: {
            'kms:EncryptionContext:aws:cloudtrail:arn': {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:cloudtrail:*:${MANAGEMENT}:trail/*`]],
            },
          },
        }) as unknown,
      }),
    );
    const write = statements.find((s) => (s as { Sid?: string }).Sid === 'AllowCloudTrailWrite');
    expect(JSON.stringify(write?.Resource)).toContain(`/AWSLogs/${MANAGEMENT}/*`);
    expect(JSON.stringify(write?.Resource)).toContain('/AWSLogs/o-a1b2c3d4e5/*');
    expect(JSON.stringify(write?.Resource)).not.toContain('AWS::AccountId');
    org.hasResourceProperties('AWS::CloudTrail::Trail', { IsOrganizationTrail: true });
  });
});
