import * as path from 'node:path';
import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../lambdas/shared/config';
import { BUNDLING } from './indexer-function';

export interface ServiceFunctionProps {
  /** The function's description. */
  readonly description: string;
  /** Its role's description: what it may do. */
  readonly roleDescription: string;
  /** The handler source under `lambdas/`, e.g. `alerter/handler.ts`; it exports `handler`. */
  readonly entry: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly environment: Readonly<Record<string, string>>;
  /** @default - none */
  readonly reservedConcurrentExecutions?: number;
  /** A fixed role name, so that its ARN is known at synth. @default - generated */
  readonly roleName?: string;
  /** Where invocations that failed after Lambda's retries go. @default - none (invoked synchronously) */
  readonly onFailure?: sqs.IQueue;
  /** @default 2 */
  readonly retryAttempts?: number;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * One of trail-index's functions, the way they are all built: nodejs24.x on arm64, bundled with the
 * SDK (BUNDLING), its own retained log group, and its own role that may write to that log group
 * only (not AWSLambdaBasicExecutionRole, which may write to every log group of the account). The
 * caller grants the rest. Construct ids `LogGroup`, `Role` and `Function` under `scope`.
 */
export function serviceFunction(
  scope: Construct,
  props: ServiceFunctionProps,
): { fn: nodejs.NodejsFunction; role: iam.Role; logGroup: logs.LogGroup } {
  const logGroup = new logs.LogGroup(scope, 'LogGroup', {
    retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const role = new iam.Role(scope, 'Role', {
    ...(props.roleName === undefined ? {} : { roleName: props.roleName }),
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: props.roleDescription,
  });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }),
  );
  const projectRoot = path.resolve(__dirname, '..', '..');
  const fn = new nodejs.NodejsFunction(scope, 'Function', {
    description: props.description,
    entry: path.join(projectRoot, 'lambdas', props.entry),
    handler: 'handler',
    projectRoot,
    depsLockFilePath: path.join(projectRoot, 'package-lock.json'),
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: props.memorySize,
    timeout: props.timeout,
    ...(props.reservedConcurrentExecutions === undefined
      ? {}
      : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
    role,
    logGroup,
    environment: {
      ...props.environment,
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      // Stack traces point into the TypeScript sources rather than the minified bundle.
      NODE_OPTIONS: '--enable-source-maps',
    },
    ...(props.onFailure === undefined
      ? {}
      : {
          onFailure: new destinations.SqsDestination(props.onFailure),
          retryAttempts: props.retryAttempts ?? 2,
        }),
    bundling: BUNDLING,
  });
  return { fn, role, logGroup };
}

/**
 * The cdk-nag findings of a function that publishes to the encrypted alert topic and has an
 * OnFailure destination: `kms:GenerateDataKey*` on the topic's key, no DLQ besides, no X-Ray.
 */
export function acknowledgeAlertingFunction(
  role: iam.Role,
  fn: lambda.IFunction,
  unitOfWork: string,
  dlqReason: string,
): void {
  NagSuppressions.addResourceSuppressions(
    role.node.findChild('DefaultPolicy'),
    [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'Publishing to the KMS-encrypted alert topic needs kms:GenerateDataKey* on its key (granted by grantPublish).',
        appliesTo: ['Action::kms:GenerateDataKey*'],
      },
    ],
    true,
  );
  NagSuppressions.addResourceSuppressions(fn, [
    { id: 'Serverless-LambdaDLQ', reason: dlqReason },
    {
      id: 'Serverless-LambdaTracing',
      reason: `X-Ray needs Resource "*" in the role and adds cost; Powertools logs and metrics follow ${unitOfWork}.`,
    },
  ]);
}
