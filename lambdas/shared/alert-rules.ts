/**
 * Alert rules as data: what each rule matches, how severe it is, why it exists and what to do next.
 * The same rules drive the log-file path (the indexer) and the fast path (EventBridge), and the
 * stack derives its EventBridge patterns from them, so a rule is written once.
 *
 * A rule matches a CloudTrail record by event source and name, then by conditions on the record
 * (data: field values, or one of a few named checks for what a value alone cannot say), and, for
 * the rules about this deployment's trail, bucket, key and pipeline, by the resource the call
 * acted on. A user adds or changes rules with a small JSON document (context `alertRules`),
 * validated at synth by {@link validateRuleConfig} and again at cold start.
 */

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * The kinds of resource a rule can be scoped to. Each names this deployment's own resource; a rule
 * scoped to one ignores calls on every other trail, bucket, key… unless its `scope` is `any`.
 */
export const RESOURCE_KINDS = [
  'trail',
  'bucket',
  'key',
  'topic',
  'subscription',
  'function',
  'table',
  'event-rule',
] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

/** Checks that a field's value alone cannot express, by name. */
export const NAMED_CHECKS = [
  /** PutEventSelectors that leaves no selector recording write management events. */
  'stops-management-events',
  /** PutBucketLifecycle with an expiration sooner than the bucket's retention (or any, if unknown). */
  'expires-before-retention',
  /** PutKeyPolicy whose policy no longer lets CloudTrail encrypt with the key. */
  'drops-cloudtrail-grant',
  /** PutBucketPublicAccessBlock with any of its four settings off. */
  'weakens-public-access-block',
] as const;
export type NamedCheck = (typeof NAMED_CHECKS)[number];

export type Scalar = string | number | boolean | null;

/** A condition on a record; a field is a dotted path (`requestParameters.name`). */
export type Condition =
  | { readonly field: string; readonly equals: readonly Scalar[] }
  | { readonly field: string; readonly notEquals: readonly Scalar[] }
  | { readonly field: string; readonly exists: boolean }
  | { readonly anyOf: readonly Condition[] }
  | { readonly check: NamedCheck };

export interface AlertRule {
  /** Stable id: part of the exactly-once marker key, so never rename a deployed rule. */
  readonly id: string;
  readonly severity: Severity;
  /** One sentence: what happened, for the alert's first line. */
  readonly description: string;
  /** Why the rule exists: a CIS AWS Foundations control, an attack technique. */
  readonly source: string;
  /** What the person who reads the alert does next. */
  readonly next: string;
  readonly eventSource: string;
  /** Event names; one ending in `*` is a prefix (Lambda's names carry API versions). */
  readonly eventNames: readonly string[];
  /** Every condition must hold. @default - none */
  readonly when?: readonly Condition[];
  /**
   * The deployment's own resource the call must act on, and where the record names it (the first
   * field present; the record's `resources[].ARN` are looked at too). @default - any resource
   */
  readonly resource?: { readonly kind: ResourceKind; readonly fields: readonly string[] };
  /** `any`: every resource of that kind in the account, not only this deployment's. @default 'own' */
  readonly scope?: 'own' | 'any';
  /**
   * A rate rule: alert once when more than `threshold` matching calls on one resource (the vault)
   * fall in one `windowMinutes` window.
   */
  readonly rate?: { readonly threshold: number; readonly windowMinutes: number };
  /** Shorter subject wording for a succeeded and a failed call. @default - from the event name */
  readonly title?: { readonly succeeded: string; readonly failed: string };
}

/** This deployment's own resources, as the alert code sees them (names or ARNs). */
export interface OwnResources {
  /** The trail's ARN. */
  readonly trail?: string;
  /** The log bucket's name. */
  readonly bucket?: string;
  /** The log files' KMS key ARN. */
  readonly key?: string;
  /** The delivery topic's ARN (its subscriptions are `<arn>:<id>`). */
  readonly topic?: string;
  /** Function names, besides those named with {@link namePrefix}. */
  readonly functions?: readonly string[];
  readonly table?: string;
  /**
   * The stack's name and a dash: CloudFormation names the functions and EventBridge rules it
   * creates `<stack>-<logical id>-<suffix>`, so this finds them without naming each (which would
   * make the functions refer to each other in a cycle).
   */
  readonly namePrefix?: string;
  /** Days the bucket keeps log files (its expiration rule); a lifecycle rule expiring sooner alerts. */
  readonly retentionDays?: number;
}

const GLACIER = 'glacier.amazonaws.com';
const CLOUDTRAIL = 'cloudtrail.amazonaws.com';
const S3 = 's3.amazonaws.com';
const KMS = 'kms.amazonaws.com';
const SNS = 'sns.amazonaws.com';
const LAMBDA = 'lambda.amazonaws.com';
const DYNAMODB = 'dynamodb.amazonaws.com';
const EVENTS = 'events.amazonaws.com';

const T1562_008 = 'MITRE ATT&CK T1562.008 (Impair Defenses: Disable or Modify Cloud Logs)';
const T1485 = 'MITRE ATT&CK T1485 (Data Destruction)';
const TRAIL: AlertRule['resource'] = { kind: 'trail', fields: ['requestParameters.name'] };
const BUCKET: AlertRule['resource'] = { kind: 'bucket', fields: ['requestParameters.bucketName'] };
const KEY: AlertRule['resource'] = { kind: 'key', fields: ['requestParameters.keyId'] };
/**
 * The stack's own deployments: calls CloudFormation makes (a `cdk deploy` updating a function or a
 * rule) carry `invokedBy` and `sourceIPAddress` `cloudformation.amazonaws.com`. Not alerted on the
 * pipeline's resources, which every deployment changes; the deployment itself is in the trail.
 */
const NOT_BY_CLOUDFORMATION: readonly Condition[] = [
  { field: 'userIdentity.invokedBy', notEquals: ['cloudformation.amazonaws.com'] },
  { field: 'sourceIPAddress', notEquals: ['cloudformation.amazonaws.com'] },
];
const INVESTIGATE =
  'Confirm with the person or automation named under Who; if nobody expected it, treat the credentials as compromised (disable the access key or revoke the role session).';

/** The rules trail-index applies unless the user turns some off. */
export const DEFAULT_ALERT_RULES: readonly AlertRule[] = [
  {
    id: 'glacier-delete-vault',
    severity: 'critical',
    description: 'A Glacier vault was deleted, or someone tried to delete one.',
    source: T1485,
    next: `Check the vault and its archives' owners. ${INVESTIGATE}`,
    eventSource: GLACIER,
    eventNames: ['DeleteVault'],
    title: { succeeded: 'Glacier vault deleted', failed: 'Glacier vault deletion FAILED' },
  },
  {
    id: 'glacier-delete-archive-burst',
    severity: 'critical',
    description: 'Many archives were deleted from one Glacier vault in a short time (a vault being emptied).',
    source: `${T1485}; a vault must be empty before DeleteVault succeeds`,
    next: `Stop further deletions now (deny glacier:DeleteArchive on the vault), then find out who. ${INVESTIGATE}`,
    eventSource: GLACIER,
    eventNames: ['DeleteArchive'],
    rate: { threshold: 100, windowMinutes: 10 },
  },
  {
    id: 'glacier-vault-lock-change',
    severity: 'high',
    description: "A Glacier vault's lock was started, aborted or completed.",
    source: 'Vault Lock makes a vault policy immutable; an unplanned lock or abort changes retention',
    next: `A completed lock cannot be undone: check the lock policy now. ${INVESTIGATE}`,
    eventSource: GLACIER,
    eventNames: ['InitiateVaultLock', 'AbortVaultLock', 'CompleteVaultLock'],
  },
  {
    id: 'glacier-vault-access-policy-change',
    severity: 'high',
    description: "A Glacier vault's access policy was set or deleted.",
    source: 'MITRE ATT&CK T1222 (Permissions Modification)',
    next: `Review the new policy: who may now read or delete archives. ${INVESTIGATE}`,
    eventSource: GLACIER,
    eventNames: ['SetVaultAccessPolicy', 'DeleteVaultAccessPolicy'],
  },
  {
    id: 'glacier-vault-notifications-change',
    severity: 'medium',
    description: "A Glacier vault's notifications were set or deleted.",
    source: 'Removing notifications hides retrieval and inventory jobs',
    next: `Check the vault's notification configuration. ${INVESTIGATE}`,
    eventSource: GLACIER,
    eventNames: ['SetVaultNotifications', 'DeleteVaultNotifications'],
  },
  {
    id: 'trail-stop-logging',
    severity: 'critical',
    description: 'Logging was stopped on the trail: nothing after this call is recorded.',
    source: `CIS AWS Foundations 5.5; ${T1562_008}`,
    next: `Start logging again now (aws cloudtrail start-logging --name <trail>). ${INVESTIGATE}`,
    eventSource: CLOUDTRAIL,
    eventNames: ['StopLogging'],
    resource: TRAIL,
  },
  {
    id: 'trail-delete',
    severity: 'critical',
    description: 'The trail was deleted, or someone tried to delete it.',
    source: `CIS AWS Foundations 5.5; ${T1562_008}`,
    next: `Redeploy the stack to recreate the trail. ${INVESTIGATE}`,
    eventSource: CLOUDTRAIL,
    eventNames: ['DeleteTrail'],
    resource: TRAIL,
  },
  {
    id: 'trail-weakened',
    severity: 'high',
    description:
      'The trail was changed: multi-region, global events or log file validation turned off, or its bucket, prefix, SNS topic or KMS key changed.',
    source: `CIS AWS Foundations 5.5; ${T1562_008}`,
    next: `Compare the trail with the stack (cdk diff) and redeploy to restore it; a changed SNS topic stops this index. ${INVESTIGATE}`,
    eventSource: CLOUDTRAIL,
    eventNames: ['UpdateTrail'],
    resource: TRAIL,
    when: [
      {
        anyOf: [
          { field: 'requestParameters.isMultiRegionTrail', equals: [false, 'false'] },
          { field: 'requestParameters.includeGlobalServiceEvents', equals: [false, 'false'] },
          { field: 'requestParameters.enableLogFileValidation', equals: [false, 'false'] },
          { field: 'requestParameters.s3BucketName', exists: true },
          { field: 'requestParameters.s3KeyPrefix', exists: true },
          { field: 'requestParameters.snsTopicName', exists: true },
          { field: 'requestParameters.kmsKeyId', exists: true },
        ],
      },
    ],
  },
  {
    id: 'trail-management-events-off',
    severity: 'critical',
    description: "The trail's event selectors no longer record write management events.",
    source: `${T1562_008} (not covered by CIS)`,
    next: `Restore the event selectors (redeploy the stack). ${INVESTIGATE}`,
    eventSource: CLOUDTRAIL,
    eventNames: ['PutEventSelectors'],
    resource: { kind: 'trail', fields: ['requestParameters.trailName'] },
    when: [{ check: 'stops-management-events' }],
  },
  {
    id: 'log-bucket-policy-change',
    severity: 'high',
    description: "The log bucket's policy was put or deleted.",
    source: 'CIS AWS Foundations 5.8',
    next: `Compare the bucket policy with the stack's (cdk diff). ${INVESTIGATE}`,
    eventSource: S3,
    eventNames: ['PutBucketPolicy', 'DeleteBucketPolicy'],
    resource: BUCKET,
  },
  {
    id: 'log-bucket-lifecycle-shortened',
    severity: 'high',
    description: "A lifecycle rule on the log bucket expires log files sooner than the bucket's retention.",
    source: 'MITRE ATT&CK T1070 (Indicator Removal)',
    next: `Restore the lifecycle configuration (redeploy the stack) before it runs. ${INVESTIGATE}`,
    eventSource: S3,
    eventNames: ['PutBucketLifecycle'],
    resource: BUCKET,
    when: [{ check: 'expires-before-retention' }],
  },
  {
    id: 'log-bucket-versioning-suspended',
    severity: 'high',
    description: 'Versioning was suspended on the log bucket: overwritten log files are no longer kept.',
    source: 'MITRE ATT&CK T1070 (Indicator Removal)',
    next: `Enable versioning again. ${INVESTIGATE}`,
    eventSource: S3,
    eventNames: ['PutBucketVersioning'],
    resource: BUCKET,
    when: [{ field: 'requestParameters.VersioningConfiguration.Status', equals: ['Suspended'] }],
  },
  {
    id: 'log-bucket-encryption-change',
    severity: 'medium',
    description: "The log bucket's default encryption was changed or deleted.",
    source: 'CIS AWS Foundations, Logging section (CloudTrail logs encrypted at rest with KMS keys)',
    next: `Compare the encryption with the stack's (cdk diff). ${INVESTIGATE}`,
    eventSource: S3,
    eventNames: ['PutBucketEncryption', 'DeleteBucketEncryption'],
    resource: BUCKET,
  },
  {
    id: 'log-bucket-access-logging-change',
    severity: 'medium',
    description: "The log bucket's server access logging was changed.",
    source: 'CIS AWS Foundations, Logging section (S3 access logging on the CloudTrail bucket)',
    next: `Compare the logging configuration with the stack's (cdk diff). ${INVESTIGATE}`,
    eventSource: S3,
    eventNames: ['PutBucketLogging'],
    resource: BUCKET,
  },
  {
    id: 'log-bucket-public-access-block-removed',
    severity: 'critical',
    description: "The log bucket's public access block was removed or weakened.",
    source: 'CIS AWS Foundations, Storage section (S3 Block Public Access)',
    next: `Turn Block Public Access back on for the bucket now. ${INVESTIGATE}`,
    eventSource: S3,
    eventNames: ['DeleteBucketPublicAccessBlock', 'PutBucketPublicAccessBlock'],
    resource: BUCKET,
    when: [
      {
        anyOf: [
          { field: 'eventName', equals: ['DeleteBucketPublicAccessBlock'] },
          { check: 'weakens-public-access-block' },
        ],
      },
    ],
  },
  {
    id: 'trail-key-disabled',
    severity: 'critical',
    description: "The trail's KMS key was disabled or scheduled for deletion: CloudTrail cannot write.",
    source: `CIS AWS Foundations 5.7; ${T1562_008}`,
    next: `Enable the key or cancel its deletion now (aws kms cancel-key-deletion). ${INVESTIGATE}`,
    eventSource: KMS,
    eventNames: ['DisableKey', 'ScheduleKeyDeletion'],
    resource: KEY,
  },
  {
    id: 'trail-key-policy-drops-cloudtrail',
    severity: 'critical',
    description: "The trail key's policy no longer lets CloudTrail encrypt log files.",
    source: T1562_008,
    next: `Restore the key policy (redeploy the stack). ${INVESTIGATE}`,
    eventSource: KMS,
    eventNames: ['PutKeyPolicy'],
    resource: KEY,
    when: [{ check: 'drops-cloudtrail-grant' }],
  },
  {
    id: 'pipeline-topic-change',
    severity: 'high',
    description: "trail-index's delivery topic was deleted or its attributes or permissions changed.",
    source: `${T1562_008} (blinding the index)`,
    next: `Compare the topic with the stack (cdk diff) and redeploy. ${INVESTIGATE}`,
    eventSource: SNS,
    eventNames: ['DeleteTopic', 'SetTopicAttributes', 'RemovePermission'],
    resource: { kind: 'topic', fields: ['requestParameters.topicArn'] },
    when: NOT_BY_CLOUDFORMATION,
  },
  {
    id: 'pipeline-subscription-removed',
    severity: 'critical',
    description: "The indexer's subscription to the delivery topic was removed: log files go unindexed.",
    source: `${T1562_008} (blinding the index)`,
    next: `Redeploy the stack, then run trail-index backfill over the gap. ${INVESTIGATE}`,
    eventSource: SNS,
    eventNames: ['Unsubscribe'],
    resource: { kind: 'subscription', fields: ['requestParameters.subscriptionArn'] },
    when: NOT_BY_CLOUDFORMATION,
  },
  {
    id: 'pipeline-function-change',
    severity: 'high',
    description: 'A trail-index function was deleted, or its code, configuration or permissions changed.',
    source: `${T1562_008} (blinding the index)`,
    next: `Compare the function with the stack (cdk diff) and redeploy. ${INVESTIGATE}`,
    eventSource: LAMBDA,
    eventNames: [
      'DeleteFunction*',
      'UpdateFunctionCode*',
      'UpdateFunctionConfiguration*',
      'RemovePermission*',
      'DeleteEventSourceMapping*',
    ],
    resource: { kind: 'function', fields: ['requestParameters.functionName'] },
    when: NOT_BY_CLOUDFORMATION,
  },
  {
    id: 'pipeline-function-silenced',
    severity: 'critical',
    description: "A trail-index function's reserved concurrency was set to 0: it no longer runs.",
    source: `${T1562_008} (blinding the index)`,
    next: `Remove the reservation (aws lambda delete-function-concurrency), then run trail-index redrive. ${INVESTIGATE}`,
    eventSource: LAMBDA,
    eventNames: ['PutFunctionConcurrency*'],
    resource: { kind: 'function', fields: ['requestParameters.functionName'] },
    when: [
      { field: 'requestParameters.reservedConcurrentExecutions', equals: [0, '0'] },
      ...NOT_BY_CLOUDFORMATION,
    ],
  },
  {
    id: 'pipeline-table-change',
    severity: 'high',
    description: "trail-index's table was deleted, or its settings or time to live changed.",
    source: 'MITRE ATT&CK T1485 (Data Destruction)',
    next: `Compare the table with the stack (cdk diff); restore from a point-in-time backup if needed. ${INVESTIGATE}`,
    eventSource: DYNAMODB,
    eventNames: ['DeleteTable', 'UpdateTable', 'UpdateTimeToLive'],
    resource: { kind: 'table', fields: ['requestParameters.tableName'] },
    when: NOT_BY_CLOUDFORMATION,
  },
  {
    id: 'pipeline-event-rule-change',
    severity: 'high',
    description: "One of trail-index's EventBridge rules was deleted, disabled or changed.",
    source: `${T1562_008} (blinding the fast alerts or the verifier)`,
    next: `Redeploy the stack to restore the rule. ${INVESTIGATE}`,
    eventSource: EVENTS,
    eventNames: ['DeleteRule', 'DisableRule', 'PutRule', 'RemoveTargets'],
    resource: { kind: 'event-rule', fields: ['requestParameters.name', 'requestParameters.rule'] },
    when: NOT_BY_CLOUDFORMATION,
  },
];

// ---------------------------------------------------------------------------------------------
// Matching

type RecordLike = Readonly<Record<string, unknown>>;

/** The value at a dotted path, or undefined. */
export function fieldValue(record: RecordLike, path: string): unknown {
  let value: unknown = record;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function nameMatches(pattern: string, name: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

/** The rules that match a record (rate rules included: the caller counts them). */
export function matchingRules(
  rules: readonly AlertRule[],
  record: RecordLike,
  own: OwnResources = {},
): AlertRule[] {
  const eventName = record.eventName;
  if (typeof eventName !== 'string') return [];
  return rules.filter(
    (rule) =>
      record.eventSource === rule.eventSource &&
      rule.eventNames.some((pattern) => nameMatches(pattern, eventName)) &&
      (rule.when ?? []).every((condition) => holds(condition, record, own)) &&
      actsOnOwnResource(rule, record, own),
  );
}

function holds(condition: Condition, record: RecordLike, own: OwnResources): boolean {
  if ('anyOf' in condition) return condition.anyOf.some((c) => holds(c, record, own));
  if ('check' in condition) return CHECKS[condition.check](record, own);
  const value = fieldValue(record, condition.field);
  if ('exists' in condition) return (value !== undefined && value !== null) === condition.exists;
  if ('notEquals' in condition) return !condition.notEquals.some((expected) => value === expected);
  return condition.equals.some((expected) => value === expected);
}

/**
 * Whether the rule's own resource could be known: a rule scoped to a resource this deployment does
 * not know (an existing trail whose ARN was not given, say) never matches.
 */
export function isActive(rule: AlertRule, own: OwnResources): boolean {
  if (rule.resource === undefined || rule.scope === 'any') return true;
  switch (rule.resource.kind) {
    case 'trail':
      return own.trail !== undefined;
    case 'bucket':
      return own.bucket !== undefined;
    case 'key':
      return own.key !== undefined;
    case 'topic':
    case 'subscription':
      return own.topic !== undefined;
    case 'function':
      return (own.functions ?? []).length > 0 || own.namePrefix !== undefined;
    case 'table':
      return own.table !== undefined;
    case 'event-rule':
      return own.namePrefix !== undefined;
  }
}

function actsOnOwnResource(rule: AlertRule, record: RecordLike, own: OwnResources): boolean {
  if (rule.resource === undefined || rule.scope === 'any') return true;
  if (!isActive(rule, own)) return false;
  const named = rule.resource.fields
    .map((field) => fieldValue(record, field))
    .filter((v): v is string => typeof v === 'string');
  const arns = Array.isArray(record.resources)
    ? record.resources
        .map((r: unknown) => (typeof r === 'object' && r !== null ? (r as { ARN?: unknown }).ARN : undefined))
        .filter((v): v is string => typeof v === 'string')
    : [];
  return [...named, ...arns].some((value) => isOwn(rule.resource!.kind, value, own));
}

/** The last part of an ARN's resource (`trail/name` → `name`), or the value itself. */
function resourceName(value: string): string {
  const at = Math.max(value.lastIndexOf('/'), value.startsWith('arn:') ? value.lastIndexOf(':') : -1);
  return at < 0 ? value : value.slice(at + 1);
}

function isOwn(kind: ResourceKind, value: string, own: OwnResources): boolean {
  switch (kind) {
    case 'trail':
      // UpdateTrail and friends take the name or the ARN.
      return own.trail !== undefined && (value === own.trail || value === resourceName(own.trail));
    case 'bucket':
      return (
        own.bucket !== undefined &&
        (value === own.bucket || /^arn:[^:]+:s3:::(.+)$/.exec(value)?.[1] === own.bucket)
      );
    case 'key':
      // A key id or its ARN (aliases are resolved by KMS: the record's resources carry the ARN).
      return own.key !== undefined && (value === own.key || value === resourceName(own.key));
    case 'topic':
      return value === own.topic;
    case 'subscription':
      return own.topic !== undefined && value.startsWith(`${own.topic}:`);
    case 'function': {
      // A name, an ARN, or a qualified ARN (`…:function:name:alias`).
      const name = /^arn:[^:]+:lambda:[^:]+:\d+:function:([^:]+)/.exec(value)?.[1] ?? value;
      return (
        (own.functions ?? []).includes(name) ||
        (own.namePrefix !== undefined && name.startsWith(own.namePrefix))
      );
    }
    case 'table':
      return own.table !== undefined && (value === own.table || value.endsWith(`:table/${own.table}`));
    case 'event-rule':
      return own.namePrefix !== undefined && resourceName(value).startsWith(own.namePrefix);
  }
}

// ---------------------------------------------------------------------------------------------
// Named checks

const CHECKS: Readonly<Record<NamedCheck, (record: RecordLike, own: OwnResources) => boolean>> = {
  'stops-management-events': stopsManagementEvents,
  'expires-before-retention': expiresBeforeRetention,
  'drops-cloudtrail-grant': dropsCloudTrailGrant,
  'weakens-public-access-block': (record) => {
    const config = fieldValue(record, 'requestParameters.PublicAccessBlockConfiguration');
    if (typeof config !== 'object' || config === null) return false;
    const c = config as Record<string, unknown>;
    return ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'].some(
      (name) => c[name] === false || c[name] === 'false',
    );
  },
};

function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * PutEventSelectors that leaves no selector recording write management events. Basic selectors
 * record them with `includeManagementEvents` (default true) and `readWriteType` All or WriteOnly
 * (default All). An advanced selector records them when it selects `eventCategory = Management`
 * and narrows nothing else but `readOnly = false`. A request without selectors is not judged.
 */
function stopsManagementEvents(record: RecordLike): boolean {
  const basic = fieldValue(record, 'requestParameters.eventSelectors');
  const advanced = fieldValue(record, 'requestParameters.advancedEventSelectors');
  if (!Array.isArray(basic) && !Array.isArray(advanced)) return false;
  const basicRecords = asArray(basic).some(
    (s) =>
      isRecord(s) &&
      s.includeManagementEvents !== false &&
      s.includeManagementEvents !== 'false' &&
      (s.readWriteType === undefined || s.readWriteType === 'All' || s.readWriteType === 'WriteOnly'),
  );
  const advancedRecords = asArray(advanced).some((s) => {
    if (!isRecord(s)) return false;
    const fields = asArray(s.fieldSelectors).filter(isRecord);
    const management = fields.some(
      (f) => f.field === 'eventCategory' && asArray(f.equals).includes('Management'),
    );
    const narrowed = fields.some(
      (f) =>
        f.field !== 'eventCategory' &&
        !(f.field === 'readOnly' && asArray(f.equals).length === 1 && asArray(f.equals)[0] === 'false'),
    );
    return management && !narrowed;
  });
  return !basicRecords && !advancedRecords;
}

/**
 * PutBucketLifecycle with an enabled rule whose expiration (of current or noncurrent versions)
 * comes sooner than the retention; a date-based expiration counts as sooner. With no retention
 * known (an existing bucket), any expiring rule is reported.
 */
function expiresBeforeRetention(record: RecordLike, own: OwnResources): boolean {
  const rules = asArray(fieldValue(record, 'requestParameters.LifecycleConfiguration.Rule'));
  const retention = own.retentionDays;
  return rules.some((rule) => {
    if (!isRecord(rule) || rule.Status === 'Disabled') return false;
    const days = [
      isRecord(rule.Expiration) ? rule.Expiration.Days : undefined,
      isRecord(rule.NoncurrentVersionExpiration)
        ? rule.NoncurrentVersionExpiration.NoncurrentDays
        : undefined,
    ]
      .map((d) => (typeof d === 'string' ? Number(d) : d))
      .filter((d): d is number => typeof d === 'number' && Number.isFinite(d));
    const dated = isRecord(rule.Expiration) && rule.Expiration.Date !== undefined;
    if (dated) return true;
    if (retention === undefined) return days.length > 0;
    // Noncurrent versions may go sooner than current ones by design (the stack's own 30 days):
    // only the current versions' expiration is held to the retention.
    const current = isRecord(rule.Expiration) ? Number(rule.Expiration.Days) : NaN;
    return Number.isFinite(current) && current < retention;
  });
}

/**
 * PutKeyPolicy whose new policy has no Allow statement for the CloudTrail service principal with
 * kms:GenerateDataKey* (or a wildcard covering it). A policy that cannot be read counts as dropped.
 */
function dropsCloudTrailGrant(record: RecordLike): boolean {
  const text = fieldValue(record, 'requestParameters.policy');
  let policy: unknown = text;
  if (typeof text === 'string') {
    try {
      policy = JSON.parse(text);
    } catch {
      return true;
    }
  }
  if (!isRecord(policy)) return true;
  return !asArray(policy.Statement).some((statement) => {
    if (!isRecord(statement) || statement.Effect !== 'Allow') return false;
    const principal = statement.Principal;
    const services = isRecord(principal) ? asArray(principal.Service) : [];
    const actions = asArray(statement.Action).filter((a): a is string => typeof a === 'string');
    return (
      services.includes('cloudtrail.amazonaws.com') &&
      actions.some((a) => ['kms:GenerateDataKey*', 'kms:GenerateDataKey', 'kms:*', '*'].includes(a))
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Configuration: turning rules off, changing them, adding new ones

/** A user's changes to the rules (context `alertRules`, or the file `alertRulesFile` names). */
export interface AlertRuleConfig {
  /** Ids of default rules to turn off. */
  readonly disabled?: readonly string[];
  /** Changes to default rules by id: severity, scope, a rate rule's threshold and window. */
  readonly overrides?: Readonly<
    Record<
      string,
      {
        readonly severity?: Severity;
        readonly scope?: 'own' | 'any';
        readonly threshold?: number;
        readonly windowMinutes?: number;
      }
    >
  >;
  /** New rules, in the shape of {@link AlertRule}. */
  readonly rules?: readonly AlertRule[];
}

const ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const EVENT_SOURCE = /^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.amazonaws\.com$/;
const EVENT_NAME = /^[A-Za-z0-9]+\*?$/;
const FIELD = /^[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*$/;

/** Every problem with a rule configuration, each naming where it is. Empty when valid. */
export function validateRuleConfig(config: unknown, where = 'alertRules'): string[] {
  const problems: string[] = [];
  if (!isRecord(config)) return [`${where} must be a JSON object with disabled, overrides and rules`];
  const known = new Set(['disabled', 'overrides', 'rules']);
  for (const key of Object.keys(config)) {
    if (!known.has(key))
      problems.push(`${where}.${key} is not a setting (expected disabled, overrides, rules)`);
  }
  const defaults = new Map(DEFAULT_ALERT_RULES.map((rule) => [rule.id, rule]));
  if (config.disabled !== undefined) {
    if (!Array.isArray(config.disabled)) problems.push(`${where}.disabled must be a list of rule ids`);
    else
      config.disabled.forEach((id, i) => {
        if (typeof id !== 'string' || !defaults.has(id))
          problems.push(`${where}.disabled[${i}] is not a default rule id (got ${JSON.stringify(id)})`);
      });
  }
  if (config.overrides !== undefined) {
    if (!isRecord(config.overrides)) problems.push(`${where}.overrides must be an object keyed by rule id`);
    else
      for (const [id, change] of Object.entries(config.overrides)) {
        const at = `${where}.overrides.${id}`;
        const rule = defaults.get(id);
        if (rule === undefined) problems.push(`${at}: no default rule has this id`);
        if (!isRecord(change)) {
          problems.push(`${at} must be an object`);
          continue;
        }
        for (const key of Object.keys(change)) {
          if (!['severity', 'scope', 'threshold', 'windowMinutes'].includes(key))
            problems.push(`${at}.${key} cannot be changed (severity, scope, threshold, windowMinutes can)`);
        }
        if (change.severity !== undefined && !(SEVERITIES as readonly unknown[]).includes(change.severity))
          problems.push(`${at}.severity must be one of ${SEVERITIES.join(', ')}`);
        if (change.scope !== undefined && change.scope !== 'own' && change.scope !== 'any')
          problems.push(`${at}.scope must be own or any`);
        for (const key of ['threshold', 'windowMinutes'] as const) {
          if (change[key] === undefined) continue;
          if (rule !== undefined && rule.rate === undefined) problems.push(`${at}.${key}: not a rate rule`);
          if (!isCount(change[key])) problems.push(`${at}.${key} must be a whole number from 1 to 100000`);
        }
      }
  }
  if (config.rules !== undefined) {
    if (!Array.isArray(config.rules)) problems.push(`${where}.rules must be a list of rules`);
    else {
      const seen = new Set(defaults.keys());
      config.rules.forEach((rule, i) => {
        const at = `${where}.rules[${i}]`;
        problems.push(...ruleProblems(rule, at));
        if (isRecord(rule) && typeof rule.id === 'string') {
          if (seen.has(rule.id)) problems.push(`${at}.id "${rule.id}" is already a rule's id`);
          seen.add(rule.id);
        }
      });
    }
  }
  return problems;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 100_000;
}

function text(value: unknown, max: number): boolean {
  return typeof value === 'string' && value.trim() !== '' && value.length <= max;
}

function ruleProblems(rule: unknown, at: string): string[] {
  if (!isRecord(rule)) return [`${at} must be an object`];
  const problems: string[] = [];
  const allowed = new Set([
    'id',
    'severity',
    'description',
    'source',
    'next',
    'eventSource',
    'eventNames',
    'when',
    'resource',
    'scope',
    'rate',
    'title',
  ]);
  for (const key of Object.keys(rule))
    if (!allowed.has(key)) problems.push(`${at}.${key} is not a rule setting`);
  if (typeof rule.id !== 'string' || !ID.test(rule.id))
    problems.push(`${at}.id must be 1-63 lowercase letters, digits and '-' (got ${JSON.stringify(rule.id)})`);
  if (!(SEVERITIES as readonly unknown[]).includes(rule.severity))
    problems.push(`${at}.severity must be one of ${SEVERITIES.join(', ')}`);
  for (const key of ['description', 'source', 'next'] as const) {
    if (!text(rule[key], 500)) problems.push(`${at}.${key} must be text of 1-500 characters`);
  }
  if (typeof rule.eventSource !== 'string' || !EVENT_SOURCE.test(rule.eventSource))
    problems.push(`${at}.eventSource must be an event source like glacier.amazonaws.com`);
  if (
    !Array.isArray(rule.eventNames) ||
    rule.eventNames.length === 0 ||
    !rule.eventNames.every((n) => typeof n === 'string' && EVENT_NAME.test(n))
  )
    problems.push(`${at}.eventNames must list event names (a final * makes one a prefix)`);
  if (rule.when !== undefined) {
    if (!Array.isArray(rule.when)) problems.push(`${at}.when must be a list of conditions`);
    else rule.when.forEach((c, i) => problems.push(...conditionProblems(c, `${at}.when[${i}]`)));
  }
  if (rule.resource !== undefined) {
    const r = rule.resource;
    if (
      !isRecord(r) ||
      !(RESOURCE_KINDS as readonly unknown[]).includes(r.kind) ||
      !Array.isArray(r.fields) ||
      r.fields.length === 0 ||
      !r.fields.every((f) => typeof f === 'string' && FIELD.test(f))
    )
      problems.push(
        `${at}.resource must be { "kind": one of ${RESOURCE_KINDS.join(', ')}, "fields": [dotted field paths] }`,
      );
  }
  if (rule.scope !== undefined && rule.scope !== 'own' && rule.scope !== 'any')
    problems.push(`${at}.scope must be own or any`);
  if (rule.rate !== undefined) {
    if (!isRecord(rule.rate) || !isCount(rule.rate.threshold) || !isCount(rule.rate.windowMinutes))
      problems.push(`${at}.rate must be { "threshold": 1-100000, "windowMinutes": 1-100000 }`);
  }
  if (rule.title !== undefined) {
    if (!isRecord(rule.title) || !text(rule.title.succeeded, 60) || !text(rule.title.failed, 60))
      problems.push(
        `${at}.title must be { "succeeded": text, "failed": text } of at most 60 characters each`,
      );
  }
  return problems;
}

function conditionProblems(condition: unknown, at: string): string[] {
  if (!isRecord(condition)) return [`${at} must be an object`];
  if ('anyOf' in condition) {
    if (!Array.isArray(condition.anyOf) || condition.anyOf.length === 0)
      return [`${at}.anyOf must list conditions`];
    return condition.anyOf.flatMap((c, i) => conditionProblems(c, `${at}.anyOf[${i}]`));
  }
  if ('check' in condition) {
    return (NAMED_CHECKS as readonly unknown[]).includes(condition.check)
      ? []
      : [`${at}.check must be one of ${NAMED_CHECKS.join(', ')}`];
  }
  if (typeof condition.field !== 'string' || !FIELD.test(condition.field))
    return [`${at}.field must be a dotted field path like requestParameters.name`];
  if ('exists' in condition)
    return typeof condition.exists === 'boolean' ? [] : [`${at}.exists must be true or false`];
  for (const key of ['equals', 'notEquals'] as const) {
    if (!(key in condition)) continue;
    const values = condition[key];
    const ok =
      Array.isArray(values) &&
      values.length > 0 &&
      values.every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v));
    return ok ? [] : [`${at}.${key} must list strings, numbers, booleans or null`];
  }
  return [`${at} must have equals, notEquals, exists, anyOf or check`];
}

/** Thrown when a rule configuration is invalid; lists every problem. */
export class RuleConfigError extends Error {
  public constructor(problems: readonly string[]) {
    super(`Invalid alert rules:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'RuleConfigError';
  }
}

/** The rules in force: the defaults, less those turned off, with changes applied, plus new ones. */
export function resolveRules(config: AlertRuleConfig = {}): AlertRule[] {
  const problems = validateRuleConfig(config);
  if (problems.length > 0) throw new RuleConfigError(problems);
  const disabled = new Set(config.disabled ?? []);
  const changed = DEFAULT_ALERT_RULES.filter((rule) => !disabled.has(rule.id)).map((rule) => {
    const change = config.overrides?.[rule.id];
    if (change === undefined) return rule;
    return {
      ...rule,
      ...(change.severity === undefined ? {} : { severity: change.severity }),
      ...(change.scope === undefined ? {} : { scope: change.scope }),
      ...(rule.rate === undefined
        ? {}
        : {
            rate: {
              threshold: change.threshold ?? rule.rate.threshold,
              windowMinutes: change.windowMinutes ?? rule.rate.windowMinutes,
            },
          }),
    };
  });
  return [...changed, ...(config.rules ?? [])];
}

/** Parses the rule configuration the stack puts in the environment (empty: no changes). */
export function parseRuleConfig(json: string | undefined, where: string): AlertRuleConfig {
  if (json === undefined || json.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new RuleConfigError([`${where} is not JSON: ${(err as Error).message}`]);
  }
  const problems = validateRuleConfig(value, where);
  if (problems.length > 0) throw new RuleConfigError(problems);
  return value as AlertRuleConfig;
}

// ---------------------------------------------------------------------------------------------
// EventBridge

/** The `source` of CloudTrail's events on EventBridge: `aws.<service>`. */
export function eventBridgeSource(eventSource: string): string {
  return `aws.${eventSource.replace(/\.amazonaws\.com$/, '')}`;
}

/**
 * One EventBridge pattern per event source, matching CloudTrail's `AWS API Call via CloudTrail`
 * events for every rule of that source (failed calls included: they carry errorCode and are
 * delivered like the rest). Conditions and resources are checked by the alert code, which sees
 * the whole event: the pattern only keeps the function from being invoked for other calls.
 */
export function eventPatterns(rules: readonly AlertRule[]): Map<string, Record<string, unknown>> {
  const bySource = new Map<string, Set<string>>();
  for (const rule of rules) {
    const names = bySource.get(rule.eventSource) ?? new Set<string>();
    rule.eventNames.forEach((name) => names.add(name));
    bySource.set(rule.eventSource, names);
  }
  const patterns = new Map<string, Record<string, unknown>>();
  for (const [source, names] of [...bySource].sort(([a], [b]) => a.localeCompare(b))) {
    const sorted = [...names].sort();
    patterns.set(source, {
      source: [eventBridgeSource(source)],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: {
        eventSource: [source],
        eventName: sorted.map((name) => (name.endsWith('*') ? { prefix: name.slice(0, -1) } : name)),
      },
    });
  }
  return patterns;
}
