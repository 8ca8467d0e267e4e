/**
 * cdk-nag AwsSolutions and Serverless packs over the whole stack: no unacknowledged finding, and
 * the acknowledged ones are pinned here, so a new finding (or a new acknowledgment) fails.
 */
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { CfnResource } from 'aws-cdk-lib';
import { applyNagPacks } from '../../lib/nag';
import type { TrailIndexStack } from '../../lib/trail-index-stack';
import { buildStack } from './build-stack';

/** Each acknowledged finding as `<construct path>: <rule>[<what it applies to>]`. */
const ACKNOWLEDGED = [
  'Alerts/DeliveryDeadLetterQueue/Resource: AwsSolutions-SQS3',
  'Alerts/DeliveryDeadLetterQueue/Resource: Serverless-SQSRedrivePolicy',
  'Indexer/FailureDestinationQueue/Resource: AwsSolutions-SQS3',
  'Indexer/FailureDestinationQueue/Resource: Serverless-SQSRedrivePolicy',
  'Indexer/Function/Resource: Serverless-LambdaDLQ',
  'Indexer/Function/Resource: Serverless-LambdaTracing',
  'Indexer/Role/DefaultPolicy/Resource: AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
  'Indexer/Role/DefaultPolicy/Resource: AwsSolutions-IAM5[Resource::<AuditTrailLogBucket.Arn>/AWSLogs/*]',
  'Indexer/SubscriptionDeadLetterQueue/Resource: AwsSolutions-SQS3',
  'Indexer/SubscriptionDeadLetterQueue/Resource: Serverless-SQSRedrivePolicy',
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
