/**
 * Builders for CloudTrail records, log files, object keys, SNS notifications and SNS events, shared
 * by the indexer and CLI tests. Defaults follow the seed records (../shared/seeds); override what a
 * test is about, nothing else.
 */
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { SNSEvent, SNSEventRecord } from 'aws-lambda';

import type { CloudTrailRecord } from '../../cli/seed-records';

export type { CloudTrailRecord };
export { seedGlacierRecords, seedSupportCreateCase } from '../../cli/seed-records';

export const ACCOUNT = '999999999999';
export const REGION = 'us-east-1';
export const GLACIER = 'glacier.amazonaws.com';
export const SUPPORT = 'support.amazonaws.com';

export const USER_IDENTITY_TYPES = [
  'Root',
  'IAMUser',
  'AssumedRole',
  'Role',
  'FederatedUser',
  'Directory',
  'AWSAccount',
  'AWSService',
  'SAMLUser',
  'WebIdentityUser',
  'IdentityCenterUser',
  'Unknown',
] as const;
export type UserIdentityType = (typeof USER_IDENTITY_TYPES)[number];

const sessionContext = (mfa: boolean, issuer?: Record<string, unknown>) => ({
  ...(issuer === undefined ? {} : { sessionIssuer: issuer }),
  attributes: { mfaAuthenticated: String(mfa), creationDate: '2026-11-20T09:00:00Z' },
});

/** A realistic `userIdentity` of each type, shaped as CloudTrail writes it (optional fields vary). */
export function userIdentity(
  type: UserIdentityType,
  overrides: Record<string, unknown> = {},
  account = ACCOUNT,
): Record<string, unknown> {
  const base: Record<UserIdentityType, Record<string, unknown>> = {
    Root: {
      type: 'Root',
      principalId: account,
      arn: `arn:aws:iam::${account}:root`,
      accountId: account,
      accessKeyId: 'ASIAROOTEXAMPLE00001',
      sessionContext: sessionContext(true),
    },
    IAMUser: {
      type: 'IAMUser',
      principalId: 'AIDACKCEVSQ6C2EXAMPLE',
      arn: `arn:aws:iam::${account}:user/janedoe`,
      accountId: account,
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      userName: 'janedoe',
    },
    AssumedRole: {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLEROLEID:ops-session',
      arn: `arn:aws:sts::${account}:assumed-role/Ops/ops-session`,
      accountId: account,
      accessKeyId: 'ASIAEXAMPLESESSION01',
      sessionContext: sessionContext(true, {
        type: 'Role',
        principalId: 'AROAEXAMPLEROLEID',
        arn: `arn:aws:iam::${account}:role/Ops`,
        accountId: account,
        userName: 'Ops',
      }),
    },
    Role: {
      type: 'Role',
      principalId: 'AROAEXAMPLEROLEID',
      arn: `arn:aws:iam::${account}:role/Ops`,
      accountId: account,
    },
    FederatedUser: {
      type: 'FederatedUser',
      principalId: `${account}:alice`,
      arn: `arn:aws:sts::${account}:federated-user/alice`,
      accountId: account,
      accessKeyId: 'ASIAFEDERATEDEXAMPLE',
      sessionContext: sessionContext(false, {
        type: 'IAMUser',
        principalId: 'AIDAFEDERATORUSER',
        arn: `arn:aws:iam::${account}:user/federator`,
        accountId: account,
        userName: 'federator',
      }),
    },
    Directory: {
      type: 'Directory',
      principalId: 'S-1-5-21-EXAMPLE',
      accountId: account,
      userName: 'corp\\bob',
    },
    AWSAccount: {
      type: 'AWSAccount',
      principalId: 'AIDAOTHERACCOUNTUSER',
      accountId: '111122223333',
    },
    AWSService: {
      type: 'AWSService',
      invokedBy: 'backup.amazonaws.com',
    },
    SAMLUser: {
      type: 'SAMLUser',
      principalId: 'SAMPLEPRINCIPAL:carol@example.com',
      userName: 'carol@example.com',
      identityProvider: 'bdGOnTesti4nkKkrCqm4Nqr9Ks8=',
    },
    WebIdentityUser: {
      type: 'WebIdentityUser',
      principalId: 'accounts.google.com:dave-subject',
      userName: 'dave-subject',
      identityProvider: 'accounts.google.com',
    },
    IdentityCenterUser: {
      type: 'IdentityCenterUser',
      accountId: account,
      onBehalfOf: {
        userId: '906789a1-b0c1-70d2-e3f4-567890abcdef',
        identityStoreArn: 'arn:aws:identitystore::123456789012:identitystore/d-1234567890',
      },
      credentialId: 'EXAMPLE-CREDENTIAL-ID',
    },
    Unknown: {
      type: 'Unknown',
      principalId: '',
      accountId: account,
      userName: 'erin',
    },
  };
  return { ...base[type], ...overrides };
}

/** A Glacier or Support API call record; every field can be overridden (or removed with `undefined`). */
export function cloudTrailRecord(overrides: CloudTrailRecord = {}): CloudTrailRecord {
  const record: CloudTrailRecord = {
    eventVersion: '1.11',
    userIdentity: userIdentity('IAMUser'),
    eventTime: '2026-11-20T10:15:30Z',
    eventSource: GLACIER,
    eventName: 'DescribeVault',
    awsRegion: REGION,
    sourceIPAddress: '198.51.100.15',
    userAgent: 'aws-cli/2.31.0 md/Botocore#1.40.0',
    requestParameters: { accountId: '-', vaultName: 'audit-vault' },
    responseElements: null,
    requestID: randomUUID(),
    eventID: randomUUID(),
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
    ...overrides,
  };
  for (const [name, value] of Object.entries(record)) if (value === undefined) delete record[name];
  return record;
}

export function glacierRecord(eventName: string, overrides: CloudTrailRecord = {}): CloudTrailRecord {
  return cloudTrailRecord({
    eventSource: GLACIER,
    eventName,
    readOnly: /^(Describe|List|Get)/.test(eventName),
    ...overrides,
  });
}

/** A failed DeleteVault: CloudTrail logs the error and no response. */
export function failedDeleteVault(overrides: CloudTrailRecord = {}): CloudTrailRecord {
  return glacierRecord('DeleteVault', {
    errorCode: 'InvalidParameterValueException',
    errorMessage:
      'Vault not empty or recently written to: arn:aws:glacier:us-east-1:999999999999:vaults/audit-vault',
    ...overrides,
  });
}

export function supportRecord(eventName: string, overrides: CloudTrailRecord = {}): CloudTrailRecord {
  const caseId = 'case-999999999999-muen-2026-0123456789abcdef';
  return cloudTrailRecord({
    eventSource: SUPPORT,
    eventName,
    requestParameters:
      eventName === 'CreateCase' ? { severityCode: 'low', issueType: 'technical' } : { caseId },
    responseElements: eventName === 'CreateCase' ? { caseId } : null,
    readOnly: eventName.startsWith('Describe'),
    ...overrides,
  });
}

/** An API call of any service, as CloudTrail records it (management event, write). */
export function apiCallRecord(
  eventSource: string,
  eventName: string,
  requestParameters: Record<string, unknown> | null,
  overrides: CloudTrailRecord = {},
): CloudTrailRecord {
  return cloudTrailRecord({ eventSource, eventName, requestParameters, readOnly: false, ...overrides });
}

/**
 * The EventBridge event CloudTrail sends for an API call: `detail` is the record (without the
 * log-file-only fields), `source` is `aws.<service>`.
 */
export function apiCallEvent(record: CloudTrailRecord): Record<string, unknown> {
  const source = (typeof record.eventSource === 'string' ? record.eventSource : '').replace(
    /\.amazonaws\.com$/,
    '',
  );
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'AWS API Call via CloudTrail',
    source: `aws.${source}`,
    account: record.recipientAccountId ?? ACCOUNT,
    time: record.eventTime,
    region: record.awsRegion,
    resources: [],
    detail: record,
  };
}

/** A record of a service that is not indexed by default. */
export function otherServiceRecord(overrides: CloudTrailRecord = {}): CloudTrailRecord {
  return cloudTrailRecord({
    eventSource: 's3.amazonaws.com',
    eventName: 'GetObject',
    requestParameters: { bucketName: 'some-bucket', key: 'x' },
    ...overrides,
  });
}

/** An Insights record: no eventName, eventSource or userIdentity. */
export function insightRecord(): CloudTrailRecord {
  return {
    eventVersion: '1.08',
    eventTime: '2026-11-20T10:00:00Z',
    awsRegion: REGION,
    eventID: randomUUID(),
    eventType: 'AwsCloudTrailInsight',
    recipientAccountId: ACCOUNT,
    sharedEventID: randomUUID(),
    insightDetails: {
      state: 'Start',
      eventSource: GLACIER,
      eventName: 'DeleteVault',
      insightType: 'ApiCallRateInsight',
    },
    eventCategory: 'Insight',
  };
}

export interface KeyOptions {
  readonly account?: string;
  readonly region?: string;
  /** Delivery time; defaults to now. */
  readonly at?: Date;
  /** A prefix configured on the trail, without trailing slash. */
  readonly prefix?: string;
  /** Organization id for an organization trail. */
  readonly organizationId?: string;
}

function keyParts(options: KeyOptions) {
  const account = options.account ?? ACCOUNT;
  const region = options.region ?? REGION;
  const at = options.at ?? new Date();
  const iso = at.toISOString();
  const day = `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}`;
  const root = [options.prefix, 'AWSLogs', options.organizationId, account]
    .filter((p) => p !== undefined)
    .join('/');
  const compact = iso.replace(/[-:]/g, '').slice(0, 15); // YYYYMMDDTHHmmss
  return { account, region, day, root, compact };
}

const randomSuffix = () => randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase();

/** CloudTrail's log-file key layout. */
export function logFileKey(options: KeyOptions = {}): string {
  const { account, region, day, root, compact } = keyParts(options);
  return `${root}/CloudTrail/${region}/${day}/${account}_CloudTrail_${region}_${compact.slice(0, 13)}Z_${randomSuffix()}.json.gz`;
}

export function digestFileKey(options: KeyOptions & { trail?: string } = {}): string {
  const { account, region, day, root, compact } = keyParts(options);
  return `${root}/CloudTrail-Digest/${region}/${day}/${account}_CloudTrail-Digest_${region}_${options.trail ?? 'trail-index'}_${REGION}_${compact}Z.json.gz`;
}

export function insightFileKey(options: KeyOptions = {}): string {
  const { account, region, day, root, compact } = keyParts(options);
  return `${root}/CloudTrail-Insight/${region}/${day}/${account}_CloudTrail-Insight_${region}_${compact.slice(0, 13)}Z_${randomSuffix()}.json.gz`;
}

/** A log file as CloudTrail writes it: gzip of `{"Records":[...]}`. */
export function logFileBody(records: readonly CloudTrailRecord[]): Buffer {
  return gzipSync(Buffer.from(JSON.stringify({ Records: records })));
}

/** The `Message` CloudTrail publishes for delivered log files. */
export function cloudTrailMessage(bucket: string, keys: readonly string[]): string {
  return JSON.stringify({ s3Bucket: bucket, s3ObjectKey: keys });
}

export const VALIDATION_MESSAGE = 'CloudTrail validation message.';

/** What AWS Config publishes on a shared topic: `s3ObjectKey` is a string. */
export function awsConfigMessage(bucket: string): string {
  return JSON.stringify({
    s3ObjectKey: `AWSLogs/${ACCOUNT}/Config/${REGION}/2026/11/20/ConfigHistory/x.json.gz`,
    s3Bucket: bucket,
    notificationType: 'ConfigurationHistoryDeliveryCompleted',
    messageType: 'ConfigurationHistoryDeliveryCompleted',
  });
}

export const AWS_CONFIG_SUBJECT =
  '[AWS Config:us-east-1] Configuration History Delivery Completed for Account 999999999999';

export const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:trail-index-delivery`;

/** An SNS envelope as SNS delivers it to an SQS subscription (raw delivery off). */
export function snsEnvelope(message: string, options: { topicArn?: string; subject?: string } = {}) {
  const topicArn = options.topicArn ?? TOPIC_ARN;
  return {
    Type: 'Notification',
    MessageId: randomUUID(),
    TopicArn: topicArn,
    ...(options.subject === undefined ? {} : { Subject: options.subject }),
    Message: message,
    Timestamp: new Date().toISOString(),
    SignatureVersion: '1',
    Signature: 'EXAMPLE',
    SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000.pem',
    UnsubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${topicArn}:sub`,
  };
}

/** An `SNSEvent` record as Lambda receives it. */
export function snsEventRecord(
  message: string,
  options: { topicArn?: string; subject?: string } = {},
): SNSEventRecord {
  const envelope = snsEnvelope(message, options);
  return {
    EventVersion: '1.0',
    EventSubscriptionArn: `${envelope.TopicArn}:sub`,
    EventSource: 'aws:sns',
    Sns: {
      Type: envelope.Type,
      MessageId: envelope.MessageId,
      TopicArn: envelope.TopicArn,
      ...(options.subject === undefined ? {} : { Subject: options.subject }),
      Message: message,
      Timestamp: envelope.Timestamp,
      SignatureVersion: envelope.SignatureVersion,
      Signature: envelope.Signature,
      SigningCertUrl: envelope.SigningCertURL,
      UnsubscribeUrl: envelope.UnsubscribeURL,
      MessageAttributes: {},
    },
  };
}

export function snsEvent(...messages: string[]): SNSEvent {
  return { Records: messages.map((m) => snsEventRecord(m)) };
}
