/**
 * The deployment options of trail-index: their defaults, how `bin/app.ts` turns CDK context into
 * typed stack props, and the validation that rejects contradictory values before anything is
 * synthesized. Pure functions, so every rule is unit-tested without building a stack.
 */
import { readFileSync } from 'node:fs';
import { type AlertRuleConfig, validateRuleConfig } from '../lambdas/shared/alert-rules';
import { DEFAULT_INDEXED_SOURCES } from '../lambdas/shared/config';

/** Options a user sets with `cdk deploy -c name=value` (or in `cdk.json`). */
export interface TrailIndexOptions {
  /**
   * Email address subscribed to the alert topic (vault deletions and pipeline alarms).
   * @default - no subscription; subscribe to the `AlertTopicArn` output yourself
   */
  readonly alertEmail?: string;
  /**
   * Name of the trail. Fixed so that its ARN is known before it exists: the bucket, topic and key
   * policies name it in `aws:SourceArn`.
   * @default 'trail-index'
   */
  readonly trailName?: string;
  /**
   * AWS Organizations id (`o-...`). When set, the trail is an organization trail; deploy from the
   * management account or a delegated administrator.
   * @default - a trail for this account only
   */
  readonly organizationId?: string;
  /**
   * The management account id, when the organization trail is deployed from a CloudTrail delegated
   * administrator account: the trail then belongs to the management account, and the policies name
   * its ARN. Requires organizationId.
   * @default - the deploying account
   */
  readonly managementAccountId?: string;
  /**
   * Event sources whose events are indexed.
   * @default ['glacier.amazonaws.com', 'support.amazonaws.com']
   */
  readonly indexedSources?: readonly string[];
  /**
   * Days an indexed event stays in the table before DynamoDB TTL removes it.
   * @default - keep forever
   */
  readonly indexRetentionDays?: number;
  /**
   * Days after which log files move to S3 Glacier Flexible Retrieval.
   * @default 90
   */
  readonly glacierTransitionDays?: number;
  /**
   * Days after which log files move to S3 Glacier Deep Archive.
   * @default 365
   */
  readonly deepArchiveTransitionDays?: number;
  /**
   * Days after which log files are deleted.
   * @default 2557 (7 years)
   */
  readonly expirationDays?: number;
  /**
   * Days after which a noncurrent (overwritten or deleted) log file version is removed.
   * @default 30
   */
  readonly noncurrentVersionExpirationDays?: number;
  /**
   * Days after which an unfinished multipart upload is aborted.
   * @default 7
   */
  readonly abortIncompleteMultipartUploadDays?: number;
  /**
   * Days the server access logs of the trail bucket are kept.
   * @default 365
   */
  readonly accessLogExpirationDays?: number;
  /**
   * Attach to a trail that exists: the name of the bucket its log files are in (which may be in
   * another account, a log-archive account for example). The stack then creates no trail and no
   * bucket, only the index, the indexer, the verifier, alerts and monitoring.
   * @default - create a trail and its bucket
   */
  readonly existingLogBucket?: string;
  /**
   * The account that owns `existingLogBucket`, when it is not the deploying account: the stack then
   * prints the bucket-policy and key-policy statements its owner must add.
   * @default - the deploying account
   */
  readonly existingLogBucketAccount?: string;
  /**
   * The existing trail's S3 key prefix (what comes before `AWSLogs/`), e.g. Control Tower's `o-…`.
   * @default - none
   */
  readonly existingLogKeyPrefix?: string;
  /**
   * The KMS key the existing trail encrypts its log files with (SSE-KMS), as an ARN.
   * @default - the files are SSE-S3 encrypted: no key to decrypt with
   */
  readonly existingLogKmsKeyArn?: string;
  /**
   * How new log files are announced to the indexer, with an existing trail (required then).
   * @default - required with existingLogBucket
   */
  readonly notificationPath?: NotificationPath;
  /**
   * The topic of `cloudtrail-sns` (the trail's own SNS topic) or `s3-sns` (the topic the bucket's
   * event notifications go to), as an ARN. It may belong to another account.
   * @default - required with those paths
   */
  readonly notificationTopicArn?: string;
  /**
   * With an existing trail: a role in the bucket owner's account that the indexer and the verifier
   * assume to read the files, if the owner prefers granting its own role to a bucket-policy
   * statement. The synth prints the role's trust and permissions policies.
   * @default - read with the functions' own roles
   */
  readonly logReaderRoleArn?: string;
  /**
   * Accounts whose log files are indexed, for an organization where only some matter.
   * @default - every account in the bucket
   */
  readonly indexedAccounts?: readonly string[];
  /**
   * With an existing trail: its ARN. The trail rules (StopLogging, DeleteTrail, UpdateTrail,
   * PutEventSelectors) are scoped to it, and the trail monitor checks its status (the trail must
   * be in the deploying account: GetTrailStatus is answered by the trail's owner).
   * @default - the trail rules and the trail monitor are off
   */
  readonly existingTrailArn?: string;
  /**
   * Regions whose API calls reach the fast path (EventBridge): each region other than the stack's
   * gets a small forwarding stack (`cdk deploy --all` deploys them).
   * @default - the stack's region only
   */
  readonly alertRegions?: readonly string[];
  /**
   * Changes to the alert rules: `{ "disabled": [ids], "overrides": { id: { severity, scope,
   * threshold, windowMinutes } }, "rules": [new rules] }` (see the README), or read from the JSON
   * file that `alertRulesFile` names. Validated at synth.
   * @default - the default rules
   */
  readonly alertRules?: AlertRuleConfig;
  /**
   * The storage class log files move to at `glacierTransitionDays`: `flexible` (S3 Glacier Flexible
   * Retrieval) or `instant` (S3 Glacier Instant Retrieval: readable without a restore).
   * @default 'flexible'
   */
  readonly firstArchiveClass?: 'flexible' | 'instant';
  /**
   * Deploy the distributed backfill (Step Functions Distributed Map; costs nothing while idle).
   * @default true
   */
  readonly distributedBackfill?: boolean;
  /**
   * Child executions of the distributed backfill at once (its Lambda concurrency); each start may
   * ask for another with `--max-concurrency`.
   * @default 100
   */
  readonly backfillMaxConcurrency?: number;
  /**
   * A bucket with S3 Inventory reports of the log bucket: the backfill may read its manifests
   * (`backfill --distributed --inventory s3://…/manifest.json`).
   * @default - items come from listing the trail's prefix
   */
  readonly backfillInventoryBucket?: string;
}

/**
 * How an existing trail's new log files reach the indexer:
 * - `cloudtrail-sns`: the trail's own SNS notification (a topic it publishes to);
 * - `s3-sns`: the bucket's S3 event notifications, sent to an SNS topic;
 * - `s3-sqs`: the bucket's S3 event notifications, sent to a queue this stack creates;
 * - `s3-direct`: the bucket's S3 event notifications, sent to the indexer function (same account);
 * - `eventbridge`: S3's `Object Created` events on the default event bus (same account and region;
 *   leaves the bucket's notification configuration free).
 */
export const NOTIFICATION_PATHS = ['cloudtrail-sns', 's3-sns', 's3-sqs', 's3-direct', 'eventbridge'] as const;
export type NotificationPath = (typeof NOTIFICATION_PATHS)[number];

/** The options that only make sense for a trail this stack creates. */
const TRAIL_OPTIONS = [
  'trailName',
  'organizationId',
  'managementAccountId',
  'glacierTransitionDays',
  'deepArchiveTransitionDays',
  'expirationDays',
  'noncurrentVersionExpirationDays',
  'abortIncompleteMultipartUploadDays',
  'accessLogExpirationDays',
  'firstArchiveClass',
] as const satisfies readonly (keyof TrailIndexOptions)[];

/** The options that only make sense with an existing trail. */
const ATTACH_OPTIONS = [
  'existingLogBucketAccount',
  'existingLogKeyPrefix',
  'existingLogKmsKeyArn',
  'notificationPath',
  'notificationTopicArn',
  'logReaderRoleArn',
  'existingTrailArn',
] as const satisfies readonly (keyof TrailIndexOptions)[];

export const DEFAULT_TRAIL_NAME = 'trail-index';

/** The lifecycle defaults, in one place for the constructs, the README and the tests. */
export const DEFAULT_LIFECYCLE = {
  glacierTransitionDays: 90,
  deepArchiveTransitionDays: 365,
  expirationDays: 2557,
  noncurrentVersionExpirationDays: 30,
  abortIncompleteMultipartUploadDays: 7,
  accessLogExpirationDays: 365,
} as const;

export type LifecycleOption = keyof typeof DEFAULT_LIFECYCLE;

/** Every context key the app reads. */
export const CONTEXT_KEYS = [
  'alertEmail',
  'trailName',
  'organizationId',
  'managementAccountId',
  'indexedSources',
  'indexRetentionDays',
  ...(Object.keys(DEFAULT_LIFECYCLE) as LifecycleOption[]),
  'existingLogBucket',
  ...ATTACH_OPTIONS,
  'indexedAccounts',
  'firstArchiveClass',
  'alertRegions',
  'alertRules',
  'alertRulesFile',
  'distributedBackfill',
  'backfillMaxConcurrency',
  'backfillInventoryBucket',
] as const satisfies readonly (keyof TrailIndexOptions | 'alertRulesFile')[];

export type ContextKey = (typeof CONTEXT_KEYS)[number];

/**
 * The most the user's rule changes may take as JSON. They travel in the functions' environment,
 * and Lambda allows 4 KB for all of a function's variables together ("Lambda quotas",
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html): the rest of the
 * environment (names, ARNs, the own-resources JSON) takes under 2 KB.
 */
export const ALERT_RULES_MAX_BYTES = 2048;

/** Thrown when options are invalid; the message lists every bad option, one per line. */
export class InvalidConfigurationError extends Error {
  public readonly problems: readonly string[];

  public constructor(problems: readonly string[], options?: ErrorOptions) {
    super(`Invalid trail-index configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`, options);
    this.name = 'InvalidConfigurationError';
    this.problems = problems;
  }
}

// CloudTrail's naming rules: 3-128 characters, letters, digits, '.', '_', '-'; starts and ends with
// a letter or digit; no two separators in a row; not an IP address.
const TRAIL_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9]|[._-](?![._-])){1,126}[A-Za-z0-9]$/;
const IP_ADDRESS = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
const ACCOUNT_ID = /^\d{12}$/;
const EVENT_SOURCE = /^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.amazonaws\.com$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// S3's bucket naming rules: 3-63 lowercase letters, digits, '.' and '-', starting and ending with a
// letter or digit (S3 User Guide, "General purpose bucket naming rules").
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;
const KEY_PREFIX = /^[^/](?:.*[^/])?$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const TRAIL_ARN = /^arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:\d{12}:trail\/[A-Za-z0-9._-]{3,128}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;

/** Resolved lifecycle days: every option filled in with its default. */
export type LifecycleDays = { readonly [K in LifecycleOption]: number };

export function resolveLifecycle(options: TrailIndexOptions): LifecycleDays {
  return {
    glacierTransitionDays: options.glacierTransitionDays ?? DEFAULT_LIFECYCLE.glacierTransitionDays,
    deepArchiveTransitionDays:
      options.deepArchiveTransitionDays ?? DEFAULT_LIFECYCLE.deepArchiveTransitionDays,
    expirationDays: options.expirationDays ?? DEFAULT_LIFECYCLE.expirationDays,
    noncurrentVersionExpirationDays:
      options.noncurrentVersionExpirationDays ?? DEFAULT_LIFECYCLE.noncurrentVersionExpirationDays,
    abortIncompleteMultipartUploadDays:
      options.abortIncompleteMultipartUploadDays ?? DEFAULT_LIFECYCLE.abortIncompleteMultipartUploadDays,
    accessLogExpirationDays: options.accessLogExpirationDays ?? DEFAULT_LIFECYCLE.accessLogExpirationDays,
  };
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

/**
 * Every problem with a set of options, as sentences naming the option(s). Empty when valid.
 * Checks both single values and the relations between them (days that must increase).
 */
export function validateOptions(options: TrailIndexOptions): string[] {
  const problems: string[] = [];

  if (options.alertEmail !== undefined && !EMAIL.test(options.alertEmail)) {
    problems.push(`alertEmail must be an email address (got "${options.alertEmail}")`);
  }
  if (
    options.trailName !== undefined &&
    (!TRAIL_NAME.test(options.trailName) || IP_ADDRESS.test(options.trailName))
  ) {
    problems.push(
      `trailName must be 3-128 letters, digits, '.', '_' or '-', start and end with a letter or digit, ` +
        `and have no two separators in a row (got "${options.trailName}")`,
    );
  }
  if (options.organizationId !== undefined && !ORGANIZATION_ID.test(options.organizationId)) {
    problems.push(`organizationId must look like o-abcd123456 (got "${options.organizationId}")`);
  }
  if (options.managementAccountId !== undefined) {
    if (!ACCOUNT_ID.test(options.managementAccountId)) {
      problems.push(
        `managementAccountId must be a 12-digit account id (got "${options.managementAccountId}")`,
      );
    } else if (options.organizationId === undefined) {
      problems.push('managementAccountId is for organization trails: set organizationId too');
    }
  }
  if (options.indexedSources !== undefined) {
    if (options.indexedSources.length === 0) {
      problems.push('indexedSources must name at least one event source');
    }
    const bad = options.indexedSources.filter((source) => !EVENT_SOURCE.test(source));
    if (bad.length > 0) {
      problems.push(
        `indexedSources must be event sources like glacier.amazonaws.com (bad: ${bad.map((s) => `"${s}"`).join(', ')})`,
      );
    }
  }
  if (options.indexRetentionDays !== undefined && !isPositiveInteger(options.indexRetentionDays)) {
    problems.push(
      `indexRetentionDays must be a positive whole number (got ${String(options.indexRetentionDays)})`,
    );
  }

  problems.push(...attachProblems(options));
  if (options.alertRegions !== undefined) {
    const bad = options.alertRegions.filter((region) => !REGION.test(region));
    if (bad.length > 0)
      problems.push(
        `alertRegions must be region names like eu-west-1 (bad: ${bad.map((r) => `"${r}"`).join(', ')})`,
      );
  }
  if (
    options.firstArchiveClass !== undefined &&
    options.firstArchiveClass !== 'flexible' &&
    options.firstArchiveClass !== 'instant'
  ) {
    problems.push(
      `firstArchiveClass must be flexible or instant (got "${String(options.firstArchiveClass)}")`,
    );
  }
  if (
    options.backfillMaxConcurrency !== undefined &&
    (!isPositiveInteger(options.backfillMaxConcurrency) || options.backfillMaxConcurrency > 10_000)
  ) {
    // Distributed Map runs at most 10,000 child executions at once ("Step Functions service quotas").
    problems.push(
      `backfillMaxConcurrency must be a whole number from 1 to 10000 (got ${String(options.backfillMaxConcurrency)})`,
    );
  }
  if (options.backfillInventoryBucket !== undefined && !BUCKET_NAME.test(options.backfillInventoryBucket)) {
    problems.push(
      `backfillInventoryBucket must be an S3 bucket name (got "${options.backfillInventoryBucket}")`,
    );
  }
  if (options.alertRules !== undefined) {
    problems.push(...validateRuleConfig(options.alertRules));
    const bytes = Buffer.byteLength(JSON.stringify(options.alertRules));
    if (bytes > ALERT_RULES_MAX_BYTES)
      problems.push(
        `alertRules takes ${bytes} bytes as JSON; at most ${ALERT_RULES_MAX_BYTES} fit in the functions' environment (Lambda's 4 KB): shorten descriptions or split fewer rules`,
      );
  }

  const days = resolveLifecycle(options);
  const badDays = new Set<LifecycleOption>();
  for (const key of Object.keys(DEFAULT_LIFECYCLE) as LifecycleOption[]) {
    if (!isPositiveInteger(days[key])) {
      badDays.add(key);
      problems.push(`${key} must be a positive whole number (got ${String(days[key])})`);
    }
  }
  // S3 rejects a rule whose expiration does not come after its transitions; a Deep Archive
  // transition before the Glacier one would never let the Glacier one run.
  const ordered: readonly LifecycleOption[] = [
    'glacierTransitionDays',
    'deepArchiveTransitionDays',
    'expirationDays',
  ];
  for (let later = 1; later < ordered.length; later++) {
    const laterKey = ordered[later]!;
    const earlierKeys = ordered.slice(0, later).filter((key) => !badDays.has(key));
    if (badDays.has(laterKey)) continue;
    const notBefore = earlierKeys.filter((key) => days[key] >= days[laterKey]);
    if (notBefore.length > 0) {
      problems.push(
        `${laterKey} (${days[laterKey]}) must be greater than ` +
          notBefore.map((key) => `${key} (${days[key]})`).join(' and '),
      );
    }
  }
  return problems;
}

/** What is wrong with the options of an existing trail (or with mixing them with a new one's). */
function attachProblems(options: TrailIndexOptions): string[] {
  const problems: string[] = [];
  const given = (keys: readonly (keyof TrailIndexOptions)[]) =>
    keys.filter((key) => options[key] !== undefined);
  if (options.indexedAccounts !== undefined) {
    const bad = options.indexedAccounts.filter((account) => !ACCOUNT_ID.test(account));
    if (options.indexedAccounts.length === 0) problems.push('indexedAccounts must name at least one account');
    if (bad.length > 0) {
      problems.push(
        `indexedAccounts must be 12-digit account ids (bad: ${bad.map((a) => `"${a}"`).join(', ')})`,
      );
    }
  }
  if (options.existingLogBucket === undefined) {
    const stray = given(ATTACH_OPTIONS);
    if (stray.length > 0)
      problems.push(
        `${stray.join(', ')} ${stray.length === 1 ? 'is' : 'are'} for an existing trail: set existingLogBucket too`,
      );
    return problems;
  }
  const trailOnly = given(TRAIL_OPTIONS);
  if (trailOnly.length > 0) {
    problems.push(
      `${trailOnly.join(', ')} ${trailOnly.length === 1 ? 'configures' : 'configure'} the trail and bucket this stack creates; with existingLogBucket it creates neither: leave ${trailOnly.length === 1 ? 'it' : 'them'} out`,
    );
  }
  if (!BUCKET_NAME.test(options.existingLogBucket) || options.existingLogBucket.includes('..')) {
    problems.push(`existingLogBucket must be an S3 bucket name (got "${options.existingLogBucket}")`);
  }
  if (options.existingLogBucketAccount !== undefined && !ACCOUNT_ID.test(options.existingLogBucketAccount)) {
    problems.push(
      `existingLogBucketAccount must be a 12-digit account id (got "${options.existingLogBucketAccount}")`,
    );
  }
  if (options.existingLogKeyPrefix !== undefined && !KEY_PREFIX.test(options.existingLogKeyPrefix)) {
    problems.push(
      `existingLogKeyPrefix must not start or end with "/" (got "${options.existingLogKeyPrefix}")`,
    );
  }
  if (options.existingLogKmsKeyArn !== undefined && !KMS_KEY_ARN.test(options.existingLogKmsKeyArn)) {
    problems.push(
      `existingLogKmsKeyArn must be a KMS key ARN like arn:aws:kms:us-east-1:111122223333:key/<id> (got "${options.existingLogKmsKeyArn}")`,
    );
  }
  const path = options.notificationPath;
  if (path === undefined) {
    problems.push(
      `notificationPath is required with existingLogBucket: one of ${NOTIFICATION_PATHS.join(', ')}`,
    );
  } else if (!(NOTIFICATION_PATHS as readonly string[]).includes(path)) {
    problems.push(`notificationPath must be one of ${NOTIFICATION_PATHS.join(', ')} (got "${String(path)}")`);
  } else if (path === 'cloudtrail-sns' || path === 's3-sns') {
    if (options.notificationTopicArn === undefined) {
      problems.push(`notificationPath ${path} needs notificationTopicArn, the topic's ARN`);
    }
  } else if (options.notificationTopicArn !== undefined) {
    problems.push(`notificationTopicArn is for the cloudtrail-sns and s3-sns paths, not ${path}`);
  }
  if (options.logReaderRoleArn !== undefined && !ROLE_ARN.test(options.logReaderRoleArn)) {
    problems.push(`logReaderRoleArn must be an IAM role ARN (got "${options.logReaderRoleArn}")`);
  }
  if (options.existingTrailArn !== undefined && !TRAIL_ARN.test(options.existingTrailArn)) {
    problems.push(
      `existingTrailArn must be a trail ARN like arn:aws:cloudtrail:us-east-1:111122223333:trail/name (got "${options.existingTrailArn}")`,
    );
  }
  if (options.notificationTopicArn !== undefined && !TOPIC_ARN.test(options.notificationTopicArn)) {
    problems.push(`notificationTopicArn must be an SNS topic ARN (got "${options.notificationTopicArn}")`);
  }
  return problems;
}

/** Throws {@link InvalidConfigurationError} listing every problem, if there is any. */
export function assertValidOptions(options: TrailIndexOptions): void {
  const problems = validateOptions(options);
  if (problems.length > 0) throw new InvalidConfigurationError(problems);
}

/** Reads one context value; `app.node.tryGetContext` fits. */
export type ContextReader = (key: ContextKey) => unknown;

/**
 * Turns raw context (strings from `-c key=value`, or JSON values from `cdk.json`) into typed
 * options, then validates them. Every problem, of type or of meaning, is reported in one error.
 */
export function optionsFromContext(read: ContextReader): TrailIndexOptions {
  const problems: string[] = [];
  const text = (key: ContextKey): string | undefined => {
    const value = read(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'string') return value.trim();
    problems.push(`${key} must be a string (got ${JSON.stringify(value)})`);
    return undefined;
  };
  const days = (key: ContextKey): number | undefined => {
    const value = read(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'number') return value;
    if (typeof value === 'string' && /^\s*-?\d+(?:\.\d+)?\s*$/.test(value)) return Number(value);
    problems.push(`${key} must be a whole number of days (got ${JSON.stringify(value)})`);
    return undefined;
  };
  const list = (key: ContextKey): string[] | undefined => {
    const value = read(key);
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') {
      return value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0);
    }
    if (Array.isArray(value) && value.every((item): item is string => typeof item === 'string')) {
      return value.map((item) => item.trim());
    }
    problems.push(`${key} must be a comma-separated list (got ${JSON.stringify(value)})`);
    return undefined;
  };
  const retention = (): number | undefined => {
    // "keep" (or nothing) means no TTL, matching the README's default.
    const value = read('indexRetentionDays');
    if (typeof value === 'string' && value.trim().toLowerCase() === 'keep') return undefined;
    return days('indexRetentionDays');
  };

  const flag = (key: ContextKey): boolean | undefined => {
    const value = read(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    problems.push(`${key} must be true or false (got ${JSON.stringify(value)})`);
    return undefined;
  };
  const ruleConfig = (): AlertRuleConfig | undefined => {
    // An object from cdk.json, JSON text from -c, or a file.
    const value = read('alertRules');
    const file = text('alertRulesFile');
    if (value !== undefined && value !== null && value !== '' && file !== undefined) {
      problems.push('alertRules and alertRulesFile are two ways to say the same: give one');
      return undefined;
    }
    let json: unknown = value;
    let where = 'alertRules';
    if (file !== undefined) {
      where = `alertRulesFile ${file}`;
      try {
        json = readFileSync(file, 'utf8');
      } catch (err) {
        problems.push(`${where} cannot be read: ${(err as Error).message}`);
        return undefined;
      }
    }
    if (json === undefined || json === null || json === '') return undefined;
    if (typeof json === 'string') {
      try {
        json = JSON.parse(json);
      } catch (err) {
        problems.push(`${where} is not JSON: ${(err as Error).message}`);
        return undefined;
      }
    }
    return json as AlertRuleConfig;
  };

  const options: TrailIndexOptions = {
    alertEmail: text('alertEmail'),
    trailName: text('trailName'),
    organizationId: text('organizationId'),
    managementAccountId: text('managementAccountId'),
    indexedSources: list('indexedSources'),
    indexRetentionDays: retention(),
    glacierTransitionDays: days('glacierTransitionDays'),
    deepArchiveTransitionDays: days('deepArchiveTransitionDays'),
    expirationDays: days('expirationDays'),
    noncurrentVersionExpirationDays: days('noncurrentVersionExpirationDays'),
    abortIncompleteMultipartUploadDays: days('abortIncompleteMultipartUploadDays'),
    accessLogExpirationDays: days('accessLogExpirationDays'),
    existingLogBucket: text('existingLogBucket'),
    existingLogBucketAccount: text('existingLogBucketAccount'),
    existingLogKeyPrefix: text('existingLogKeyPrefix'),
    existingLogKmsKeyArn: text('existingLogKmsKeyArn'),
    notificationPath: text('notificationPath') as NotificationPath | undefined,
    notificationTopicArn: text('notificationTopicArn'),
    logReaderRoleArn: text('logReaderRoleArn'),
    indexedAccounts: list('indexedAccounts'),
    existingTrailArn: text('existingTrailArn'),
    alertRegions: list('alertRegions'),
    alertRules: ruleConfig(),
    firstArchiveClass: text('firstArchiveClass') as TrailIndexOptions['firstArchiveClass'],
    distributedBackfill: flag('distributedBackfill'),
    backfillMaxConcurrency: days('backfillMaxConcurrency'),
    backfillInventoryBucket: text('backfillInventoryBucket'),
  };
  problems.push(...validateOptions(options));
  if (problems.length > 0) throw new InvalidConfigurationError(problems);
  return options;
}

/** The indexed sources with the default applied, deduplicated, in the given order. */
export function resolveIndexedSources(options: TrailIndexOptions): readonly string[] {
  return [...new Set(options.indexedSources ?? DEFAULT_INDEXED_SOURCES)];
}

/**
 * The alert regions other than the stack's own, each of which gets a forwarding stack. Needs the
 * stack's region (from the credentials or AWS_REGION, as `cdk deploy` sets CDK_DEFAULT_REGION).
 */
export function forwardingRegions(options: TrailIndexOptions, homeRegion: string | undefined): string[] {
  const regions = [...new Set(options.alertRegions ?? [])];
  if (homeRegion === undefined) {
    if (regions.length === 0) return [];
    throw new InvalidConfigurationError([
      "alertRegions needs the stack's own region to forward to: deploy with credentials that have a region, or set AWS_REGION",
    ]);
  }
  return regions.filter((region) => region !== homeRegion);
}
