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
  });
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
