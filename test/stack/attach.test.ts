/**
 * Attached to an existing trail: no trail, bucket, lifecycle or trail key; the indexer and verifier
 * read the existing bucket under its prefix only; each notification path is wired as documented;
 * a bucket in another account gets its owner's statements printed at synth; cdk-nag is clean.
 */
import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { TrailIndexStack } from '../../lib/trail-index-stack';
import type { TrailIndexOptions } from '../../lib/config';
import { applyNagPacks } from '../../lib/nag';
import { buildStack } from './build-stack';

const BUCKET = 'aws-controltower-logs-999999999999-us-east-1';
const PREFIX = 'o-abcd123456';
const TOPIC = 'arn:aws:sns:us-east-1:999999999999:aws-controltower-AllConfigNotifications';
const KEY = 'arn:aws:kms:us-east-1:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const base: TrailIndexOptions = {
  existingLogBucket: BUCKET,
  existingLogKeyPrefix: PREFIX,
  existingLogBucketAccount: '999999999999',
  existingLogKmsKeyArn: KEY,
};
const objects = `arn:aws:s3:::${BUCKET}/${PREFIX}/AWSLogs/*`;

function synth(options: TrailIndexOptions) {
  const stack = buildStack(options);
  return { stack, template: Template.fromStack(stack) };
}

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };

function roleStatements(template: Template, role: 'Indexer' | 'Verifier' | 'Backfill'): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: Match.stringLikeRegexp(`^${role}Role`) }] },
  });
  return Object.values(policies).flatMap(
    (p) =>
      (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
        .Statement,
  );
}

const resourceText = (resource: unknown) => JSON.stringify(resource);

describe.each([
  ['cloudtrail-sns', { notificationPath: 'cloudtrail-sns', notificationTopicArn: TOPIC }],
  ['s3-sns', { notificationPath: 's3-sns', notificationTopicArn: TOPIC }],
  ['s3-sqs', { notificationPath: 's3-sqs' }],
  ['s3-direct', { notificationPath: 's3-direct' }],
  ['eventbridge', { notificationPath: 'eventbridge' }],
] as const)('attached, %s', (_name, path) => {
  const { stack, template } = synth({ ...base, ...path });

  it('creates no trail, no bucket, no lifecycle and no trail key', () => {
    template.resourceCountIs('AWS::CloudTrail::Trail', 0);
    // The only bucket: the distributed backfill's results (its working files, no log file).
    template.resourceCountIs('AWS::S3::Bucket', 1);
    expect(stack.backfill?.results).toBeDefined();
    template.resourceCountIs('AWS::S3::BucketPolicy', 1); // the results bucket's TLS-only policy
    template.resourceCountIs('AWS::KMS::Key', 1); // the alert topic's own key only
    expect(stack.audit).toBeUndefined();
  });

  it('reads the existing bucket under its prefix only, and decrypts with its key', () => {
    for (const role of ['Indexer', 'Verifier'] as const) {
      const statements = roleStatements(template, role);
      const gets = statements.filter((s) => s.Action === 's3:GetObject').map((s) => resourceText(s.Resource));
      expect(gets).toEqual([expect.stringContaining(`:s3:::${BUCKET}/${PREFIX}/AWSLogs/*`)]);
      expect(statements).toContainEqual(expect.objectContaining({ Action: 'kms:Decrypt', Resource: KEY }));
    }
    const list = roleStatements(template, 'Verifier').find((s) => s.Action === 's3:ListBucket');
    expect(list?.Condition).toEqual({ StringLike: { 's3:prefix': [`${PREFIX}/AWSLogs/*`] } });
  });

  it('tells the indexer and the verifier the bucket and prefix', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          LOG_BUCKET: BUCKET,
          LOG_KEY_PREFIX: PREFIX,
          INDEXED_SOURCES: Match.anyValue(),
        }),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          LOG_BUCKET: BUCKET,
          LOG_KEY_PREFIX: PREFIX,
          VERIFY_FIRST_RUN_HOURS: '24',
        }),
      },
    });
    template.hasOutput('LogKeyPrefix', { Value: PREFIX });
    template.hasOutput('NotificationPath', { Value: path.notificationPath });
    template.hasOutput('LogBucketName', { Value: BUCKET });
  });

  it("prints the bucket-policy and key-policy statements the bucket's owner adds", () => {
    const infos = Annotations.fromStack(stack).findInfo(
      '*',
      Match.stringLikeRegexp('adds to its bucket policy'),
    );
    expect(infos).toHaveLength(1);
    const data: unknown = infos[0]!.entry.data;
    const text = typeof data === 'string' ? data : '';
    expect(text).toContain(`"Resource": "${objects}"`);
    expect(text).toContain('"s3:prefix": [\n');
    expect(text).toContain(`and to the key policy of ${KEY}`);
    expect(text).toContain('"kms:EncryptionContext:aws:cloudtrail:arn": "false"');
  });
});

describe('each path is wired as documented', () => {
  it('cloudtrail-sns: subscribes the indexer to the topic, with a dead-letter queue', () => {
    const { template } = synth({ ...base, notificationPath: 'cloudtrail-sns', notificationTopicArn: TOPIC });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: TOPIC,
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue() },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'sns.amazonaws.com',
      SourceArn: TOPIC,
    });
  });

  it('s3-sqs: a queue only the bucket may send to, read with partial batch responses', () => {
    const { template } = synth({ ...base, notificationPath: 's3-sqs' });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowTheTrailBucketToSendEvents',
            Principal: { Service: 's3.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Condition: {
              ArnLike: { 'aws:SourceArn': `arn:aws:s3:::${BUCKET}` },
              StringEquals: { 'aws:SourceAccount': '999999999999' },
            },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 1800,
      RedrivePolicy: Match.anyValue(),
    });
  });

  it('s3-direct: S3 may invoke the indexer for this bucket and owner only', () => {
    const { template } = synth({ ...base, notificationPath: 's3-direct' });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 's3.amazonaws.com',
      SourceArn: `arn:aws:s3:::${BUCKET}`,
      SourceAccount: '999999999999',
    });
  });

  it('eventbridge: a rule for Object Created of the bucket under its prefix', () => {
    const { template } = synth({ ...base, notificationPath: 'eventbridge' });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [BUCKET] }, object: { key: [{ prefix: `${PREFIX}/AWSLogs/` }] } },
      },
      Targets: [
        Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 2 }, DeadLetterConfig: Match.anyValue() }),
      ],
    });
  });
});

describe('cdk-nag, attached', () => {
  it.each(['cloudtrail-sns', 's3-sns', 's3-sqs', 's3-direct', 'eventbridge'] as const)(
    '%s: no unacknowledged error or warning',
    (notificationPath) => {
      const stack = buildStack(
        {
          ...base,
          notificationPath,
          ...(notificationPath.endsWith('sns') ? { notificationTopicArn: TOPIC } : {}),
          alertEmail: 'ops@example.com',
        },
        (app) => applyNagPacks(app, { reports: false, logIgnores: false }),
      );
      const annotations = Annotations.fromStack(stack);
      expect(
        annotations.findError('*', Match.anyValue()).map((e) => `${e.id}: ${JSON.stringify(e.entry.data)}`),
      ).toEqual([]);
      expect(
        annotations
          .findWarning('*', Match.anyValue())
          .map((e) => `${e.id}: ${JSON.stringify(e.entry.data)}`)
          .filter((text) => !text.includes('CdkNagSuppression')),
      ).toEqual([]);
    },
  );
});

describe('the printed statements, with the account and region known', () => {
  it('name the roles by their fixed ARNs', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new TrailIndexStack(app, 'TrailIndexStack', {
      ...base,
      notificationPath: 's3-sqs',
      env: { account: '111122223333', region: 'eu-west-1' },
    });
    const info = Annotations.fromStack(stack).findInfo(
      '*',
      Match.stringLikeRegexp('adds to its bucket policy'),
    );
    const data: unknown = info[0]?.entry.data;
    expect(typeof data === 'string' ? data : '').toContain(
      '"arn:aws:iam::111122223333:role/TrailIndexStack-indexer-eu-west-1"',
    );
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'TrailIndexStack-verifier-eu-west-1',
    });
    // The distributed backfill reads too, and restores archived files: that statement names it alone.
    const text = typeof data === 'string' ? data : '';
    const statements = JSON.parse(text.slice(text.indexOf('['), text.indexOf('\n]') + 2)) as {
      Sid: string;
      Principal: { AWS: string | string[] };
      Action: string;
    }[];
    expect(statements.find((s) => s.Sid === 'TrailIndexRestoreArchivedLogFiles')).toMatchObject({
      Principal: { AWS: 'arn:aws:iam::111122223333:role/TrailIndexStack-backfill-eu-west-1' },
      Action: 's3:RestoreObject',
    });
    expect(statements.find((s) => s.Sid === 'TrailIndexReadLogFiles')?.Principal.AWS).toContain(
      'arn:aws:iam::111122223333:role/TrailIndexStack-backfill-eu-west-1',
    );
    // The Distributed Map lists the bucket with the state machine's own role.
    expect(statements.find((s) => s.Sid === 'TrailIndexListLogFiles')?.Principal.AWS).toContain(
      'arn:aws:iam::111122223333:role/TrailIndexStack-backfill-states-eu-west-1',
    );
    Template.fromStack(stack).hasResourceProperties('AWS::StepFunctions::StateMachine', {
      RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^BackfillStateMachineRole'), 'Arn'] },
    });
  });
});

describe('a reader role in the log-archive account, instead of bucket-policy statements', () => {
  it('lets both functions assume it, tells them to, and prints its trust and permissions policies', () => {
    const role = 'arn:aws:iam::999999999999:role/trail-index-reader';
    const { stack, template } = synth({ ...base, notificationPath: 'eventbridge', logReaderRoleArn: role });
    for (const fn of ['Indexer', 'Verifier', 'Backfill'] as const) {
      expect(roleStatements(template, fn)).toContainEqual(
        expect.objectContaining({ Action: 'sts:AssumeRole', Resource: role }),
      );
    }
    const functions = Object.values(template.findResources('AWS::Lambda::Function')).map(
      (f) =>
        (f as { Properties: { Environment?: { Variables?: Record<string, unknown> } } }).Properties
          .Environment?.Variables ?? {},
    );
    expect(functions.filter((env) => env.LOG_READER_ROLE_ARN === role)).toHaveLength(3);
    const info = Annotations.fromStack(stack).findInfo('*', Match.stringLikeRegexp('gives the role'));
    const data: unknown = info[0]?.entry.data;
    const text = typeof data === 'string' ? data : '';
    expect(text).toContain('"Action": "sts:AssumeRole"');
    expect(text).toContain(`"Resource": "${objects}"`);
  });
});
