/**
 * The distributed backfill as deployed: a valid Amazon States Language definition (asl-validator),
 * its Distributed Map configuration, and least-privilege roles.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { TrailIndexStack } from '../../lib/trail-index-stack';
import { buildStack } from './build-stack';

// asl-validator is CommonJS without types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require('asl-validator') as (definition: unknown) => {
  isValid: boolean;
  errorsText: (sep?: string) => string;
};

let stack: TrailIndexStack;
let template: Template;
let definition: Record<string, unknown>;
const resolve = (value: string): unknown => stack.resolve(value) as unknown;

/** The definition with every CloudFormation reference replaced by a plausible literal. */
function literalDefinition(body: unknown): Record<string, unknown> {
  const join = (body as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  const text = join
    .map((part) => {
      if (typeof part === 'string') return part;
      const ref = JSON.stringify(part);
      if (ref.includes('AWS::Partition')) return 'aws';
      if (ref.includes('Function')) return 'arn:aws:lambda:us-east-1:111122223333:function:backfill';
      return 'trail-index-logs';
    })
    .join('');
  return JSON.parse(text) as Record<string, unknown>;
}

beforeAll(() => {
  stack = buildStack();
  template = Template.fromStack(stack);
  const machine = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0] as {
    Properties: { DefinitionString: unknown };
  };
  definition = literalDefinition(machine.Properties.DefinitionString);
});

describe('the state machine', () => {
  it('is valid Amazon States Language', () => {
    const { isValid, errorsText } = aslValidator(definition);
    expect(errorsText('\n')).toBe('');
    expect(isValid).toBe(true);
  });

  it('lists the trail prefix (or reads an inventory manifest), batches keys into Express children, tolerates 5% failures and writes results', () => {
    const states = definition.States as Record<string, Record<string, unknown>>;
    expect(states.ListedFiles).toMatchObject({
      Type: 'Map',
      ItemReader: {
        Resource: 'arn:aws:states:::s3:listObjectsV2',
        Parameters: { Bucket: 'trail-index-logs', 'Prefix.$': '$.prefix' },
      },
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' } },
      ItemBatcher: {
        MaxItemsPerBatch: 200,
        BatchInput: expect.objectContaining({ 'restoreTier.$': '$.restoreTier' }) as unknown,
      },
      MaxConcurrencyPath: '$.maxConcurrency',
      ToleratedFailurePercentage: 5,
      ResultWriter: {
        Resource: 'arn:aws:states:::s3:putObject',
        Parameters: { Bucket: 'trail-index-logs', Prefix: 'runs' },
      },
    });
    expect(states.InventoryFiles).toMatchObject({
      ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'MANIFEST' } },
      ItemBatcher: { BatchInput: expect.objectContaining({ keysEncoded: true }) as unknown },
    });
    expect(states.PendingFiles).toMatchObject({
      ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' } },
    });
    expect(states.WaitForRestores).toMatchObject({
      Type: 'Wait',
      SecondsPath: '$.waitSeconds',
      Next: 'PendingFiles',
    });
    expect(states.Start).toMatchObject({
      Parameters: { defaults: { alerts: false, restoreTier: 'Bulk', maxConcurrency: 100, maxRounds: 60 } },
    });
  });

  it('never asks for the Expedited tier', () => {
    expect(JSON.stringify(definition)).not.toContain('Expedited');
  });
});

describe('least privilege', () => {
  it('the function reads and restores only AWSLogs/* of the trail bucket', () => {
    const [policy] = Object.values(
      template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [resolve(stack.backfill!.role.roleName)] },
      }),
    ) as {
      Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } };
    }[];
    const statements = policy?.Properties.PolicyDocument.Statement ?? [];
    const on = (action: string) =>
      statements.filter((st) => [st.Action].flat().includes(action)).map((st) => st.Resource);
    const logs = resolve(stack.logBucket.arnForObjects('AWSLogs/*'));
    expect(on('s3:RestoreObject')).toEqual([logs]);
    expect(on('s3:GetObject')).toEqual([logs]);
    expect(JSON.stringify(statements)).not.toContain('s3:DeleteObject');
  });

  it('the state machine lists only the trail prefix', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 's3:ListBucket',
            Condition: { StringLike: { 's3:prefix': ['AWSLogs/*'] } },
            Effect: 'Allow',
            Resource: resolve(stack.logBucket.bucketArn),
          },
        ]),
      },
    });
  });

  it('is left out with distributedBackfill false', () => {
    expect(buildStack({ distributedBackfill: false }).backfill).toBeUndefined();
  });
});

describe('the first archive tier', () => {
  it('is Glacier Flexible Retrieval by default, Glacier Instant Retrieval with firstArchiveClass instant', () => {
    const transitionsOf = (t: Template) =>
      JSON.stringify(
        t.findResources('AWS::S3::Bucket', { Properties: { VersioningConfiguration: Match.anyValue() } }),
      );
    expect(transitionsOf(template)).toContain('"StorageClass":"GLACIER"');
    const instant = Template.fromStack(buildStack({ firstArchiveClass: 'instant' }));
    expect(transitionsOf(instant)).toContain('"StorageClass":"GLACIER_IR"');
    expect(transitionsOf(instant)).not.toContain('"StorageClass":"GLACIER"');
    expect(transitionsOf(instant)).toContain('"StorageClass":"DEEP_ARCHIVE"');
  });
});
