/**
 * The fast path, the trail monitor and the forwarding stacks as deployed: each EventBridge rule's
 * pattern, the functions' permissions and configuration, and what a forwarding stack may do.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { resolveRules } from '../../lambdas/shared/alert-rules';
import { AlertForwardingStack } from '../../lib/alert-forwarding-stack';
import { forwardingRegions, InvalidConfigurationError } from '../../lib/config';
import type { TrailIndexStack } from '../../lib/trail-index-stack';
import { buildStack } from './build-stack';

let stack: TrailIndexStack;
let template: Template;
const resolve = (value: string): unknown => stack.resolve(value) as unknown;
const API_CALL = 'AWS API Call via CloudTrail';
const HOME_BUS = {
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:us-east-1:111122223333:event-bus/default']],
};

beforeAll(() => {
  stack = buildStack();
  template = Template.fromStack(stack);
});

describe('the fast path', () => {
  /** Each source's pattern, pinned: the event names every default rule of that source names. */
  const pinned: [string, string, unknown[]][] = [
    [
      'glacier',
      'glacier.amazonaws.com',
      [
        'AbortVaultLock',
        'CompleteVaultLock',
        'DeleteArchive',
        'DeleteVault',
        'DeleteVaultAccessPolicy',
        'DeleteVaultNotifications',
        'InitiateVaultLock',
        'SetVaultAccessPolicy',
        'SetVaultNotifications',
      ],
    ],
    [
      'cloudtrail',
      'cloudtrail.amazonaws.com',
      ['DeleteTrail', 'PutEventSelectors', 'StopLogging', 'UpdateTrail'],
    ],
    [
      's3',
      's3.amazonaws.com',
      [
        'DeleteBucketEncryption',
        'DeleteBucketPolicy',
        'DeleteBucketPublicAccessBlock',
        'PutBucketEncryption',
        'PutBucketLifecycle',
        'PutBucketLogging',
        'PutBucketPolicy',
        'PutBucketPublicAccessBlock',
        'PutBucketVersioning',
      ],
    ],
    ['kms', 'kms.amazonaws.com', ['DisableKey', 'PutKeyPolicy', 'ScheduleKeyDeletion']],
    ['sns', 'sns.amazonaws.com', ['DeleteTopic', 'RemovePermission', 'SetTopicAttributes', 'Unsubscribe']],
    [
      'lambda',
      'lambda.amazonaws.com',
      [
        { prefix: 'DeleteEventSourceMapping' },
        { prefix: 'DeleteFunction' },
        { prefix: 'PutFunctionConcurrency' },
        { prefix: 'RemovePermission' },
        { prefix: 'UpdateFunctionCode' },
        { prefix: 'UpdateFunctionConfiguration' },
      ],
    ],
    ['dynamodb', 'dynamodb.amazonaws.com', ['DeleteTable', 'UpdateTable', 'UpdateTimeToLive']],
    ['events', 'events.amazonaws.com', ['DeleteRule', 'DisableRule', 'PutRule', 'RemoveTargets']],
  ];

  it.each(pinned)(
    'matches %s API calls that a rule names, failed ones too, into the alerter',
    (service, source, names) => {
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: [`aws.${service}`],
          'detail-type': [API_CALL],
          detail: { eventSource: [source], eventName: names },
        },
        // ENABLED, not ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS: every rule names write calls.
        State: 'ENABLED',
        Targets: [
          {
            Arn: resolve(stack.fastAlerts.function.functionArn),
            Id: Match.anyValue(),
            RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 3600 },
            DeadLetterConfig: { Arn: resolve(stack.fastAlerts.failureQueue.queueArn) },
          },
        ],
      });
    },
  );

  it('has exactly one rule per source, no pattern matching on errorCode (failures are matched too)', () => {
    const rules = Object.values(
      template.findResources('AWS::Events::Rule', { Properties: { EventPattern: Match.anyValue() } }),
    );
    expect(rules).toHaveLength(pinned.length);
    expect(JSON.stringify(rules)).not.toContain('errorCode');
  });

  it('may only write its log, read and write its table items, publish alerts and dead-letter', () => {
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [resolve(stack.fastAlerts.role.roleName)] },
    });
    const [policy] = Object.values(policies) as {
      Properties: { PolicyDocument: { Statement: unknown[] } };
    }[];
    const statements = policy?.Properties.PolicyDocument.Statement ?? [];
    expect(statements).toHaveLength(5);
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'] }),
        {
          Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          Effect: 'Allow',
          Resource: resolve(stack.index.table.tableArn),
        },
        { Action: 'sns:Publish', Effect: 'Allow', Resource: resolve(stack.alerts.topic.topicArn) },
        {
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          Effect: 'Allow',
          Resource: resolve(stack.alerts.key.keyArn),
        },
        {
          Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
          Effect: 'Allow',
          Resource: resolve(stack.fastAlerts.failureQueue.queueArn),
        },
      ]),
    );
  });

  it('knows the rules and the resources they watch, the same as the indexer', () => {
    const alerter = template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { OWN_RESOURCES: Match.anyValue() } } },
    });
    const environments = Object.values(alerter).map(
      (f) =>
        (f as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties.Environment
          .Variables,
    );
    // The indexer, the fast-path alerter and the backfill: the same rules, the same resources.
    expect(environments).toHaveLength(3);
    expect(new Set(environments.map((env) => JSON.stringify(env.OWN_RESOURCES))).size).toBe(1);
    const own = JSON.stringify(environments[0]?.OWN_RESOURCES);
    expect(own).toContain(':trail/trail-index');
    for (const reference of [
      stack.logBucket.bucketName,
      stack.audit!.key.keyArn,
      stack.audit!.deliveryTopic.topicArn,
      stack.index.table.tableName,
    ]) {
      expect(own).toContain(JSON.stringify(resolve(reference)).slice(1, -1));
    }
    expect(own).toContain('\\"namePrefix\\":\\"TrailIndexStack-\\"');
    expect(own).toContain('\\"retentionDays\\":2557');
    expect(environments[0]?.ALERT_RULES).toBe('');
  });

  it("carries the user's rule changes", () => {
    const changed = Template.fromStack(
      buildStack({ alertRules: { disabled: ['glacier-vault-notifications-change'] } }),
    );
    changed.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { ALERT_RULES: '{"disabled":["glacier-vault-notifications-change"]}' } },
    });
  });
});

describe('the trail monitor', () => {
  it('checks the trail every 5 minutes and may call GetTrailStatus on that trail only', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Arn: resolve(stack.trailMonitor!.function.functionArn) })],
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [resolve(stack.trailMonitor!.role.roleName)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Action: 'cloudtrail:GetTrailStatus', Effect: 'Allow', Resource: resolve(stack.audit!.trailArn) },
        ]),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 1,
      Environment: { Variables: Match.objectLike({ TRAIL_ARN: resolve(stack.audit!.trailArn) }) },
    });
  });

  it('watches an existing trail when its ARN is given, and is absent otherwise', () => {
    const attach = {
      existingLogBucket: 'org-trail-logs',
      notificationPath: 's3-sqs' as const,
    };
    const withArn = buildStack({
      ...attach,
      existingTrailArn: 'arn:aws:cloudtrail:us-east-1:999999999999:trail/org',
    });
    expect(withArn.trailMonitor).toBeDefined();
    Template.fromStack(withArn).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'cloudtrail:GetTrailStatus',
            Resource: 'arn:aws:cloudtrail:us-east-1:999999999999:trail/org',
          }),
        ]),
      },
    });
    expect(buildStack(attach).trailMonitor).toBeUndefined();
  });
});

describe('a forwarding stack', () => {
  let forwarding: AlertForwardingStack;
  let forwardingTemplate: Template;

  beforeAll(() => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    forwarding = new AlertForwardingStack(app, 'TrailIndexStack-Alerts-eu-west-1', {
      env: { account: '111122223333', region: 'eu-west-1' },
      homeRegion: 'us-east-1',
      rules: resolveRules(),
    });
    forwardingTemplate = Template.fromStack(forwarding);
  });

  it("sends the same patterns to the home region's default bus, and nothing else", () => {
    const rules = Object.values(forwardingTemplate.findResources('AWS::Events::Rule')) as {
      Properties: { EventPattern: { source: string[] }; Targets: { Arn: unknown }[] };
    }[];
    expect(rules.map((r) => r.Properties.EventPattern.source[0]).sort()).toEqual(
      ['cloudtrail', 'dynamodb', 'events', 'glacier', 'kms', 'lambda', 's3', 'sns'].map((s) => `aws.${s}`),
    );
    for (const rule of rules) {
      expect(rule.Properties.Targets).toEqual(
        [
          {
            Arn: HOME_BUS,
            DeadLetterConfig: { Arn: Match.anyValue() },
            Id: 'Target0',
            RoleArn: { 'Fn::GetAtt': [expect.stringMatching(/^ForwardRole/), 'Arn'] },
          },
        ].map((t) => ({ ...t, DeadLetterConfig: expect.anything() as unknown })),
      );
    }
    forwardingTemplate.resourceCountIs('AWS::Lambda::Function', 0);
  });

  it('may only put events on that bus', () => {
    forwardingTemplate.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: 'events:PutEvents',
            Effect: 'Allow',
            Resource: HOME_BUS,
          },
        ],
      },
    });
    forwardingTemplate.resourceCountIs('AWS::IAM::Policy', 1);
  });

  it('keeps what it could not deliver in an encrypted queue', () => {
    forwardingTemplate.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    forwardingTemplate.hasResourceProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({ DeadLetterConfig: Match.objectLike({ Arn: Match.anyValue() }) })],
    });
  });

  it('one per alert region other than the home one; the home region must be known', () => {
    expect(forwardingRegions({ alertRegions: ['us-east-1', 'eu-west-1', 'eu-west-1'] }, 'us-east-1')).toEqual(
      ['eu-west-1'],
    );
    expect(forwardingRegions({}, undefined)).toEqual([]);
    expect(() => forwardingRegions({ alertRegions: ['eu-west-1'] }, undefined)).toThrow(
      InvalidConfigurationError,
    );
    expect(Stack.of(forwarding).region).toBe('eu-west-1');
  });
});
