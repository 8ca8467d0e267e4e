import { DEFAULT_ALERT_RULES } from '../../lambdas/shared/alert-rules';
import { readConfig } from '../../lambdas/indexer/config';
import { ConfigError } from '../../lambdas/indexer/errors';

const base = {
  TABLE_NAME: 'index',
  ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:999999999999:alerts',
  LOG_BUCKET: 'trail-bucket',
};

test('defaults index Glacier and Support and keep events forever', () => {
  // Act
  const config = readConfig(base);
  // Assess
  expect(config).toEqual({
    tableName: 'index',
    alertTopicArn: base.ALERT_TOPIC_ARN,
    logSource: { bucket: 'trail-bucket', prefix: '' },
    indexedSources: new Set(['glacier.amazonaws.com', 'support.amazonaws.com']),
    rules: [...DEFAULT_ALERT_RULES],
    own: {},
  });
});

test("the alert rules are the user's changes applied to the defaults, scoped to the own resources", () => {
  // Act
  const config = readConfig({
    ...base,
    ALERT_RULES: JSON.stringify({ disabled: ['glacier-delete-vault'] }),
    OWN_RESOURCES: JSON.stringify({ bucket: 'trail-bucket', trail: '', functions: ['a'], retentionDays: 30 }),
  });
  // Assess
  expect(config.rules?.map((r) => r.id)).not.toContain('glacier-delete-vault');
  expect(config.own).toEqual({ bucket: 'trail-bucket', functions: ['a'], retentionDays: 30 });
});

test.each([
  [{ ALERT_RULES: '{nope' }, /ALERT_RULES is not JSON/],
  [{ ALERT_RULES: '{"disabled":["x"]}' }, /ALERT_RULES.disabled\[0\] is not a default rule id/],
  [{ OWN_RESOURCES: '[1]' }, /OWN_RESOURCES must be a JSON object/],
  [{ OWN_RESOURCES: '{"bucket":3}' }, /OWN_RESOURCES has bad values for bucket/],
])('bad alert settings stop the cold start with what is wrong: %p', (env, message) => {
  expect(() => readConfig({ ...base, ...env })).toThrow(message);
});

test('sources and retention come from the environment', () => {
  // Act
  const config = readConfig({
    ...base,
    INDEXED_SOURCES: ' glacier.amazonaws.com, trustedadvisor.amazonaws.com ',
    RETENTION_DAYS: '400',
  });
  // Assess
  expect(config.indexedSources).toEqual(new Set(['glacier.amazonaws.com', 'trustedadvisor.amazonaws.com']));
  expect(config.retentionDays).toBe(400);
});

test('the trail prefix is read as CloudTrail writes it, before AWSLogs/', () => {
  // Act
  const prefixes = ['audit', '/audit/', 'org/trails/', ' ', ''].map(
    (LOG_KEY_PREFIX) => readConfig({ ...base, LOG_KEY_PREFIX }).logSource.prefix,
  );
  // Assess
  expect(prefixes).toEqual(['audit/', 'audit/', 'org/trails/', '', '']);
});

test.each([
  [{ TABLE_NAME: 'x', ALERT_TOPIC_ARN: 'x' }, 'LOG_BUCKET'],
  [{ ALERT_TOPIC_ARN: 'x' }, 'TABLE_NAME'],
  [{ TABLE_NAME: 'x', ALERT_TOPIC_ARN: ' ' }, 'ALERT_TOPIC_ARN'],
  [{ ...base, RETENTION_DAYS: 'forever' }, 'RETENTION_DAYS'],
  [{ ...base, RETENTION_DAYS: '-1' }, 'RETENTION_DAYS'],
])('%j fails at cold start naming %s', (env, name) => {
  // Act
  const read = () => readConfig(env);
  // Assess
  expect(read).toThrow(ConfigError);
  expect(read).toThrow(name);
});
