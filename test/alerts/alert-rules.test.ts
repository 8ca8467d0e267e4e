import {
  DEFAULT_ALERT_RULES,
  eventPatterns,
  isActive,
  matchingRules,
  type OwnResources,
  resolveRules,
  validateRuleConfig,
} from '../../lambdas/shared/alert-rules';
import { apiCallRecord, failedDeleteVault, glacierRecord } from '../harness/factories';

const ACCOUNT = '999999999999';
const TRAIL = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/trail-index`;
const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const TOPIC = `arn:aws:sns:us-east-1:${ACCOUNT}:TrailIndexStack-DeliveryTopic-AbC123`;
const own: OwnResources = {
  trail: TRAIL,
  bucket: 'trailindexstack-logbucket-1a2b3c',
  key: KEY,
  topic: TOPIC,
  table: 'TrailIndexStack-IndexTable-XYZ',
  namePrefix: 'TrailIndexStack-',
  retentionDays: 2557,
};

const CT = 'cloudtrail.amazonaws.com';
const S3 = 's3.amazonaws.com';
const KMS = 'kms.amazonaws.com';
const bucket = (rest: Record<string, unknown> = {}) => ({
  bucketName: own.bucket,
  Host: `${own.bucket}.s3.amazonaws.com`,
  ...rest,
});
const keyResources = (arn = KEY) => ({
  resources: [{ accountId: ACCOUNT, type: 'AWS::KMS::Key', ARN: arn }],
});
const cloudTrailKeyPolicy = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'root',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: 'kms:*',
      Resource: '*',
    },
    {
      Sid: 'AWSCloudTrailEncrypt',
      Effect: 'Allow',
      Principal: { Service: 'cloudtrail.amazonaws.com' },
      Action: 'kms:GenerateDataKey*',
      Resource: '*',
    },
  ],
});
const withoutCloudTrail = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
  ],
});
const lifecycle = (days: number) => ({
  LifecycleConfiguration: {
    xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/',
    Rule: { ID: 'x', Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { Days: days } },
  },
  lifecycle: '',
});

/** [rule, record that matches, record that does not (another resource or a harmless change)] */
const cases: [string, Record<string, unknown>, Record<string, unknown>][] = [
  ['glacier-delete-vault', failedDeleteVault(), glacierRecord('DescribeVault')],
  ['glacier-vault-lock-change', glacierRecord('CompleteVaultLock'), glacierRecord('GetVaultLock')],
  [
    'glacier-vault-access-policy-change',
    glacierRecord('SetVaultAccessPolicy'),
    glacierRecord('GetVaultAccessPolicy'),
  ],
  [
    'glacier-vault-notifications-change',
    glacierRecord('DeleteVaultNotifications'),
    glacierRecord('GetVaultNotifications'),
  ],
  [
    'trail-stop-logging',
    apiCallRecord(CT, 'StopLogging', { name: TRAIL }),
    apiCallRecord(CT, 'StopLogging', { name: 'other-trail' }),
  ],
  [
    'trail-delete',
    apiCallRecord(CT, 'DeleteTrail', { name: 'trail-index' }),
    apiCallRecord(CT, 'DeleteTrail', { name: `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/other` }),
  ],
  [
    'trail-weakened',
    apiCallRecord(CT, 'UpdateTrail', { name: TRAIL, enableLogFileValidation: false }),
    apiCallRecord(CT, 'UpdateTrail', { name: TRAIL, enableLogFileValidation: true }),
  ],
  [
    'trail-weakened',
    apiCallRecord(CT, 'UpdateTrail', { name: TRAIL, snsTopicName: 'elsewhere' }),
    apiCallRecord(CT, 'UpdateTrail', { name: 'other', isMultiRegionTrail: false }),
  ],
  [
    'trail-weakened',
    apiCallRecord(CT, 'UpdateTrail', { name: TRAIL, isMultiRegionTrail: false }),
    apiCallRecord(CT, 'UpdateTrail', {
      name: TRAIL,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
    }),
  ],
  [
    'trail-management-events-off',
    apiCallRecord(CT, 'PutEventSelectors', {
      trailName: TRAIL,
      eventSelectors: [{ readWriteType: 'ReadOnly', includeManagementEvents: true }],
    }),
    apiCallRecord(CT, 'PutEventSelectors', {
      trailName: TRAIL,
      eventSelectors: [{ readWriteType: 'All', includeManagementEvents: true, dataResources: [] }],
    }),
  ],
  [
    'trail-management-events-off',
    apiCallRecord(CT, 'PutEventSelectors', {
      trailName: TRAIL,
      advancedEventSelectors: [
        {
          fieldSelectors: [
            { field: 'eventCategory', equals: ['Data'] },
            { field: 'resources.type', equals: ['AWS::S3::Object'] },
          ],
        },
      ],
    }),
    apiCallRecord(CT, 'PutEventSelectors', {
      trailName: TRAIL,
      advancedEventSelectors: [
        { name: 'Management', fieldSelectors: [{ field: 'eventCategory', equals: ['Management'] }] },
      ],
    }),
  ],
  [
    'log-bucket-policy-change',
    apiCallRecord(S3, 'DeleteBucketPolicy', bucket()),
    apiCallRecord(S3, 'DeleteBucketPolicy', { bucketName: 'someone-elses' }),
  ],
  [
    'log-bucket-lifecycle-shortened',
    apiCallRecord(S3, 'PutBucketLifecycle', bucket(lifecycle(30))),
    apiCallRecord(S3, 'PutBucketLifecycle', bucket(lifecycle(2557))),
  ],
  [
    'log-bucket-versioning-suspended',
    apiCallRecord(
      S3,
      'PutBucketVersioning',
      bucket({ VersioningConfiguration: { Status: 'Suspended' }, versioning: '' }),
    ),
    apiCallRecord(
      S3,
      'PutBucketVersioning',
      bucket({ VersioningConfiguration: { Status: 'Enabled' }, versioning: '' }),
    ),
  ],
  [
    'log-bucket-encryption-change',
    apiCallRecord(S3, 'DeleteBucketEncryption', bucket()),
    apiCallRecord(S3, 'GetBucketEncryption', bucket()),
  ],
  [
    'log-bucket-access-logging-change',
    apiCallRecord(S3, 'PutBucketLogging', bucket()),
    apiCallRecord(S3, 'PutBucketLogging', { bucketName: 'other' }),
  ],
  [
    'log-bucket-public-access-block-removed',
    apiCallRecord(
      S3,
      'PutBucketPublicAccessBlock',
      bucket({
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: false,
          RestrictPublicBuckets: true,
        },
      }),
    ),
    apiCallRecord(
      S3,
      'PutBucketPublicAccessBlock',
      bucket({
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: true,
          RestrictPublicBuckets: true,
        },
      }),
    ),
  ],
  [
    'log-bucket-public-access-block-removed',
    apiCallRecord(S3, 'DeleteBucketPublicAccessBlock', bucket()),
    apiCallRecord(S3, 'DeleteBucketPublicAccessBlock', { bucketName: 'other' }),
  ],
  [
    'trail-key-disabled',
    apiCallRecord(KMS, 'ScheduleKeyDeletion', { keyId: KEY, pendingWindowInDays: 7 }, keyResources()),
    apiCallRecord(
      KMS,
      'DisableKey',
      { keyId: 'another-key-id' },
      keyResources(`arn:aws:kms:us-east-1:${ACCOUNT}:key/another-key-id`),
    ),
  ],
  [
    'trail-key-disabled',
    apiCallRecord(KMS, 'DisableKey', { keyId: '1234abcd-12ab-34cd-56ef-1234567890ab' }),
    apiCallRecord(KMS, 'EnableKey', { keyId: KEY }),
  ],
  [
    'trail-key-policy-drops-cloudtrail',
    apiCallRecord(KMS, 'PutKeyPolicy', { keyId: KEY, policyName: 'default', policy: withoutCloudTrail }),
    apiCallRecord(KMS, 'PutKeyPolicy', { keyId: KEY, policyName: 'default', policy: cloudTrailKeyPolicy }),
  ],
  [
    'pipeline-topic-change',
    apiCallRecord('sns.amazonaws.com', 'DeleteTopic', { topicArn: TOPIC }),
    apiCallRecord('sns.amazonaws.com', 'DeleteTopic', { topicArn: `${TOPIC}x` }),
  ],
  [
    'pipeline-subscription-removed',
    apiCallRecord('sns.amazonaws.com', 'Unsubscribe', {
      subscriptionArn: `${TOPIC}:0b9b6c0e-5d5e-4a47-9f3d-6a3c2b1e0f00`,
    }),
    apiCallRecord('sns.amazonaws.com', 'Unsubscribe', {
      subscriptionArn: `arn:aws:sns:us-east-1:${ACCOUNT}:other:1`,
    }),
  ],
  [
    'pipeline-function-change',
    apiCallRecord('lambda.amazonaws.com', 'DeleteFunction20150331', {
      functionName: 'TrailIndexStack-IndexerFunction1A2B-xyz',
    }),
    apiCallRecord('lambda.amazonaws.com', 'DeleteFunction20150331', { functionName: 'billing-report' }),
  ],
  [
    'pipeline-function-silenced',
    apiCallRecord('lambda.amazonaws.com', 'PutFunctionConcurrency20171031', {
      functionName: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:TrailIndexStack-IndexerFunction1A2B-xyz`,
      reservedConcurrentExecutions: 0,
    }),
    apiCallRecord('lambda.amazonaws.com', 'PutFunctionConcurrency20171031', {
      functionName: 'TrailIndexStack-IndexerFunction1A2B-xyz',
      reservedConcurrentExecutions: 10,
    }),
  ],
  [
    'pipeline-table-change',
    apiCallRecord('dynamodb.amazonaws.com', 'DeleteTable', { tableName: own.table }),
    apiCallRecord('dynamodb.amazonaws.com', 'DeleteTable', { tableName: 'orders' }),
  ],
  [
    'pipeline-event-rule-change',
    apiCallRecord('events.amazonaws.com', 'DisableRule', {
      name: 'TrailIndexStack-FastAlertsRuleglacier-1AB',
    }),
    apiCallRecord('events.amazonaws.com', 'DisableRule', { name: 'nightly-job' }),
  ],
  [
    'pipeline-event-rule-change',
    apiCallRecord('events.amazonaws.com', 'RemoveTargets', {
      rule: 'TrailIndexStack-VerifierSchedule-9Z',
      ids: ['Target0'],
    }),
    apiCallRecord('events.amazonaws.com', 'DescribeRule', { name: 'TrailIndexStack-VerifierSchedule-9Z' }),
  ],
];

describe('default rules against CloudTrail records', () => {
  test.each(cases)('%s: matches the change, not the harmless or foreign one', (id, matching, other) => {
    // Act
    const hit = matchingRules(DEFAULT_ALERT_RULES, matching, own).map((rule) => rule.id);
    const miss = matchingRules(DEFAULT_ALERT_RULES, other, own).map((rule) => rule.id);
    // Assess
    expect(hit).toEqual([id]);
    expect(miss).toEqual([]);
  });

  test('every default rule is exercised above', () => {
    const covered = new Set(cases.map(([id]) => id));
    const rateRules = DEFAULT_ALERT_RULES.filter((rule) => rule.rate !== undefined).map((rule) => rule.id);
    expect(DEFAULT_ALERT_RULES.map((rule) => rule.id).filter((id) => !covered.has(id))).toEqual(rateRules);
  });

  test('DeleteArchive matches the rate rule only (counted, not alerted one by one)', () => {
    const matched = matchingRules(DEFAULT_ALERT_RULES, glacierRecord('DeleteArchive'), own);
    expect(matched.map((rule) => [rule.id, rule.rate])).toEqual([
      ['glacier-delete-archive-burst', { threshold: 100, windowMinutes: 10 }],
    ]);
  });

  test('a failed call matches like a successful one', () => {
    const failed = apiCallRecord(
      CT,
      'StopLogging',
      { name: TRAIL },
      { errorCode: 'AccessDenied', errorMessage: 'no' },
    );
    expect(matchingRules(DEFAULT_ALERT_RULES, failed, own).map((rule) => rule.id)).toEqual([
      'trail-stop-logging',
    ]);
  });

  test('a rule whose resource this deployment does not know is off, unless its scope is any', () => {
    // Prepare: an existing trail whose ARN was not given.
    const attached: OwnResources = { bucket: own.bucket };
    const stop = apiCallRecord(CT, 'StopLogging', { name: TRAIL });
    const rules = resolveRules({ overrides: { 'trail-stop-logging': { scope: 'any' } } });
    // Act / Assess
    expect(matchingRules(DEFAULT_ALERT_RULES, stop, attached)).toEqual([]);
    expect(
      isActive(
        DEFAULT_ALERT_RULES.find((r) => r.id === 'trail-delete')!,
        attached,
      ),
    ).toBe(false);
    expect(matchingRules(rules, stop, attached).map((r) => r.id)).toEqual(['trail-stop-logging']);
    expect(matchingRules(rules, apiCallRecord(CT, 'StopLogging', { name: 'other' }), attached)).toHaveLength(
      1,
    );
  });

  test('with no retention known, any expiring lifecycle rule on the bucket alerts', () => {
    const record = apiCallRecord(S3, 'PutBucketLifecycle', bucket(lifecycle(3000)));
    expect(matchingRules(DEFAULT_ALERT_RULES, record, { bucket: own.bucket }).map((r) => r.id)).toEqual([
      'log-bucket-lifecycle-shortened',
    ]);
    expect(matchingRules(DEFAULT_ALERT_RULES, record, own)).toEqual([]);
  });

  test("the stack's own deployments (calls CloudFormation makes) do not alert on the pipeline's resources", () => {
    const byCloudFormation = apiCallRecord(
      'lambda.amazonaws.com',
      'UpdateFunctionCode20150331v2',
      { functionName: 'TrailIndexStack-IndexerFunction1A2B-xyz' },
      {
        sourceIPAddress: 'cloudformation.amazonaws.com',
        userIdentity: { type: 'AssumedRole', invokedBy: 'cloudformation.amazonaws.com' },
      },
    );
    const byHand = apiCallRecord('lambda.amazonaws.com', 'UpdateFunctionCode20150331v2', {
      functionName: 'TrailIndexStack-IndexerFunction1A2B-xyz',
    });
    expect(matchingRules(DEFAULT_ALERT_RULES, byCloudFormation, own)).toEqual([]);
    expect(matchingRules(DEFAULT_ALERT_RULES, byHand, own).map((r) => r.id)).toEqual([
      'pipeline-function-change',
    ]);
  });

  test('a key policy that cannot be read counts as dropping the grant', () => {
    const record = apiCallRecord(KMS, 'PutKeyPolicy', { keyId: KEY, policy: '{not json' });
    expect(matchingRules(DEFAULT_ALERT_RULES, record, own).map((r) => r.id)).toEqual([
      'trail-key-policy-drops-cloudtrail',
    ]);
  });
});

describe('rule configuration', () => {
  test('rules are turned off, changed and added without code', () => {
    // Prepare
    const rules = resolveRules({
      disabled: ['glacier-vault-notifications-change'],
      overrides: { 'glacier-delete-archive-burst': { threshold: 20, windowMinutes: 5, severity: 'high' } },
      rules: [
        {
          id: 'root-vault-policy',
          severity: 'critical',
          description: 'The root user changed a vault policy.',
          source: 'CIS AWS Foundations 1.7',
          next: 'Ask who holds the root credentials.',
          eventSource: 'glacier.amazonaws.com',
          eventNames: ['SetVaultAccessPolicy'],
          when: [{ field: 'userIdentity.type', equals: ['Root'] }],
        },
      ],
    });
    // Act
    const ids = rules.map((rule) => rule.id);
    // Assess
    expect(ids).not.toContain('glacier-vault-notifications-change');
    expect(rules.find((r) => r.id === 'glacier-delete-archive-burst')).toMatchObject({
      severity: 'high',
      rate: { threshold: 20, windowMinutes: 5 },
    });
    const byRoot = glacierRecord('SetVaultAccessPolicy', {
      userIdentity: { type: 'Root', arn: `arn:aws:iam::${ACCOUNT}:root` },
    });
    expect(matchingRules(rules, byRoot, own).map((r) => r.id)).toEqual([
      'glacier-vault-access-policy-change',
      'root-vault-policy',
    ]);
  });

  test('every problem is named with where it is', () => {
    // Act
    const problems = validateRuleConfig({
      disabled: ['no-such-rule'],
      overrides: { 'glacier-delete-vault': { threshold: 3 }, nope: {} },
      rules: [
        {
          id: 'Bad Id',
          severity: 'urgent',
          eventSource: 'glacier',
          eventNames: [],
          when: [{ field: 'a', between: 1 }],
        },
        { ...DEFAULT_ALERT_RULES[0] },
      ],
      extra: true,
    });
    // Assess
    expect(problems).toEqual([
      'alertRules.extra is not a setting (expected disabled, overrides, rules)',
      'alertRules.disabled[0] is not a default rule id (got "no-such-rule")',
      'alertRules.overrides.glacier-delete-vault.threshold: not a rate rule',
      'alertRules.overrides.nope: no default rule has this id',
      'alertRules.rules[0].id must be 1-63 lowercase letters, digits and \'-\' (got "Bad Id")',
      'alertRules.rules[0].severity must be one of critical, high, medium, low',
      'alertRules.rules[0].description must be text of 1-500 characters',
      'alertRules.rules[0].source must be text of 1-500 characters',
      'alertRules.rules[0].next must be text of 1-500 characters',
      'alertRules.rules[0].eventSource must be an event source like glacier.amazonaws.com',
      'alertRules.rules[0].eventNames must list event names (a final * makes one a prefix)',
      'alertRules.rules[0].when[0] must have equals, notEquals, exists, anyOf or check',
      'alertRules.rules[1].id "glacier-delete-vault" is already a rule\'s id',
    ]);
  });

  test('the default rules are valid rules themselves, with unique ids', () => {
    expect(
      validateRuleConfig({ rules: DEFAULT_ALERT_RULES.map((r) => ({ ...r, id: `copy-${r.id}` })) }),
    ).toEqual([]);
    expect(new Set(DEFAULT_ALERT_RULES.map((r) => r.id)).size).toBe(DEFAULT_ALERT_RULES.length);
  });
});

describe('EventBridge patterns', () => {
  test('one per event source, every rule name of that source, prefixes for versioned names', () => {
    // Act
    const patterns = eventPatterns(DEFAULT_ALERT_RULES);
    // Assess
    expect([...patterns.keys()]).toEqual([
      'cloudtrail.amazonaws.com',
      'dynamodb.amazonaws.com',
      'events.amazonaws.com',
      'glacier.amazonaws.com',
      'kms.amazonaws.com',
      'lambda.amazonaws.com',
      's3.amazonaws.com',
      'sns.amazonaws.com',
    ]);
    expect(patterns.get('glacier.amazonaws.com')).toEqual({
      source: ['aws.glacier'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: {
        eventSource: ['glacier.amazonaws.com'],
        eventName: [
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
      },
    });
    expect((patterns.get('lambda.amazonaws.com')?.detail as { eventName: unknown[] }).eventName).toEqual([
      { prefix: 'DeleteEventSourceMapping' },
      { prefix: 'DeleteFunction' },
      { prefix: 'PutFunctionConcurrency' },
      { prefix: 'RemovePermission' },
      { prefix: 'UpdateFunctionCode' },
      { prefix: 'UpdateFunctionConfiguration' },
    ]);
  });
});
