import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { deadLetterQueue } from './dead-letter-queue';
import { DEFAULT_INDEXED_SOURCES, ENV, METRICS_NAMESPACE, SERVICE_NAME } from '../../lambdas/shared/config';

/**
 * Memory of the indexer. Lambda allocates CPU in proportion to memory, and scanning a log file is
 * CPU-bound; memory is not the limit: `npm run bench` measured a peak RSS of 106 MiB for a 578 MiB
 * (84 MiB gzip) file and about 2 s of CPU (AMD EPYC), about 4 s at 1024 MB (~0.6 vCPU). Below 1769 MB
 * a CPU-bound invocation costs about the same at any size, so the larger size buys latency.
 */
export const INDEXER_MEMORY_MB = 1024;
/**
 * Timeout of one invocation. A log file is at most 50 MB compressed (hundreds of MB of JSON);
 * the benchmark's largest file needs seconds (see above), so 5 minutes leaves room for S3 and
 * write retries, yet is well under Lambda's 900 s limit so a stuck invocation fails, is retried
 * and lands in the failure destination instead of running for 15 minutes.
 */
export const INDEXER_TIMEOUT = Duration.minutes(5);

/**
 * Modules left out of the bundle: none. The SDK clients are bundled, so the versions the tests ran
 * are the versions deployed: the runtime's own SDK is whatever version AWS last put there, and a
 * bundled `@aws-sdk/lib-dynamodb` refuses a `DynamoDBClient` of another version at module load
 * ("incompatible version of DynamoDBClient"), which would fail every invocation. `bench/cold-start.ts`
 * builds the measured bundle with the same list.
 */
export const INDEXER_EXTERNAL_MODULES: readonly string[] = [];
/** Lambda retries a failed asynchronous invocation this often before the failure destination. */
export const INDEXER_RETRY_ATTEMPTS = 2;
/** How long Lambda keeps trying an event (its maximum), before sending it to the failure destination. */
export const INDEXER_MAX_EVENT_AGE = Duration.hours(6);

export interface IndexerFunctionProps {
  /**
   * CloudTrail's delivery topic; the function subscribes to it.
   * @default - no subscription: another path is wired (see LogDelivery)
   */
  readonly deliveryTopic?: sns.ITopic;
  /** The trail bucket; the function may read `[prefix/]AWSLogs/*` only, and no other bucket. */
  readonly logBucket: s3.IBucket;
  /**
   * The trail's key prefix, without slashes.
   * @default - none
   */
  readonly logKeyPrefix?: string;
  /**
   * The key of the log files; the function may only decrypt with it.
   * @default - SSE-S3: no key
   */
  readonly logKey?: kms.IKey;
  /**
   * Accounts whose log files are indexed.
   * @default - every account
   */
  readonly indexedAccounts?: readonly string[];
  /** The index table; the function writes events and alert markers. */
  readonly table: dynamodb.ITable;
  /** Where vault-deletion alerts go. */
  readonly alertTopic: sns.ITopic;
  /**
   * Event sources to index.
   * @default ['glacier.amazonaws.com', 'support.amazonaws.com']
   */
  readonly indexedSources?: readonly string[];
  /**
   * Days an indexed event is kept (the function sets the TTL attribute).
   * @default - keep forever: `RETENTION_DAYS` is not set
   */
  readonly retentionDays?: number;
  /**
   * @default INDEXER_MEMORY_MB
   */
  readonly memorySize?: number;
  /**
   * @default INDEXER_TIMEOUT
   */
  readonly timeout?: Duration;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The handler source, exporting `handler`.
   * @default lambdas/indexer/handler.ts
   */
  readonly entry?: string;
}

/** `[prefix/]AWSLogs/`: where a trail's files are, under its key prefix. */
export function logsRoot(prefix: string | undefined): string {
  return prefix === undefined || prefix === '' ? 'AWSLogs/' : `${prefix}/AWSLogs/`;
}

/**
 * The indexer: a Lambda function subscribed to CloudTrail's delivery topic, with a dead-letter
 * queue for notifications SNS could not deliver and a failure destination for invocations that
 * failed after Lambda's retries, and exactly the permissions it needs.
 */
export class IndexerFunction extends Construct {
  public readonly function: nodejs.NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  /** Notifications SNS could not hand to Lambda (subscription redrive policy). */
  public readonly subscriptionDeadLetterQueue: sqs.Queue;
  /** Invocations that still failed after Lambda's retries (`OnFailure` destination). */
  public readonly failureDestinationQueue: sqs.Queue;

  public constructor(scope: Construct, id: string, props: IndexerFunctionProps) {
    super(scope, id);
    this.subscriptionDeadLetterQueue = deadLetterQueue(this, 'SubscriptionDeadLetterQueue');
    this.failureDestinationQueue = deadLetterQueue(this, 'FailureDestinationQueue');

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // An own role instead of AWSLambdaBasicExecutionRole: that managed policy allows writing to
    // every log group of the account; this one may write to its own log group only.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'trail-index indexer: read CloudTrail log files, write the index, publish alerts',
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    const environment: Record<string, string> = {
      [ENV.tableName]: props.table.tableName,
      [ENV.alertTopicArn]: props.alertTopic.topicArn,
      [ENV.indexedSources]: (props.indexedSources ?? DEFAULT_INDEXED_SOURCES).join(','),
      // The only bucket and prefix the function reads: a notification naming any other is refused.
      [ENV.logBucket]: props.logBucket.bucketName,
      [ENV.logKeyPrefix]: props.logKeyPrefix ?? '',
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      // Stack traces point into the TypeScript sources rather than the minified bundle.
      NODE_OPTIONS: '--enable-source-maps',
    };
    if (props.retentionDays !== undefined) environment[ENV.retentionDays] = String(props.retentionDays);
    if (props.indexedAccounts !== undefined)
      environment[ENV.indexedAccounts] = props.indexedAccounts.join(',');

    const projectRoot = path.resolve(__dirname, '..', '..');
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      description: 'trail-index: index Glacier and Support events from CloudTrail log files',
      entry: props.entry ?? path.join(projectRoot, 'lambdas', 'indexer', 'handler.ts'),
      handler: 'handler',
      projectRoot,
      depsLockFilePath: path.join(projectRoot, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? INDEXER_MEMORY_MB,
      timeout: props.timeout ?? INDEXER_TIMEOUT,
      role: this.role,
      logGroup: this.logGroup,
      environment,
      onFailure: new destinations.SqsDestination(this.failureDestinationQueue),
      retryAttempts: INDEXER_RETRY_ATTEMPTS,
      maxEventAge: INDEXER_MAX_EVENT_AGE,
      bundling: {
        forceDockerBundling: false,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        format: nodejs.OutputFormat.CJS,
        // Everything bundled, the AWS SDK included (see INDEXER_EXTERNAL_MODULES): about 830 KiB,
        // whose cold-start cost `npm run bench` measures against the runtime's SDK.
        bundleAwsSDK: true,
        externalModules: [...INDEXER_EXTERNAL_MODULES],
      },
    });

    // Least privilege, written out because the grants are broader than the indexer needs:
    // bucket.grantRead adds s3:GetBucket* and s3:List*, table grants add the indexes' ARNs.
    // Without s3:ListBucket, S3 answers a missing key with AccessDenied rather than NoSuchKey.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [props.logBucket.arnForObjects(`${logsRoot(props.logKeyPrefix)}*`)],
      }),
    );
    props.logKey?.grantDecrypt(this.role);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        // What the indexer calls: BatchWriteItem for events; Get/Put/Update/DeleteItem, with
        // conditions, for its alert markers.
        actions: [
          'dynamodb:BatchWriteItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:ConditionCheckItem',
        ],
        resources: [props.table.tableArn],
      }),
    );
    props.alertTopic.grantPublish(this.role);

    props.deliveryTopic?.addSubscription(
      new subscriptions.LambdaSubscription(this.function, {
        deadLetterQueue: this.subscriptionDeadLetterQueue,
      }),
    );

    // On the role's policy only (not the role), so that each acknowledgment matches one finding.
    NagSuppressions.addResourceSuppressions(
      this.role.node.findChild('DefaultPolicy'),
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'CloudTrail writes log files under AWSLogs/<account>/...; the function reads only that prefix.',
          appliesTo: [
            {
              regex:
                '/^Resource::(<.*LogBucket.*\\.Arn>|arn:<AWS::Partition>:s3:::[a-z0-9.-]+)\\/.*AWSLogs\\/\\*$/',
            },
          ],
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
        reason:
          'Failed asynchronous invocations go to the OnFailure destination queue, which records the error and the ' +
          'request; a DeadLetterConfig as well would only duplicate each failure.',
      },
      {
        id: 'Serverless-LambdaTracing',
        reason:
          'X-Ray needs Resource "*" in the role and adds cost; Powertools logs and metrics follow each log file.',
      },
    ]);
  }
}
