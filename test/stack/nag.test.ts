/**
 * cdk-nag AwsSolutions and Serverless packs over the whole stack: no unacknowledged finding, and
 * the acknowledged ones are pinned here, so a new finding (or a new acknowledgment) fails.
 */
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { App, CfnResource } from 'aws-cdk-lib';
import { resolveRules } from '../../lambdas/shared/alert-rules';
import { AlertForwardingStack } from '../../lib/alert-forwarding-stack';
import { applyNagPacks } from '../../lib/nag';
import type { TrailIndexStack } from '../../lib/trail-index-stack';
import { buildStack } from './build-stack';

/** Each acknowledged finding as `<construct path>: <rule>[<what it applies to>]`. */
const ACKNOWLEDGED = [
  'Alerts/DeliveryDeadLetterQueue/Resource: AwsSolutions-SQS3',
  'Alerts/DeliveryDeadLetterQueue/Resource: Serverless-SQSRedrivePolicy',
  'Backfill/Function/Resource: Serverless-LambdaDLQ',
  'Backfill/Function/Resource: Serverless-LambdaTracing',
  'Backfill/Results/Resource: AwsSolutions-S1',
  'Backfill/Role/DefaultPolicy/Resource: AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
  'Backfill/Role/DefaultPolicy/Resource: AwsSolutions-IAM5[Action::s3:Abort*]',
  'Backfill/Role/DefaultPolicy/Resource: AwsSolutions-IAM5[Action::s3:GetBucket*]',
  'Backfill/Role/DefaultPolicy/Resource: AwsSolutions-IAM5[Action::s3:GetObject*]',
  'Backfill/Role/DefaultPolicy/Resource: AwsSolutions-IAM5[Action::s3:List*]',
  'Backfill/Role/DefaultPolicy/Resource: AwsSolutions-IAM5[Resource::<AuditTrailLogBucket.Arn>/AWSLogs/*]',
  'Backfill/Role/DefaultPolicy/Resource: AwsSolutions-IAM5[Resource::<BackfillResults.Arn>/*]',
  'Backfill/StateMachine/DistributedMapPolicy/Resource: AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"BackfillStateMachine395F6B27"}]}]}/InventoryFiles:*]',
  'Backfill/StateMachine/DistributedMapPolicy/Resource: AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"BackfillStateMachine395F6B27"}]}]}/ListedFiles:*]',
  'Backfill/StateMachine/DistributedMapPolicy/Resource: AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"BackfillStateMachine395F6B27"}]}]}/PendingFiles:*]',
  'Backfill/StateMachine/DistributedMapPolicy/Resource: AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"BackfillStateMachine395F6B27"}]}]}:*]',
  'Backfill/StateMachine/Resource: AwsSolutions-SF2',
  'Backfill/StateMachine/Resource: Serverless-StepFunctionStateMachineXray',
  'Backfill/StateMachine/Role/DefaultPolicy/Resource: AwsSolutions-IAM5[Action::s3:Abort*]',
  'Backfill/StateMachine/Role/DefaultPolicy/Resource: AwsSolutions-IAM5[Action::s3:GetBucket*]',
  'Backfill/StateMachine/Role/DefaultPolicy/Resource: AwsSolutions-IAM5[Action::s3:GetObject*]',
  'Backfill/StateMachine/Role/DefaultPolicy/Resource: AwsSolutions-IAM5[Action::s3:List*]',
  'Backfill/StateMachine/Role/DefaultPolicy/Resource: AwsSolutions-IAM5[Resource::*]',
  'Backfill/StateMachine/Role/DefaultPolicy/Resource: AwsSolutions-IAM5[Resource::<BackfillFunction.Arn>:*]',
  'Backfill/StateMachine/Role/DefaultPolicy/Resource: AwsSolutions-IAM5[Resource::<BackfillResults.Arn>/*]',
  'Backfill/StateMachine/Role/DefaultPolicy/Resource: AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::<BackfillResults50B04890>/*]',
  'FastAlerts/FailureQueue/Resource: AwsSolutions-SQS3',
  'FastAlerts/FailureQueue/Resource: Serverless-SQSRedrivePolicy',
  'FastAlerts/Function/Resource: Serverless-LambdaDLQ',
  'FastAlerts/Function/Resource: Serverless-LambdaTracing',
  'FastAlerts/Role/DefaultPolicy/Resource: AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
  'Indexer/FailureDestinationQueue/Resource: AwsSolutions-SQS3',
  'Indexer/FailureDestinationQueue/Resource: Serverless-SQSRedrivePolicy',
  'Indexer/Function/Resource: Serverless-LambdaDLQ',
  'Indexer/Function/Resource: Serverless-LambdaTracing',
  'Indexer/Role/DefaultPolicy/Resource: AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
  'Indexer/Role/DefaultPolicy/Resource: AwsSolutions-IAM5[Resource::<AuditTrailLogBucket.Arn>/AWSLogs/*]',
  'Indexer/SubscriptionDeadLetterQueue/Resource: AwsSolutions-SQS3',
  'Indexer/SubscriptionDeadLetterQueue/Resource: Serverless-SQSRedrivePolicy',
  'TrailMonitor/FailureQueue/Resource: AwsSolutions-SQS3',
  'TrailMonitor/FailureQueue/Resource: Serverless-SQSRedrivePolicy',
  'TrailMonitor/Function/Resource: Serverless-LambdaDLQ',
  'TrailMonitor/Function/Resource: Serverless-LambdaTracing',
  'TrailMonitor/Role/DefaultPolicy/Resource: AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
  'Verifier/FailureDestinationQueue/Resource: AwsSolutions-SQS3',
  'Verifier/FailureDestinationQueue/Resource: Serverless-SQSRedrivePolicy',
  'Verifier/Function/Resource: Serverless-LambdaDLQ',
  'Verifier/Function/Resource: Serverless-LambdaTracing',
  'Verifier/Role/DefaultPolicy/Resource: AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
  'Verifier/Role/DefaultPolicy/Resource: AwsSolutions-IAM5[Resource::*]',
  'Verifier/Role/DefaultPolicy/Resource: AwsSolutions-IAM5[Resource::<AuditTrailLogBucket.Arn>/AWSLogs/*]',
];

let stack: TrailIndexStack;
let annotations: Annotations;

beforeAll(() => {
  // With an alert email, so that the optional resources are checked too.
  stack = buildStack({ alertEmail: 'ops@example.com' }, (app) =>
    applyNagPacks(app, { reports: false, logIgnores: true }),
  );
  annotations = Annotations.fromStack(stack);
});

/** `<path>: <rule>[<applies to>]`, with the logical id hash removed from resource references. */
function describeIgnored(path: string, data: unknown): string {
  const text = String(data);
  const match = /^CdkNagSuppression(?:\[(.*?)\])?: (\S+) was triggered but suppressed/.exec(text);
  if (match === null) throw new Error(`unexpected cdk-nag message: ${text}`);
  const [, appliesTo, rule] = match;
  const target =
    appliesTo === undefined ? '' : `[${appliesTo.replace(/<([A-Za-z]+?)[0-9A-F]{8}\./g, '<$1.')}]`;
  return `${path.replace(`/${stack.stackName}/`, '')}: ${rule}${target}`;
}

describe('cdk-nag', () => {
  it('reports no unacknowledged error', () => {
    // Act
    const errors = annotations.findError('*', Match.anyValue());

    // Assess
    expect(errors.map((e) => `${e.id}: ${JSON.stringify(e.entry.data)}`)).toEqual([]);
  });

  it('reports no unacknowledged warning (nor any other warning)', () => {
    // Act
    const warnings = annotations.findWarning('*', Match.anyValue());

    // Assess
    expect(warnings.map((w) => `${w.id}: ${JSON.stringify(w.entry.data)}`)).toEqual([]);
  });

  it('acknowledges exactly the pinned findings', () => {
    // Act
    const ignored = annotations
      .findInfo('*', Match.stringLikeRegexp('^CdkNagSuppression'))
      .map((info) => describeIgnored(info.id, info.entry.data));

    // Assess
    expect(ignored.sort()).toEqual(ACKNOWLEDGED);
  });

  it('has no acknowledgment that no finding uses, and each names one finding with a reason', () => {
    // Prepare
    const declared: { path: string; id: string; reason: string; appliesTo?: unknown[] }[] = [];
    for (const node of stack.node.findAll()) {
      if (!(node instanceof CfnResource)) continue;
      const metadata = node.getMetadata('cdk_nag') as
        { rules_to_suppress?: { id: string; reason: string; applies_to?: unknown[] }[] } | undefined;
      for (const rule of metadata?.rules_to_suppress ?? []) {
        declared.push({ path: node.node.path, id: rule.id, reason: rule.reason, appliesTo: rule.applies_to });
      }
    }

    // Act
    const declaredFindings = declared.reduce((count, rule) => count + (rule.appliesTo?.length ?? 1), 0);

    // Assess
    expect(declaredFindings).toBe(ACKNOWLEDGED.length);
    for (const rule of declared) {
      expect(rule.id).toMatch(/^(AwsSolutions|Serverless)-[A-Za-z0-9]+$/);
      expect(rule.reason.length).toBeGreaterThan(20);
      expect(rule.appliesTo?.length ?? 1).toBe(1);
    }
  });
});

describe('cdk-nag, a forwarding stack of another alert region', () => {
  it('has no finding at all, acknowledged or not', () => {
    // Prepare
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const forwarding = new AlertForwardingStack(app, 'TrailIndexStack-Alerts-eu-west-1', {
      env: { account: '111122223333', region: 'eu-west-1' },
      homeRegion: 'us-east-1',
      rules: resolveRules(),
    });
    applyNagPacks(app, { reports: false, logIgnores: true });

    // Act
    const forwardingAnnotations = Annotations.fromStack(forwarding);
    const findings = [
      ...forwardingAnnotations.findError('*', Match.anyValue()),
      ...forwardingAnnotations.findWarning('*', Match.anyValue()),
    ].map((f) => `${f.id}: ${JSON.stringify(f.entry.data)}`);
    const acknowledged = forwardingAnnotations
      .findInfo('*', Match.stringLikeRegexp('^CdkNagSuppression'))
      .map((info) =>
        describeIgnored(info.id, info.entry.data).replace('/TrailIndexStack-Alerts-eu-west-1/', ''),
      );

    // Assess
    expect(findings).toEqual([]);
    expect(acknowledged.sort()).toEqual([
      'UndeliveredEvents/Resource: AwsSolutions-SQS3',
      'UndeliveredEvents/Resource: Serverless-SQSRedrivePolicy',
    ]);
  });
});
