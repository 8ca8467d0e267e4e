/**
 * Names shared by the stack (which sets them) and the indexer (which reads them), so that a
 * renamed variable or metric fails the type check instead of a deployment.
 */

/** Environment variables the indexer construct sets on the function. */
export const ENV = {
  tableName: 'TABLE_NAME',
  alertTopicArn: 'ALERT_TOPIC_ARN',
  /** Comma-separated event sources to index. */
  indexedSources: 'INDEXED_SOURCES',
  /** Comma-separated account ids whose log files are indexed; absent or empty for every account. */
  indexedAccounts: 'INDEXED_ACCOUNTS',
  /** Days to keep indexed events; absent or empty means keep forever. */
  retentionDays: 'RETENTION_DAYS',
  /** The trail's bucket: the only bucket the indexer reads. */
  logBucket: 'LOG_BUCKET',
  /** The trail's key prefix (before `AWSLogs/`); absent or empty for none. */
  logKeyPrefix: 'LOG_KEY_PREFIX',
  /**
   * A role in the bucket owner's account to read the log files as (an existing trail's log-archive
   * account); absent: read with the function's own role.
   */
  logReaderRoleArn: 'LOG_READER_ROLE_ARN',
  /** The user's changes to the alert rules (JSON, see alert-rules.ts); absent or empty: none. */
  alertRules: 'ALERT_RULES',
  /** This deployment's own trail, bucket, key and pipeline resources (JSON), for scoping rules. */
  ownResources: 'OWN_RESOURCES',
  /** The trail whose status the trail monitor checks. */
  trailArn: 'TRAIL_ARN',
  /** The verifier: how many hours before its first run a chain it has never seen starts. */
  verifyFirstRunHours: 'VERIFY_FIRST_RUN_HOURS',
} as const;

/** The event sources indexed when nothing else is configured. */
export const DEFAULT_INDEXED_SOURCES: readonly string[] = ['glacier.amazonaws.com', 'support.amazonaws.com'];

/** Powertools service name and CloudWatch metrics namespace. */
export const SERVICE_NAME = 'trail-index';
export const METRICS_NAMESPACE = 'TrailIndex';

/**
 * Metrics the indexer emits through Powertools Metrics, and the dashboard plots.
 * All are emitted with the single dimension `service` = {@link SERVICE_NAME}, except
 * `EventsIndexed`, which adds `eventSource`.
 */
export const METRIC = {
  filesProcessed: 'LogFilesProcessed',
  filesSkipped: 'LogFilesSkipped',
  filesFailed: 'LogFilesFailed',
  /** Files a notification named outside the trail's bucket or prefix: refused unread. */
  filesRefused: 'LogFilesRefused',
  notificationsSkipped: 'NotificationsSkipped',
  recordsScanned: 'RecordsScanned',
  eventsIndexed: 'EventsIndexed',
  alertsPublished: 'AlertsPublished',
  /** Alerts the fast path (EventBridge) published before the log file arrived. */
  fastAlertsPublished: 'FastPathAlertsPublished',
  /** The trail monitor: problems GetTrailStatus reports (not logging, delivery errors). */
  trailProblems: 'TrailStatusProblems',
  writeRetries: 'WriteRetries',
  /** The digest verifier's: digests and log files checked, and what it found wrong. */
  digestsVerified: 'DigestsVerified',
  digestsInvalid: 'DigestsInvalid',
  digestsMissing: 'DigestsMissing',
  digestChainGaps: 'DigestChainGaps',
  digestsOverdue: 'DigestsOverdue',
  logFilesVerified: 'LogFilesVerified',
  logFilesInvalid: 'LogFilesInvalid',
  logFilesMissing: 'LogFilesMissing',
} as const;

/** Dimension added to {@link METRIC.eventsIndexed}. */
export const EVENT_SOURCE_DIMENSION = 'eventSource';

/** The stack's default name; the CLI finds a deployment by it. */
export const DEFAULT_STACK_NAME = 'TrailIndexStack';

/** CloudFormation output keys of the stack, read by the CLI (`--stack NAME`). */
export const STACK_OUTPUT = {
  logBucketName: 'LogBucketName',
  trailArn: 'TrailArn',
  deliveryTopicArn: 'DeliveryTopicArn',
  alertTopicArn: 'AlertTopicArn',
  tableName: 'IndexTableName',
  subscriptionDlqUrl: 'SubscriptionDeadLetterQueueUrl',
  failureDestinationQueueUrl: 'FailureDestinationQueueUrl',
  indexerFunctionName: 'IndexerFunctionName',
  /** The indexer's event sources, comma-separated, so that backfill and redrive index the same. */
  indexedSources: 'IndexedSources',
  /** The indexer's retention in days, or `keep`. */
  indexRetentionDays: 'IndexRetentionDays',
  /** The digest verifier's function, run hourly. */
  verifierFunctionName: 'VerifierFunctionName',
  /** The trail's key prefix (before `AWSLogs/`), empty for none: backfill and redrive read it. */
  logKeyPrefix: 'LogKeyPrefix',
  /** How new log files reach the indexer: `created-trail` or an existing trail's path. */
  notificationPath: 'NotificationPath',
  /** With the s3-sqs path: the queue the bucket's event notifications go to. */
  deliveryQueueArn: 'DeliveryQueueArn',
  /** The roles that read the bucket, for a log-archive account's bucket and key policies. */
  indexerRoleArn: 'IndexerRoleArn',
  verifierRoleArn: 'VerifierRoleArn',
  /** The distributed backfill's state machine, and its default concurrency. */
  backfillStateMachineArn: 'BackfillStateMachineArn',
  backfillMaxConcurrency: 'BackfillMaxConcurrency',
  backfillRoleArn: 'BackfillRoleArn',
} as const;
