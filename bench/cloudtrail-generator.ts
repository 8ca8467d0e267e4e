/**
 * Deterministic generator of realistic CloudTrail log files, for the benchmark and the scanner tests.
 *
 * Mostly other services' events, a small share of Glacier and Support events, every
 * `userIdentity` type, unicode in user agents and parameters, occasional large `requestParameters`
 * (policy documents up to CloudTrail's 100 KB cap), Insight records without `eventSource`, and decoys:
 * records of other services that mention `glacier.amazonaws.com` in nested fields.
 */

/** Small, fast, seedable PRNG (mulberry32): the same seed gives the same file on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;

const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;
const hex = (rng: Rng, n: number) => {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(rng() * 16).toString(16);
  return s;
};
const uuid = (rng: Rng) => `${hex(rng, 8)}-${hex(rng, 4)}-4${hex(rng, 3)}-a${hex(rng, 3)}-${hex(rng, 12)}`;
const alnum = (rng: Rng, n: number) => {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let s = '';
  for (let i = 0; i < n; i++) s += chars[Math.floor(rng() * chars.length)];
  return s;
};

const ACCOUNTS = ['111122223333', '444455556666', '777788889999'];
const poolRng = prng(0x5eed);
const PRINCIPAL_IDS = Array.from({ length: 40 }, () => `AROA${alnum(poolRng, 17)}`);
const ACCESS_KEY_IDS = Array.from({ length: 60 }, () => `ASIA${alnum(poolRng, 16)}`);
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-northeast-1'];
const USER_AGENTS = [
  'aws-cli/2.27.1 md/awscrt#0.26.1 ua/2.1 os/linux#6.8.0 md/arch#x86_64 lang/python#3.13.3',
  'aws-sdk-java/1.12.780 Linux/5.10 OpenJDK_64-Bit_Server_VM/17.0.12+7-LTS java/17.0.12',
  'aws-sdk-js/3.1162.0 ua/2.1 os/linux#6.1 lang/js md/nodejs#20.19.0 api/s3#3.1162.0',
  'Boto3/1.38.2 md/Botocore#1.38.2 ua/2.1 os/linux#5.15 lang/python#3.12.9',
  'console.amazonaws.com',
  'AWS Internal',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Safari/605.1.15 — ünïcødé ✓',
  'terraform-provider-aws/5.98.0 (+https://registry.terraform.io) 日本語クライアント',
];
const UNICODE = [
  'Ärger',
  'naïve café',
  '東京-アーカイブ',
  'архив',
  '🚀-backup',
  'Zürich ß',
  'مرحبا',
  'ελληνικά',
];

const OTHER_SOURCES: readonly (readonly [string, readonly string[]])[] = [
  ['s3.amazonaws.com', ['GetObject', 'PutObject', 'ListObjects', 'HeadBucket', 'GetBucketAcl']],
  ['ec2.amazonaws.com', ['DescribeInstances', 'RunInstances', 'DescribeVolumes', 'CreateTags']],
  ['sts.amazonaws.com', ['AssumeRole', 'GetCallerIdentity', 'AssumeRoleWithWebIdentity']],
  ['iam.amazonaws.com', ['GetRole', 'ListRoles', 'PutRolePolicy', 'CreatePolicyVersion']],
  ['kms.amazonaws.com', ['Decrypt', 'GenerateDataKey', 'Encrypt']],
  ['lambda.amazonaws.com', ['Invoke', 'GetFunction', 'UpdateFunctionCode20150331v2']],
  ['dynamodb.amazonaws.com', ['DescribeTable', 'ListTables', 'UpdateTable']],
  ['logs.amazonaws.com', ['CreateLogStream', 'DescribeLogGroups', 'PutRetentionPolicy']],
  ['cloudtrail.amazonaws.com', ['LookupEvents', 'DescribeTrails', 'GetTrailStatus']],
  ['trustedadvisor.amazonaws.com', ['DescribeChecks', 'DescribeCheckSummaries']],
];
const GLACIER_EVENTS = [
  'ListVaults',
  'DescribeVault',
  'CreateVault',
  'DeleteVault',
  'UploadArchive',
  'DeleteArchive',
  'InitiateJob',
  'GetJobOutput',
  'SetVaultAccessPolicy',
  'AbortVaultLock',
];
const SUPPORT_EVENTS = [
  'CreateCase',
  'DescribeCases',
  'AddCommunicationToCase',
  'ResolveCase',
  'DescribeServices',
];

export const GLACIER = 'glacier.amazonaws.com';
export const SUPPORT = 'support.amazonaws.com';

function userIdentity(rng: Rng, account: string): Record<string, unknown> {
  const type = pick(rng, [
    'IAMUser',
    'IAMUser',
    'AssumedRole',
    'AssumedRole',
    'AssumedRole',
    'AWSService',
    'AWSService',
    'Root',
    'Role',
    'FederatedUser',
    'Directory',
    'AWSAccount',
    'SAMLUser',
    'WebIdentityUser',
    'IdentityCenterUser',
    'Unknown',
  ] as const);
  // Few principals make most calls: identities come from small pools, as in a real account.
  const principalId = pick(rng, PRINCIPAL_IDS);
  const accessKeyId = pick(rng, ACCESS_KEY_IDS);
  switch (type) {
    case 'AWSService':
      // A decoy: other services are invoked by Glacier too, which must not select them.
      return {
        type,
        invokedBy: rng() < 0.05 ? GLACIER : pick(rng, ['cloudtrail.amazonaws.com', 'lambda.amazonaws.com']),
      };
    case 'Root':
      return {
        type,
        principalId: account,
        arn: `arn:aws:iam::${account}:root`,
        accountId: account,
        accessKeyId,
      };
    case 'IAMUser': {
      const userName = pick(rng, ['alice', 'bob', 'ci-deployer', UNICODE[0] ?? 'x', 'backup-operator']);
      return {
        type,
        principalId: pick(rng, PRINCIPAL_IDS).replace('AROA', 'AIDA'),
        arn: `arn:aws:iam::${account}:user/${userName}`,
        accountId: account,
        accessKeyId: pick(rng, ACCESS_KEY_IDS).replace('ASIA', 'AKIA'),
        userName,
      };
    }
    case 'AssumedRole':
    case 'Role': {
      const role = pick(rng, ['Admin', 'ReadOnly', 'BackupRole', 'OrganizationAccountAccessRole']);
      const session = pick(rng, ['alice@example.com', 'i-0abc123def4567890', 'botocore-session-1700000000']);
      return {
        type,
        principalId: `${principalId}:${session}`,
        arn: `arn:aws:sts::${account}:assumed-role/${role}/${session}`,
        accountId: account,
        accessKeyId,
        sessionContext: {
          sessionIssuer: {
            type: 'Role',
            principalId,
            arn: `arn:aws:iam::${account}:role/${role}`,
            accountId: account,
            userName: role,
          },
          webIdFederationData: {},
          attributes: {
            creationDate: '2026-11-20T08:00:00Z',
            mfaAuthenticated: rng() < 0.3 ? 'true' : 'false',
          },
          ec2RoleDelivery: '2.0',
        },
      };
    }
    case 'FederatedUser':
      return {
        type,
        principalId: `${account}:federated`,
        arn: `arn:aws:sts::${account}:federated-user/federated`,
        accountId: account,
        accessKeyId,
      };
    case 'AWSAccount':
      return { type, principalId, accountId: pick(rng, ACCOUNTS) };
    case 'SAMLUser':
    case 'WebIdentityUser':
      return {
        type,
        principalId: `${type === 'SAMLUser' ? 'saml' : 'accounts.google.com'}:${alnum(rng, 12)}`,
        userName: pick(rng, UNICODE),
        identityProvider: type === 'SAMLUser' ? 'ExampleIdP' : 'accounts.google.com',
      };
    case 'Directory':
      return { type, principalId: `d-${alnum(rng, 10)}`, userName: 'dir-user', accountId: account };
    case 'IdentityCenterUser':
      return {
        type,
        accountId: account,
        onBehalfOf: {
          userId: uuid(rng),
          identityStoreArn: `arn:aws:identitystore::${account}:identitystore/d-1`,
        },
        credentialId: alnum(rng, 32),
      };
    case 'Unknown':
      return { type, principalId: '', accountId: account };
  }
}

/** A policy document of roughly `bytes` bytes, as CloudTrail logs it (a JSON string inside an object). */
function bigPolicy(rng: Rng, account: string, bytes: number): string {
  const statements: unknown[] = [];
  let size = 0;
  while (size < bytes) {
    const statement = {
      Sid: `Stmt${alnum(rng, 10)}`,
      Effect: pick(rng, ['Allow', 'Deny']),
      Principal: { AWS: `arn:aws:iam::${pick(rng, ACCOUNTS)}:role/${pick(rng, UNICODE)}` },
      Action: ['glacier:InitiateJob', 'glacier:GetJobOutput', 's3:GetObject'],
      Resource: `arn:aws:glacier:us-east-1:${account}:vaults/${alnum(rng, 8)}`,
      Condition: { StringEquals: { 'aws:PrincipalOrgID': `o-${alnum(rng, 10).toLowerCase()}` } },
    };
    size += JSON.stringify(statement).length;
    statements.push(statement);
  }
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

export interface GeneratorOptions {
  /** Share of records whose eventSource is Glacier or Support. */
  readonly selectedShare: number;
  /** Share of records with large (5–100 KB) requestParameters. */
  readonly largeShare?: number;
}

/** One CloudTrail record. */
export function makeRecord(rng: Rng, options: GeneratorOptions): Record<string, unknown> {
  const account = pick(rng, ACCOUNTS);
  const region = pick(rng, REGIONS);
  const time = new Date(Date.UTC(2026, 10, 20) + Math.floor(rng() * 86_400_000)).toISOString();
  if (rng() < 0.0005) {
    return {
      eventVersion: '1.07',
      eventTime: time,
      awsRegion: region,
      eventID: uuid(rng),
      eventType: 'AwsCloudTrailInsight',
      recipientAccountId: account,
      sharedEventID: uuid(rng),
      insightDetails: {
        state: 'Start',
        eventSource: GLACIER,
        eventName: 'DeleteVault',
        insightType: 'ApiCallRateInsight',
      },
      eventCategory: 'Insight',
    };
  }
  const selected = rng() < options.selectedShare;
  let eventSource: string;
  let eventName: string;
  let requestParameters: Record<string, unknown> | null;
  let responseElements: Record<string, unknown> | null = null;
  if (selected && rng() < 0.6) {
    eventSource = GLACIER;
    eventName = pick(rng, GLACIER_EVENTS);
    const vaultName =
      rng() < 0.2 ? pick(rng, UNICODE).replace(/[^\w-]/g, '') || 'vault' : `vault-${alnum(rng, 3)}`;
    requestParameters = { accountId: rng() < 0.7 ? '-' : account, vaultName };
    if (eventName === 'SetVaultAccessPolicy') {
      requestParameters.policy = { policy: bigPolicy(rng, account, 600) };
    }
    if (eventName === 'CreateVault') responseElements = { location: `/${account}/vaults/${vaultName}` };
  } else if (selected) {
    eventSource = SUPPORT;
    eventName = pick(rng, SUPPORT_EVENTS);
    const caseId = `case-${account}-muen-2026-${hex(rng, 16)}`;
    requestParameters =
      eventName === 'CreateCase' ? { subject: pick(rng, UNICODE), severityCode: 'low' } : { caseId };
    if (eventName === 'CreateCase') responseElements = { caseId };
  } else {
    const [source, names] = pick(rng, OTHER_SOURCES);
    eventSource = source;
    eventName = pick(rng, names);
    requestParameters = {
      bucketName: `logs-${alnum(rng, 6).toLowerCase()}`,
      key: `${pick(rng, UNICODE)}/${uuid(rng)}.json`,
      // A decoy: the selected source's name in another service's parameters.
      ...(rng() < 0.005 ? { serviceName: GLACIER, eventSource: SUPPORT } : {}),
    };
    if (rng() < (options.largeShare ?? 0.01)) {
      requestParameters.policyDocument = bigPolicy(
        rng,
        account,
        rng() < 0.05 ? 100_000 : 5_000 + rng() * 20_000,
      );
    }
    if (rng() < 0.3) responseElements = { requestId: uuid(rng), items: [{ id: alnum(rng, 12), size: 1024 }] };
  }
  const failed = rng() < 0.05;
  return {
    eventVersion: pick(rng, ['1.08', '1.09', '1.10', '1.11']),
    userIdentity: userIdentity(rng, account),
    eventTime: time,
    eventSource,
    eventName,
    awsRegion: region,
    sourceIPAddress:
      rng() < 0.1
        ? 'AWS Internal'
        : `${1 + Math.floor(rng() * 223)}.${Math.floor(rng() * 256)}.${Math.floor(rng() * 256)}.${Math.floor(rng() * 256)}`,
    userAgent: pick(rng, USER_AGENTS),
    ...(failed
      ? { errorCode: 'AccessDenied', errorMessage: `User is not authorized — ${pick(rng, UNICODE)}` }
      : {}),
    requestParameters,
    responseElements: failed ? null : responseElements,
    requestID: alnum(rng, 20),
    eventID: uuid(rng),
    readOnly: eventName.startsWith('Describe') || eventName.startsWith('List') || eventName.startsWith('Get'),
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: account,
    eventCategory: 'Management',
    tlsDetails: {
      tlsVersion: 'TLSv1.3',
      cipherSuite: 'TLS_AES_128_GCM_SHA256',
      clientProvidedHostHeader: `${eventSource.split('.')[0] ?? 'x'}.${region}.amazonaws.com`,
    },
  };
}

/**
 * The JSON text of a log file of about `targetBytes` bytes, as string pieces (so that a 600 MB
 * file never exists as one string).
 */
export function* logFileText(
  seed: number,
  targetBytes: number,
  options: GeneratorOptions,
): Generator<string> {
  const rng = prng(seed);
  let size = 12;
  yield '{"Records":[';
  let first = true;
  while (size < targetBytes) {
    const text = JSON.stringify(makeRecord(rng, options));
    size += text.length + 1;
    yield first ? text : `,${text}`;
    first = false;
  }
  yield ']}';
}
