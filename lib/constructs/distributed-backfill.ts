import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { NagSuppressions } from 'cdk-nag';
import { Construct, type IConstruct } from 'constructs';
import { serviceFunction } from './service-function';
import { MAX_ROUNDS } from '../../lambdas/backfill/archive';
import { grantIndexing, grantLogReads, logsRoot } from './indexer-function';

/**
 * Children running at once, by default. Each runs one batch function at a time, so this is also the
 * backfill's Lambda concurrency: 100 leaves 900 of an account's default 1,000 concurrent executions
 * ("Lambda quotas") to everything else. On the table's side, a child writes a few hundred items a
 * second at most (the benchmark's writer: about 1,000 events/s with 4 requests in flight, 7 write
 * units each) against on-demand's default of 40,000 write units a second per table ("DynamoDB
 * service quotas"), and most log files hold no Glacier or Support event at all.
 */
export const DEFAULT_BACKFILL_MAX_CONCURRENCY = 100;
/**
 * Keys per child execution. A log file takes tens of milliseconds to index (`npm run bench`), so
 * 200 keys fit well within the 5 minutes an Express child may run, with room for slow files.
 */
export const BACKFILL_ITEMS_PER_BATCH = 200;
/** The Map tolerates this share of failed children before it fails; `--redrive` reruns them. */
export const BACKFILL_TOLERATED_FAILURE_PERCENT = 5;
/** Days the results of a backfill (ResultWriter's files, the pending lists) are kept. */
export const BACKFILL_RESULTS_DAYS = 30;

export interface DistributedBackfillProps {
  /** The trail bucket; the function lists and reads `[prefix/]AWSLogs/*` and restores there only. */
  readonly logBucket: s3.IBucket;
  /** @default - none */
  readonly logKeyPrefix?: string;
  /** @default - SSE-S3 */
  readonly logKey?: kms.IKey;
  /** A role in the bucket owner's account to read as. @default - the function's own role */
  readonly readerRoleArn?: string;
  readonly table: dynamodb.ITable;
  readonly alertTopic: sns.ITopic;
  /** The indexer's configuration and alert settings, so that history is indexed the same way. */
  readonly environment: Readonly<Record<string, string>>;
  /** A bucket holding S3 Inventory reports of the trail bucket. @default - items come from listing */
  readonly inventoryBucket?: s3.IBucket;
  /** @default DEFAULT_BACKFILL_MAX_CONCURRENCY */
  readonly maxConcurrency?: number;
  /** A fixed role name, so that its ARN is known at synth (for a log-archive account's policies). */
  readonly roleName?: string;
  /**
   * A fixed name for the state machine's role, which lists the bucket (the Map's item reader).
   * @default - generated
   */
  readonly stateMachineRoleName?: string;
}

/**
 * The distributed backfill: a Step Functions state machine whose Distributed Map fans out over
 * every log file of a range (listed by Step Functions, or from an S3 Inventory manifest), batched
 * into Express child executions that each run the backfill function (the indexer's
 * `processLogFile`). Archived files are restored first and read in a later round; the machine
 * waits an hour between rounds and stops when nothing is pending.
 */
/** One acknowledgment per IAM5 finding (each names what it applies to). */
function acknowledge(node: IConstruct, reason: string, appliesTo: (string | { regex: string })[]): void {
  NagSuppressions.addResourceSuppressions(
    node,
    appliesTo.map((what) => ({ id: 'AwsSolutions-IAM5', reason, appliesTo: [what] })),
    true,
  );
}

export class DistributedBackfill extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly function: nodejs.NodejsFunction;
  public readonly role: iam.Role;
  public readonly results: s3.Bucket;
  public readonly maxConcurrency: number;

  public constructor(scope: Construct, id: string, props: DistributedBackfillProps) {
    super(scope, id);
    this.maxConcurrency = props.maxConcurrency ?? DEFAULT_BACKFILL_MAX_CONCURRENCY;
    this.results = new s3.Bucket(this, 'Results', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      minimumTLSVersion: 1.2,
      lifecycleRules: [{ expiration: Duration.days(BACKFILL_RESULTS_DAYS) }],
      // Kept with the stack's other data when it is deleted; its files expire on their own.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    ({ fn: this.function, role: this.role } = serviceFunction(this, {
      description: 'trail-index: index a batch of historical log files (restoring archived ones first)',
      roleDescription:
        'trail-index backfill: read and restore log files, write the index, read and write results',
      entry: 'backfill/handler.ts',
      memorySize: 1024,
      // Under the Express child's 5 minutes, so that a slow batch fails as a Task and is retried.
      timeout: Duration.minutes(4),
      environment: props.environment,
      ...(props.roleName === undefined ? {} : { roleName: props.roleName }),
    }));
    grantLogReads(this.role, props);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        // HeadObject is s3:GetObject; RestoreObject only under AWSLogs/.
        actions: ['s3:RestoreObject'],
        resources: [props.logBucket.arnForObjects(`${logsRoot(props.logKeyPrefix)}*`)],
      }),
    );
    // The same rights to index as the indexer: it runs the same core.
    grantIndexing(this.role, props);
    this.results.grantRead(this.role);
    this.results.grantPut(this.role);

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      ...(props.stateMachineRoleName === undefined
        ? {}
        : {
            role: new iam.Role(this, 'StateMachineRole', {
              roleName: props.stateMachineRoleName,
              assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
              description: "trail-index backfill's state machine: list the trail's files, run the batches",
            }),
          }),
      comment: 'trail-index: backfill a range of CloudTrail log files, restoring archived ones',
      definitionBody: sfn.DefinitionBody.fromChainable(this.definition(props)),
      stateMachineType: sfn.StateMachineType.STANDARD,
      tracingEnabled: false,
      logs: {
        destination: new logs.LogGroup(this, 'StateMachineLogs', {
          retention: logs.RetentionDays.THREE_MONTHS,
          removalPolicy: RemovalPolicy.RETAIN,
        }),
        // Every state of the parent (a few dozen per round; each child logs in its function).
        level: sfn.LogLevel.ALL,
        includeExecutionData: false,
      },
    });
    // The Map lists the trail's prefix and reads results and inventory manifests.
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [props.logBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${logsRoot(props.logKeyPrefix)}*`] } },
      }),
    );
    this.results.grantRead(this.stateMachine);
    this.results.grantPut(this.stateMachine);
    props.inventoryBucket?.grantRead(this.stateMachine);

    NagSuppressions.addResourceSuppressions(this.results, [
      {
        id: 'AwsSolutions-S1',
        reason:
          'Working files of a backfill run, expired after 30 days; the trail itself records every access.',
      },
    ]);
    const results = '/^Resource::<BackfillResults[0-9A-F]*\\.Arn>\\/\\*$/';
    const grantWildcards = [
      'Action::s3:Abort*',
      'Action::s3:GetBucket*',
      'Action::s3:GetObject*',
      'Action::s3:List*',
    ];
    acknowledge(
      this.role.node.findChild('DefaultPolicy'),
      'The function reads and restores only [prefix/]AWSLogs/* of the trail bucket, publishes to the encrypted alert topic (kms:GenerateDataKey* on its key), and reads and writes (grantRead, grantPut) its own results bucket.',
      [
        'Action::kms:GenerateDataKey*',
        ...grantWildcards,
        {
          regex:
            '/^Resource::(<.*LogBucket.*\\.Arn>|arn:<AWS::Partition>:s3:::[a-z0-9.-]+)\\/.*AWSLogs\\/\\*$/',
        },
        { regex: results },
      ],
    );
    acknowledge(
      this.stateMachine.role.node.findChild('DefaultPolicy'),
      'The state machine invokes its function (and the function\'s versions), reads and writes its results bucket (the ResultWriter and the pending lists), and delivers its logs: the CloudWatch Logs delivery actions support no resource-level permissions (Resource "*").',
      [
        ...grantWildcards,
        'Resource::*',
        { regex: '/^Resource::<BackfillFunction[0-9A-F]*\\.Arn>:\\*$/' },
        { regex: results },
        { regex: '/^Resource::arn:<AWS::Partition>:s3:::<BackfillResults[0-9A-F]*>\\/\\*$/' },
      ],
    );
    acknowledge(
      this.stateMachine.node.findChild('DistributedMapPolicy'),
      "A Distributed Map starts, describes and stops its own child executions: executions of this state machine's Map Runs only.",
      ['/InventoryFiles', '/ListedFiles', '/PendingFiles', ''].map((label) => ({
        regex: `/^Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:.*${label.replace('/', '\\/')}:\\*$/`,
      })),
    );
    NagSuppressions.addResourceSuppressions(this.stateMachine, [
      { id: 'AwsSolutions-SF2', reason: 'X-Ray adds cost; each child batch is logged by its function.' },
      {
        id: 'Serverless-StepFunctionStateMachineXray',
        reason: 'X-Ray adds cost; each child batch is logged by its function.',
      },
    ]);
    NagSuppressions.addResourceSuppressions(this.function, [
      {
        id: 'Serverless-LambdaDLQ',
        reason:
          'Invoked synchronously by Step Functions, which retries and records each failed batch for --redrive.',
      },
      {
        id: 'Serverless-LambdaTracing',
        reason: 'X-Ray needs Resource "*" in the role and adds cost; Powertools logs follow each batch.',
      },
    ]);
  }

  /**
   * Round 1 reads the items from the listing (or the inventory manifest); each later round reads
   * the keys the last one left pending (restores), after an hour's wait.
   */
  private definition(props: DistributedBackfillProps): sfn.IChainable {
    const batchInput = {
      'bucket.$': '$.bucket',
      'since.$': '$.since',
      'until.$': '$.until',
      'alerts.$': '$.alerts',
      'restoreTier.$': '$.restoreTier',
      'restoreDays.$': '$.restoreDays',
    };
    const map = (id: string, itemReader: sfn.IItemReader, extra: Record<string, unknown> = {}) => {
      const step = new sfn.DistributedMap(this, id, {
        comment: 'Index each log file of the range, a batch of keys per Express child',
        itemReader,
        itemBatcher: new sfn.ItemBatcher({
          maxItemsPerBatch: BACKFILL_ITEMS_PER_BATCH,
          batchInput: { ...batchInput, ...extra },
        }),
        maxConcurrencyPath: '$.maxConcurrency',
        toleratedFailurePercentage: BACKFILL_TOLERATED_FAILURE_PERCENT,
        resultWriterV2: new sfn.ResultWriterV2({ bucket: this.results, prefix: 'runs' }),
        mapExecutionType: sfn.StateMachineType.EXPRESS,
        resultPath: '$.mapResult',
        label: id,
      });
      step.itemProcessor(
        new tasks.LambdaInvoke(this, `${id}Batch`, {
          lambdaFunction: this.function,
          payloadResponseOnly: true,
          retryOnServiceExceptions: true,
        }).addRetry({
          errors: ['States.TaskFailed', 'States.Timeout'],
          interval: Duration.seconds(10),
          maxAttempts: 3,
          backoffRate: 2,
        }),
      );
      return step;
    };
    const listed = map(
      'ListedFiles',
      new sfn.S3ObjectsItemReader({ bucket: props.logBucket, prefix: sfn.JsonPath.stringAt('$.prefix') }),
    );
    const fromInventory = map(
      'InventoryFiles',
      new sfn.S3ManifestItemReader({
        bucketNamePath: sfn.JsonPath.stringAt('$.inventory.bucket'),
        key: sfn.JsonPath.stringAt('$.inventory.key'),
      }),
      { keysEncoded: true },
    );
    const pending = map(
      'PendingFiles',
      new sfn.S3JsonItemReader({
        bucketNamePath: sfn.JsonPath.stringAt('$.pendingBucket'),
        key: sfn.JsonPath.stringAt('$.pendingKey'),
      }),
    );
    const collect = (id: string) =>
      new tasks.LambdaInvoke(this, id, {
        lambdaFunction: this.function,
        payload: sfn.TaskInput.fromObject({
          action: 'collect',
          'round.$': '$.round',
          'mapResult.$': '$.mapResult',
          'totals.$': '$.totals',
        }),
        resultSelector: {
          'round.$': '$.Payload.round',
          'pending.$': '$.Payload.pending',
          'pendingBucket.$': '$.Payload.pendingBucket',
          'pendingKey.$': '$.Payload.pendingKey',
          'totals.$': '$.Payload.totals',
          'lastRound.$': '$.Payload.lastRound',
        },
        resultPath: '$.collected',
        retryOnServiceExceptions: true,
      });
    // The next round's state: the input, with the round's results merged in.
    const carry = (id: string) =>
      new sfn.Pass(this, id, {
        parameters: {
          'bucket.$': '$.bucket',
          'since.$': '$.since',
          'until.$': '$.until',
          'alerts.$': '$.alerts',
          'restoreTier.$': '$.restoreTier',
          'restoreDays.$': '$.restoreDays',
          'maxConcurrency.$': '$.maxConcurrency',
          'waitSeconds.$': '$.waitSeconds',
          'maxRounds.$': '$.maxRounds',
          'round.$': '$.collected.round',
          'pending.$': '$.collected.pending',
          'pendingBucket.$': '$.collected.pendingBucket',
          'pendingKey.$': '$.collected.pendingKey',
          'totals.$': '$.collected.totals',
          'lastRound.$': '$.collected.lastRound',
        },
      });
    const done = new sfn.Succeed(this, 'Done');
    const giveUp = new sfn.Fail(this, 'RestoresNotDone', {
      error: 'RestoresNotDone',
      cause:
        'Archived log files were still restoring after the last round; start the backfill again for them.',
    });
    const waitForRestores = new sfn.Wait(this, 'WaitForRestores', {
      time: sfn.WaitTime.secondsPath('$.waitSeconds'),
    });
    const next = new sfn.Choice(this, 'AnythingPending')
      .when(sfn.Condition.numberEquals('$.pending', 0), done)
      .when(sfn.Condition.numberGreaterThanJsonPath('$.round', '$.maxRounds'), giveUp)
      .otherwise(waitForRestores);
    waitForRestores
      .next(pending)
      .next(collect('CollectPending'))
      .next(carry('NextRoundAfterPending'))
      .next(next);
    listed.next(collect('CollectListed')).next(carry('NextRoundAfterListed')).next(next);
    fromInventory.next(collect('CollectInventory')).next(carry('NextRoundAfterInventory')).next(next);
    return new sfn.Pass(this, 'Start', {
      comment: 'Defaults for what the input leaves out',
      parameters: {
        'input.$': '$',
        defaults: {
          alerts: false,
          restoreTier: 'Bulk',
          restoreDays: 3,
          maxConcurrency: this.maxConcurrency,
          waitSeconds: 3600,
          maxRounds: MAX_ROUNDS,
          round: 1,
          totals: {},
        },
      },
      resultPath: '$',
    })
      .next(
        new sfn.Pass(this, 'Merge', {
          parameters: { 'merged.$': 'States.JsonMerge($.defaults, $.input, false)' },
          outputPath: '$.merged',
        }),
      )
      .next(
        new sfn.Choice(this, 'ItemSource')
          .when(sfn.Condition.isPresent('$.inventory'), fromInventory)
          .otherwise(listed),
      );
  }
}
