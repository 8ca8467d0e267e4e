import {
  CONTEXT_KEYS,
  type ContextKey,
  DEFAULT_LIFECYCLE,
  InvalidConfigurationError,
  optionsFromContext,
  resolveIndexedSources,
  resolveLifecycle,
  validateOptions,
} from '../../lib/config';
import { buildStack } from './build-stack';

/** A context reader over a plain object, as `-c key=value` would give (strings). */
function context(values: Partial<Record<ContextKey, unknown>>) {
  return (key: ContextKey): unknown => values[key];
}

/** The error `optionsFromContext` throws, or fails the test when it does not throw. */
function contextError(values: Partial<Record<ContextKey, unknown>>): InvalidConfigurationError {
  try {
    optionsFromContext(context(values));
  } catch (err) {
    if (err instanceof InvalidConfigurationError) return err;
    throw err;
  }
  throw new Error('expected an InvalidConfigurationError');
}

describe('options from context', () => {
  it('leaves every option unset when no context is given, so the documented defaults apply', () => {
    // Prepare
    const read = context({});

    // Act
    const options = optionsFromContext(read);

    // Assess
    expect(Object.values(options).every((value) => value === undefined)).toBe(true);
    expect(resolveLifecycle(options)).toEqual({
      glacierTransitionDays: 90,
      deepArchiveTransitionDays: 365,
      expirationDays: 2557,
      noncurrentVersionExpirationDays: 30,
      abortIncompleteMultipartUploadDays: 7,
      accessLogExpirationDays: 365,
    });
    expect(resolveIndexedSources(options)).toEqual(['glacier.amazonaws.com', 'support.amazonaws.com']);
  });

  it('parses the strings that `cdk deploy -c` passes', () => {
    // Prepare
    const read = context({
      alertEmail: 'ops@example.com',
      trailName: 'audit-trail',
      organizationId: 'o-abcd123456',
      indexedSources: 'glacier.amazonaws.com, trustedadvisor.amazonaws.com',
      indexRetentionDays: '400',
      glacierTransitionDays: '30',
      deepArchiveTransitionDays: '180',
      expirationDays: '3650',
      noncurrentVersionExpirationDays: '10',
      abortIncompleteMultipartUploadDays: '2',
      accessLogExpirationDays: '90',
    });

    // Act
    const options = optionsFromContext(read);

    // Assess
    expect(options).toEqual({
      alertEmail: 'ops@example.com',
      trailName: 'audit-trail',
      organizationId: 'o-abcd123456',
      indexedSources: ['glacier.amazonaws.com', 'trustedadvisor.amazonaws.com'],
      indexRetentionDays: 400,
      glacierTransitionDays: 30,
      deepArchiveTransitionDays: 180,
      expirationDays: 3650,
      noncurrentVersionExpirationDays: 10,
      abortIncompleteMultipartUploadDays: 2,
      accessLogExpirationDays: 90,
    });
  });

  it('accepts JSON numbers and lists from cdk.json, and "keep" as the index retention', () => {
    // Prepare
    const read = context({
      expirationDays: 4000,
      indexedSources: ['support.amazonaws.com'],
      indexRetentionDays: 'keep',
    });

    // Act
    const options = optionsFromContext(read);

    // Assess
    expect(options.expirationDays).toBe(4000);
    expect(options.indexedSources).toEqual(['support.amazonaws.com']);
    expect(options.indexRetentionDays).toBeUndefined();
  });

  it('names every bad option in one error', () => {
    // Prepare
    const values = {
      alertEmail: 'not-an-address',
      organizationId: 'org-1',
      glacierTransitionDays: 'soon',
      indexRetentionDays: '-3',
    };

    // Act
    const error = contextError(values);

    // Assess
    expect(error.problems).toHaveLength(4);
    for (const key of Object.keys(values)) expect(error.message).toContain(key);
    expect(error.name).toBe('InvalidConfigurationError');
  });

  it.each([
    ['0', 'glacierTransitionDays must be a positive whole number'],
    ['1.5', 'glacierTransitionDays must be a positive whole number'],
    ['ninety', 'glacierTransitionDays must be a whole number of days'],
  ])('rejects glacierTransitionDays=%s', (value, message) => {
    // Act
    const error = contextError({ glacierTransitionDays: value });

    // Assess
    expect(error.problems).toEqual([expect.stringContaining(message)]);
  });

  it.each<[Record<string, unknown>, string]>([
    [{ managementAccountId: '123' }, 'managementAccountId must be a 12-digit account id (got "123")'],
    [
      { managementAccountId: '123456789012' },
      'managementAccountId is for organization trails: set organizationId too',
    ],
  ])('rejects %j', (values, message) => {
    // Act
    const error = contextError(values);

    // Assess
    expect(error.problems).toEqual([message]);
  });

  it('rejects a non-string alert email from cdk.json', () => {
    // Act
    const error = contextError({ alertEmail: 42 });

    // Assess
    expect(error.problems).toEqual(['alertEmail must be a string (got 42)']);
  });
});

describe('option validation', () => {
  it('accepts the defaults', () => {
    // Act
    const problems = validateOptions({});

    // Assess
    expect(problems).toEqual([]);
  });

  it('rejects a Deep Archive transition that does not come after the Glacier transition', () => {
    // Act
    const problems = validateOptions({ glacierTransitionDays: 200, deepArchiveTransitionDays: 200 });

    // Assess
    expect(problems).toEqual([
      'deepArchiveTransitionDays (200) must be greater than glacierTransitionDays (200)',
    ]);
  });

  it('rejects a retention shorter than the transitions, naming each option it contradicts', () => {
    // Act
    const problems = validateOptions({ expirationDays: 60 });

    // Assess
    expect(problems).toEqual([
      'expirationDays (60) must be greater than glacierTransitionDays (90) and deepArchiveTransitionDays (365)',
    ]);
  });

  it('compares against the defaults of the options that are not set', () => {
    // Act
    const problems = validateOptions({ glacierTransitionDays: 400 });

    // Assess
    expect(problems).toEqual([
      'deepArchiveTransitionDays (365) must be greater than glacierTransitionDays (400)',
    ]);
  });

  it.each([
    ['too short', 'ab'],
    ['starting with a separator', '-trail'],
    ['ending with a separator', 'trail-'],
    ['with two separators in a row', 'my--trail'],
    ['with two different separators in a row', 'my._trail'],
    ['with a space', 'my trail'],
    ['an IP address', '192.168.1.1'],
    ['too long', 'a'.repeat(129)],
  ])('rejects a trail name %s', (_reason, trailName) => {
    // Act
    const problems = validateOptions({ trailName });

    // Assess
    expect(problems).toEqual([expect.stringContaining('trailName must be 3-128 letters')]);
  });

  it.each(['trail-index', 'Org.Audit_Trail-2', 'abc'])('accepts the trail name "%s"', (trailName) => {
    // Act
    const problems = validateOptions({ trailName });

    // Assess
    expect(problems).toEqual([]);
  });

  it('rejects event sources that are not AWS service endpoints, and an empty list', () => {
    // Act
    const bad = validateOptions({
      indexedSources: ['glacier', 'support.amazonaws.com', 'Glacier.AmazonAWS.com'],
    });
    const empty = validateOptions({ indexedSources: [] });

    // Assess
    expect(bad).toEqual([expect.stringContaining('(bad: "glacier", "Glacier.AmazonAWS.com")')]);
    expect(empty).toEqual(['indexedSources must name at least one event source']);
  });

  it('reads exactly the documented context keys', () => {
    // Assess
    expect([...CONTEXT_KEYS].sort()).toEqual([
      'abortIncompleteMultipartUploadDays',
      'accessLogExpirationDays',
      'alertEmail',
      'alertRegions',
      'alertRules',
      'alertRulesFile',
      'backfillInventoryBucket',
      'backfillMaxConcurrency',
      'deepArchiveTransitionDays',
      'distributedBackfill',
      'existingLogBucket',
      'existingLogBucketAccount',
      'existingLogKeyPrefix',
      'existingLogKmsKeyArn',
      'existingTrailArn',
      'expirationDays',
      'firstArchiveClass',
      'glacierTransitionDays',
      'indexRetentionDays',
      'indexedAccounts',
      'indexedSources',
      'logReaderRoleArn',
      'managementAccountId',
      'noncurrentVersionExpirationDays',
      'notificationPath',
      'notificationTopicArn',
      'organizationId',
      'trailName',
    ]);
    expect(
      Object.keys(DEFAULT_LIFECYCLE).every((key) => (CONTEXT_KEYS as readonly string[]).includes(key)),
    ).toBe(true);
  });
});

describe('the stack', () => {
  it('refuses contradictory props given in code, naming them', () => {
    // Act
    const build = () => buildStack({ deepArchiveTransitionDays: 60, expirationDays: 30 });

    // Assess
    expect(build).toThrow(InvalidConfigurationError);
    expect(build).toThrow(
      /deepArchiveTransitionDays \(60\) must be greater than glacierTransitionDays \(90\)/,
    );
    expect(build).toThrow(
      /expirationDays \(30\) must be greater than glacierTransitionDays \(90\) and deepArchiveTransitionDays \(60\)/,
    );
  });
});

describe('attaching to an existing trail', () => {
  const attach = { existingLogBucket: 'aws-controltower-logs-111122223333-us-east-1' } as const;

  it('accepts each notification path with what it needs', () => {
    expect(validateOptions({ ...attach, notificationPath: 'eventbridge' })).toEqual([]);
    expect(
      validateOptions({ ...attach, notificationPath: 's3-sqs', existingLogKeyPrefix: 'o-abcd123456' }),
    ).toEqual([]);
    expect(
      validateOptions({
        ...attach,
        notificationPath: 'cloudtrail-sns',
        notificationTopicArn: 'arn:aws:sns:us-east-1:999999999999:aws-controltower-AllConfigNotifications',
        existingLogBucketAccount: '999999999999',
        existingLogKmsKeyArn: 'arn:aws:kms:us-east-1:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        indexedAccounts: ['111122223333'],
      }),
    ).toEqual([]);
  });

  it('names each bad or missing option', () => {
    expect(
      validateOptions({
        existingLogBucket: 'Not_A_Bucket',
        existingLogBucketAccount: '12',
        existingLogKeyPrefix: '/o-abc/',
        existingLogKmsKeyArn: 'alias/cloudtrail',
        notificationPath: 's3-sns',
        trailName: 'mine',
        expirationDays: 400,
        indexedAccounts: ['x'],
      }),
    ).toEqual([
      'indexedAccounts must be 12-digit account ids (bad: "x")',
      'trailName, expirationDays configure the trail and bucket this stack creates; with existingLogBucket it creates neither: leave them out',
      'existingLogBucket must be an S3 bucket name (got "Not_A_Bucket")',
      'existingLogBucketAccount must be a 12-digit account id (got "12")',
      'existingLogKeyPrefix must not start or end with "/" (got "/o-abc/")',
      'existingLogKmsKeyArn must be a KMS key ARN like arn:aws:kms:us-east-1:111122223333:key/<id> (got "alias/cloudtrail")',
      "notificationPath s3-sns needs notificationTopicArn, the topic's ARN",
    ]);
    expect(validateOptions({ ...attach })).toEqual([
      'notificationPath is required with existingLogBucket: one of cloudtrail-sns, s3-sns, s3-sqs, s3-direct, eventbridge',
    ]);
    expect(validateOptions({ notificationPath: 'eventbridge', existingLogKeyPrefix: 'x' })).toEqual([
      'existingLogKeyPrefix, notificationPath are for an existing trail: set existingLogBucket too',
    ]);
    expect(
      validateOptions({
        ...attach,
        notificationPath: 'eventbridge',
        notificationTopicArn: 'arn:aws:sns:us-east-1:111122223333:t',
      }),
    ).toEqual(['notificationTopicArn is for the cloudtrail-sns and s3-sns paths, not eventbridge']);
  });

  it('reads the options from context', () => {
    const context: Record<string, unknown> = {
      existingLogBucket: 'central-trail',
      notificationPath: 's3-sqs',
      indexedAccounts: '111122223333, 444455556666',
    };
    expect(optionsFromContext((key) => context[key])).toEqual(
      expect.objectContaining({
        existingLogBucket: 'central-trail',
        notificationPath: 's3-sqs',
        indexedAccounts: ['111122223333', '444455556666'],
      }),
    );
  });
});
