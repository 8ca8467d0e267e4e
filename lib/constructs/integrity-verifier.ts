import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { deadLetterQueue } from './dead-letter-queue';
import { INDEXER_EXTERNAL_MODULES, logsRoot } from './indexer-function';
import { ENV, METRICS_NAMESPACE, SERVICE_NAME } from '../../lambdas/shared/config';

/**
 * How often the verifier runs. CloudTrail writes one digest per account and region per hour, so an
 * hourly run checks each digest within the hour after it lands.
 */
export const VERIFIER_SCHEDULE = Duration.hours(1);
/**
 * One run's limit. A run checks an hour of digests (one per account and region), and the log files
 * they list from the hashes the indexer recorded: seconds in a normal hour. The first run over a
 * long history, or files read again, may take longer: a run stops before the timeout, saves where
 * each chain is, and the next run goes on from there.
 */
export const VERIFIER_TIMEOUT = Duration.minutes(15);

export interface IntegrityVerifierProps {
  /** The trail bucket; the function lists and reads `[prefix/]AWSLogs/*` only. */
  readonly logBucket: s3.IBucket;
  /** The trail's key prefix, without slashes. @default - none */
  readonly logKeyPrefix?: string;
  /** The key of the log and digest files; the function may only decrypt with it. @default - SSE-S3 */
  readonly logKey?: kms.IKey;
  readonly table: dynamodb.ITable;
  readonly alertTopic: sns.ITopic;
  /**
   * Hours before the first run from which digests are checked.
   * @default 24
   */
  readonly firstRunHours?: number;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The digest verifier: a Lambda function run hourly by an EventBridge schedule that verifies every
 * new CloudTrail digest, and the log files it lists, and alerts on what does not hold.
 */
export class IntegrityVerifier extends Construct {
  public readonly function: nodejs.NodejsFunction;
  public readonly role: iam.Role;
  public readonly schedule: events.Rule;
  /** Runs that failed after Lambda's retries. */
  public readonly failureDestinationQueue: sqs.Queue;

  public constructor(scope: Construct, id: string, props: IntegrityVerifierProps) {
    super(scope, id);
    this.failureDestinationQueue = deadLetterQueue(this, 'FailureDestinationQueue');
    const logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description:
        'trail-index verifier: read CloudTrail digests and log files, record verdicts, publish alerts',
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );

    const projectRoot = path.resolve(__dirname, '..', '..');
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      description: "trail-index: verify CloudTrail's signed digests and the log files they list",
      entry: path.join(projectRoot, 'lambdas', 'verifier', 'handler.ts'),
      handler: 'handler',
      projectRoot,
      depsLockFilePath: path.join(projectRoot, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 1024,
      timeout: VERIFIER_TIMEOUT,
      // One run at a time: two would check the same digests and race on the chains' positions.
      reservedConcurrentExecutions: 1,
      role: this.role,
      logGroup,
      environment: {
        [ENV.tableName]: props.table.tableName,
        [ENV.alertTopicArn]: props.alertTopic.topicArn,
        [ENV.logBucket]: props.logBucket.bucketName,
        [ENV.logKeyPrefix]: props.logKeyPrefix ?? '',
        [ENV.verifyFirstRunHours]: String(props.firstRunHours ?? 24),
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        NODE_OPTIONS: '--enable-source-maps',
      },
      onFailure: new destinations.SqsDestination(this.failureDestinationQueue),
      retryAttempts: 2,
      bundling: {
        forceDockerBundling: false,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        format: nodejs.OutputFormat.CJS,
        bundleAwsSDK: true,
        externalModules: [...INDEXER_EXTERNAL_MODULES],
      },
    });

    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        // Listing finds accounts, regions and new digests; only under AWSLogs/.
        actions: ['s3:ListBucket'],
        resources: [props.logBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${logsRoot(props.logKeyPrefix)}*`] } },
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [props.logBucket.arnForObjects(`${logsRoot(props.logKeyPrefix)}*`)],
      }),
    );
    props.logKey?.grantDecrypt(this.role);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        // ListPublicKeys has no resource type: the Service Authorization Reference for AWS
        // CloudTrail lists it with Resource "*" only.
        // https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudtrail.html
        actions: ['cloudtrail:ListPublicKeys'],
        resources: ['*'],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        // Verdicts and chain positions (Get/Put/UpdateItem), alert markers (with Delete).
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: [props.table.tableArn],
      }),
    );
    props.alertTopic.grantPublish(this.role);

    this.schedule = new events.Rule(this, 'Schedule', {
      description: 'trail-index: verify the CloudTrail digests delivered since the last run',
      schedule: events.Schedule.rate(VERIFIER_SCHEDULE),
      // A run EventBridge could not start lands in the same queue as a run that failed.
      targets: [
        new targets.LambdaFunction(this.function, {
          retryAttempts: 2,
          deadLetterQueue: this.failureDestinationQueue,
        }),
      ],
    });

    NagSuppressions.addResourceSuppressions(
      this.role.node.findChild('DefaultPolicy'),
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'CloudTrail writes log and digest files under AWSLogs/<account>/...; the function reads only that prefix.',
          appliesTo: [
            {
              regex:
                '/^Resource::(<.*LogBucket.*\\.Arn>|arn:<AWS::Partition>:s3:::[a-z0-9.-]+)\\/.*AWSLogs\\/\\*$/',
            },
          ],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason: 'cloudtrail:ListPublicKeys supports no resource-level permissions (Resource "*" only).',
          appliesTo: ['Resource::*'],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Publishing to the KMS-encrypted alert topic needs kms:GenerateDataKey* on its key (granted by grantPublish).',
          appliesTo: ['Action::kms:GenerateDataKey*'],
        },
      ],
      true,
    );
    NagSuppressions.addResourceSuppressions(this.function, [
      {
        id: 'Serverless-LambdaDLQ',
        reason: 'Failed runs go to the OnFailure destination queue, which records the error and the request.',
      },
      {
        id: 'Serverless-LambdaTracing',
        reason:
          'X-Ray needs Resource "*" in the role and adds cost; Powertools logs and metrics follow each run.',
      },
    ]);
  }
}
