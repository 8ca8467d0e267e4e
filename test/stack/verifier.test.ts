/**
 * The digest verifier as deployed: an hourly schedule with a dead-letter queue, one run at a time,
 * exactly the permissions it needs, its configuration, and an alarm per integrity finding.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { METRIC } from '../../lambdas/shared/config';
import type { TrailIndexStack } from '../../lib/trail-index-stack';
import { buildStack } from './build-stack';

let stack: TrailIndexStack;
let template: Template;

beforeAll(() => {
  stack = buildStack();
  template = Template.fromStack(stack);
});

const resolve = (value: string): unknown => stack.resolve(value) as unknown;
const verifierFunction = () => resolve(stack.verifier.function.functionArn);

describe('the verifier', () => {
  it('runs hourly from an EventBridge schedule, with retries and a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      State: 'ENABLED',
      Targets: [
        {
          Arn: verifierFunction(),
          Id: Match.anyValue(),
          RetryPolicy: { MaximumRetryAttempts: 2 },
          DeadLetterConfig: { Arn: resolve(stack.verifier.failureDestinationQueue.queueArn) },
        },
      ],
    });
  });

  it('runs one at a time, for up to 15 minutes, with the bucket, table and topic it works on', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Timeout: 900,
      ReservedConcurrentExecutions: 1,
      Environment: {
        Variables: Match.objectLike({
          TABLE_NAME: resolve(stack.index.table.tableName),
          ALERT_TOPIC_ARN: resolve(stack.alerts.topic.topicArn),
          LOG_BUCKET: resolve(stack.logBucket.bucketName),
          LOG_KEY_PREFIX: '',
          VERIFY_FIRST_RUN_HOURS: '24',
        }),
      },
    });
  });

  it('may list and read AWSLogs/ only, ask CloudTrail for its keys, and write only the index', () => {
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^VerifierRole') }] },
    });
    const statements = Object.values(policies).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties.PolicyDocument
          .Statement,
    );
    const bucketArn = resolve(stack.logBucket.bucketArn);
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: 's3:ListBucket',
          Resource: bucketArn,
          Condition: { StringLike: { 's3:prefix': ['AWSLogs/*'] } },
        }),
        expect.objectContaining({
          Action: 's3:GetObject',
          Resource: resolve(stack.logBucket.arnForObjects('AWSLogs/*')),
        }),
        expect.objectContaining({ Action: 'kms:Decrypt', Resource: resolve(stack.logKey!.keyArn) }),
        expect.objectContaining({ Action: 'cloudtrail:ListPublicKeys', Resource: '*' }),
        expect.objectContaining({
          Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          Resource: resolve(stack.index.table.tableArn),
        }),
        expect.objectContaining({ Action: 'sns:Publish', Resource: resolve(stack.alerts.topic.topicArn) }),
      ]),
    );
    const actions = statements.flatMap((s) => {
      const action = (s as { Action: string | string[] }).Action;
      return Array.isArray(action) ? action : [action];
    });
    // Nothing that changes the bucket, the trail or the key.
    expect(
      actions.filter((a) =>
        /^s3:(Put|Delete)|^cloudtrail:(?!ListPublicKeys)|^kms:(?!Decrypt|GenerateDataKey)/.test(a),
      ),
    ).toEqual([]);
  });

  it('raises an alarm on each integrity finding and on its own errors, to the alert topic', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => (a as { Properties: Record<string, unknown> }).Properties,
    );
    for (const name of [
      METRIC.digestsInvalid,
      METRIC.digestsMissing,
      METRIC.logFilesInvalid,
      METRIC.logFilesMissing,
      METRIC.digestsOverdue,
      METRIC.digestChainGaps,
    ]) {
      expect(alarms).toContainEqual(
        expect.objectContaining({
          MetricName: name,
          Namespace: 'TrailIndex',
          Period: 3600,
          Threshold: 0,
          AlarmActions: [resolve(stack.alerts.topic.topicArn)],
        }),
      );
    }
    expect(alarms).toContainEqual(
      expect.objectContaining({
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: resolve(stack.verifier.function.functionName) }],
      }),
    );
  });
});
