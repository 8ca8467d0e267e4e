/**
 * Writes the sample CloudTrail log files that `trail-index local` (`npm start`) indexes when no
 * `--logs` is given. Run with `npx tsx cli/generate-samples.ts`; the output is committed and
 * deterministic (fixed ids, gzip without a timestamp), so rerunning changes nothing.
 *
 * The story the samples tell:
 * - 999999999999 us-east-1, 2014-12-10: the S3 Glacier guide's four records, verbatim (a vault
 *   created, deleted, listed and described), among other services' events;
 * - 999999999999 us-east-1, 2014-12-11: an assumed role from an unfamiliar address enumerates
 *   vaults, retrieves an inventory, then tries to delete a vault that is not empty: a FAILED
 *   DeleteVault;
 * - 999999999999 us-west-2, 2014-12-11: backups written by a user and by AWS Backup (an AWSService caller);
 * - 111122223333 us-east-1, 2016-04-13/14: the AWS Support guide's CreateCase, verbatim, then the
 *   case's life (described, answered, resolved) and a Trusted Advisor call;
 * - CloudTrail's signed digests of those hours: one chain per account and region, an empty hour
 *   among them, signed as CloudTrail signs them with a key pair committed for the purpose
 *   (`samples/keys/`), its public key in `samples/public-keys.json` as `aws cloudtrail
 *   list-public-keys` prints it, and each digest's signature beside it in
 *   `<digest>.metadata.json` (the S3 metadata a download loses). Local mode verifies them.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { fingerprintOf, publicKeyListEntry, signDigest } from './digest-signer';
import { METADATA_SUFFIX } from './folder-store';
import { seedGlacierRecords, seedSupportCreateCase } from './seed-records';

type CloudTrailRecord = Record<string, unknown>;

const HERE = join(__dirname, '..', 'samples');
const GLACIER = 'glacier.amazonaws.com';
const SUPPORT = 'support.amazonaws.com';
const CASE_ID = 'case-111122223333-muen-2016-c3f2077e504940f2';

/** Deterministic eventID/requestID: a UUID-shaped string derived from a label. */
function id(label: string): string {
  let h = 0x811c9dc5;
  const bytes: number[] = [];
  for (let i = 0; i < 16; i += 1) {
    for (const c of `${label}:${i}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
    bytes.push(h & 0xff);
  }
  const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const iamUser = (account: string, name: string, accessKeyId: string) => ({
  type: 'IAMUser',
  principalId: `AIDA${name.toUpperCase().padEnd(17, 'X').slice(0, 17)}`,
  arn: `arn:aws:iam::${account}:user/${name}`,
  accountId: account,
  accessKeyId,
  userName: name,
});

const assumedRole = (account: string, role: string, session: string, mfa: boolean) => ({
  type: 'AssumedRole',
  principalId: `AROAEXAMPLEROLEID01:${session}`,
  arn: `arn:aws:sts::${account}:assumed-role/${role}/${session}`,
  accountId: account,
  accessKeyId: 'ASIAEXAMPLESESSION77',
  sessionContext: {
    sessionIssuer: {
      type: 'Role',
      principalId: 'AROAEXAMPLEROLEID01',
      arn: `arn:aws:iam::${account}:role/${role}`,
      accountId: account,
      userName: role,
    },
    attributes: { mfaAuthenticated: String(mfa), creationDate: '2014-12-11T02:01:12Z' },
  },
});

interface Call {
  readonly label: string;
  readonly time: string;
  readonly source: string;
  readonly name: string;
  readonly identity: Record<string, unknown>;
  readonly ip: string;
  readonly agent: string;
  readonly request?: Record<string, unknown> | null;
  readonly response?: Record<string, unknown> | null;
  readonly error?: { code: string; message: string };
  readonly region?: string;
  readonly account: string;
}

function call(c: Call): CloudTrailRecord {
  return {
    eventVersion: '1.08',
    userIdentity: c.identity,
    eventTime: c.time,
    eventSource: c.source,
    eventName: c.name,
    awsRegion: c.region ?? 'us-east-1',
    sourceIPAddress: c.ip,
    userAgent: c.agent,
    ...(c.error === undefined ? {} : { errorCode: c.error.code, errorMessage: c.error.message }),
    requestParameters: c.request ?? null,
    responseElements: c.response ?? null,
    requestID: id(`${c.label}:request`),
    eventID: id(c.label),
    readOnly: /^(Describe|List|Get)/.test(c.name),
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: c.account,
    eventCategory: 'Management',
  };
}

const CLI = 'aws-cli/1.7.4 Python/2.7.8 Darwin/14.0.0';
const SDK = 'aws-sdk-java/1.9.6 Mac_OS_X/10.9.5 Java_HotSpot(TM)_64-Bit_Server_VM/25.25-b02/1.8.0_25';

function files(): { key: string; body: Buffer }[] {
  const a = '999999999999';
  const b = '111122223333';
  const ops = iamUser(a, 'myUserName', 'AKIAIOSFODNN7EXAMPLE');
  const intruder = assumedRole(a, 'ci-deploy', 'i-0abc1234', false);
  const backupUser = iamUser(a, 'backup-operator', 'AKIAI44QH8DHBEXAMPLE');
  const jane = seedSupportCreateCase().userIdentity as Record<string, unknown>;

  const glacierDay1 = [
    ...seedGlacierRecords(),
    call({
      label: 's3-list',
      time: '2014-12-10T19:01:02Z',
      source: 's3.amazonaws.com',
      name: 'ListBuckets',
      identity: ops,
      ip: '127.0.0.1',
      agent: CLI,
      account: a,
    }),
    call({
      label: 'ec2-describe',
      time: '2014-12-10T19:03:44Z',
      source: 'ec2.amazonaws.com',
      name: 'DescribeInstances',
      identity: ops,
      ip: '127.0.0.1',
      agent: CLI,
      account: a,
      request: { instancesSet: {} },
    }),
    call({
      label: 'sts-whoami',
      time: '2014-12-10T19:06:20Z',
      source: 'sts.amazonaws.com',
      name: 'GetCallerIdentity',
      identity: ops,
      ip: '127.0.0.1',
      agent: CLI,
      account: a,
    }),
  ];

  const vault = { accountId: '-', vaultName: 'audit-archive' };
  const glacierDay2 = [
    call({
      label: 'intruder-sts',
      time: '2014-12-11T02:01:15Z',
      source: 'sts.amazonaws.com',
      name: 'GetCallerIdentity',
      identity: intruder,
      ip: '203.0.113.77',
      agent: CLI,
      account: a,
    }),
    call({
      label: 'intruder-list',
      time: '2014-12-11T02:02:03Z',
      source: GLACIER,
      name: 'ListVaults',
      identity: intruder,
      ip: '203.0.113.77',
      agent: CLI,
      account: a,
      request: { accountId: '-' },
    }),
    call({
      label: 'intruder-job',
      time: '2014-12-11T02:02:41Z',
      source: GLACIER,
      name: 'InitiateJob',
      identity: intruder,
      ip: '203.0.113.77',
      agent: CLI,
      account: a,
      request: { ...vault, jobParameters: { type: 'inventory-retrieval', format: 'JSON' } },
      response: {
        jobId: 'HkF9p6o7yjhFx-K3CGl6fuSm6VzW9T7esGQfco8nUXVYwS0jlb5gq1JZ55yHgt5vP54ZShjoQzQVVh7vEXAMPLEjobID',
        location: `/${a}/vaults/audit-archive/jobs/HkF9p6o7yjhFx`,
      },
    }),
    call({
      label: 'intruder-output',
      time: '2014-12-11T06:05:10Z',
      source: GLACIER,
      name: 'GetJobOutput',
      identity: intruder,
      ip: '203.0.113.77',
      agent: CLI,
      account: a,
      request: {
        ...vault,
        jobId: 'HkF9p6o7yjhFx-K3CGl6fuSm6VzW9T7esGQfco8nUXVYwS0jlb5gq1JZ55yHgt5vP54ZShjoQzQVVh7vEXAMPLEjobID',
      },
    }),
    call({
      label: 'intruder-delete',
      time: '2014-12-11T06:07:52Z',
      source: GLACIER,
      name: 'DeleteVault',
      identity: intruder,
      ip: '203.0.113.77',
      agent: CLI,
      account: a,
      request: vault,
      error: {
        code: 'InvalidParameterValueException',
        message: `Vault not empty or recently written to: arn:aws:glacier:us-east-1:${a}:vaults/audit-archive`,
      },
    }),
    call({
      label: 'iam-users',
      time: '2014-12-11T06:09:30Z',
      source: 'iam.amazonaws.com',
      name: 'ListUsers',
      identity: intruder,
      ip: '203.0.113.77',
      agent: CLI,
      account: a,
    }),
  ];

  const west = { accountId: a, vaultName: 'backups-west' };
  const glacierWest = [
    call({
      label: 'west-create',
      time: '2014-12-11T09:00:05Z',
      source: GLACIER,
      name: 'CreateVault',
      identity: backupUser,
      ip: '192.0.2.10',
      agent: SDK,
      account: a,
      region: 'us-west-2',
      request: west,
      response: { location: `/${a}/vaults/backups-west` },
    }),
    call({
      label: 'west-upload',
      time: '2014-12-11T09:12:40Z',
      source: GLACIER,
      name: 'UploadArchive',
      identity: backupUser,
      ip: '192.0.2.10',
      agent: SDK,
      account: a,
      region: 'us-west-2',
      request: { ...west, archiveDescription: 'nightly' },
      response: {
        archiveId:
          'NkbByEejwEggmBz2fTHgJrg0XBoDfjP4q6iu87-TjhqG6eGoOY9Z8i1_AUyUsuhPAdTqLHy8pTl5nfCFJmDl2yEZONi5L26Omw12vcs01MNGntHEQL8MBfGlqrEXAMPLEArchiveId',
      },
    }),
    call({
      label: 'west-backup',
      time: '2014-12-11T09:30:00Z',
      source: GLACIER,
      name: 'UploadArchive',
      identity: { type: 'AWSService', invokedBy: 'backup.amazonaws.com' },
      ip: 'backup.amazonaws.com',
      agent: 'backup.amazonaws.com',
      account: a,
      region: 'us-west-2',
      request: { ...west, archiveDescription: 'aws-backup' },
    }),
    call({
      label: 'west-s3',
      time: '2014-12-11T09:31:00Z',
      source: 's3.amazonaws.com',
      name: 'GetBucketLocation',
      identity: backupUser,
      ip: '192.0.2.10',
      agent: SDK,
      account: a,
      region: 'us-west-2',
      request: { bucketName: 'backup-staging' },
    }),
  ];

  const support1 = [
    seedSupportCreateCase(),
    call({
      label: 'case-describe',
      time: '2016-04-13T18:07:10Z',
      source: SUPPORT,
      name: 'DescribeCases',
      identity: jane,
      ip: '198.51.100.15',
      agent: 'signin.amazonaws.com',
      account: b,
      request: { caseIdList: [CASE_ID], includeResolvedCases: false },
    }),
    call({
      label: 'case-reply',
      time: '2016-04-13T18:12:55Z',
      source: SUPPORT,
      name: 'AddCommunicationToCase',
      identity: jane,
      ip: '198.51.100.15',
      agent: 'signin.amazonaws.com',
      account: b,
      request: { caseId: CASE_ID },
      response: { result: true },
    }),
    call({
      label: 'console-login',
      time: '2016-04-13T17:51:37Z',
      source: 'signin.amazonaws.com',
      name: 'ConsoleLogin',
      identity: jane,
      ip: '198.51.100.15',
      agent: 'Mozilla/5.0',
      account: b,
      response: { ConsoleLogin: 'Success' },
    }),
  ];
  const support2 = [
    call({
      label: 'case-resolve',
      time: '2016-04-14T08:40:00Z',
      source: SUPPORT,
      name: 'ResolveCase',
      identity: jane,
      ip: '198.51.100.15',
      agent: 'signin.amazonaws.com',
      account: b,
      request: { caseId: CASE_ID },
      response: { initialCaseStatus: 'opened', finalCaseStatus: 'resolved' },
    }),
    call({
      label: 'ta-checks',
      time: '2016-04-14T08:45:31Z',
      source: SUPPORT,
      name: 'DescribeTrustedAdvisorChecks',
      identity: jane,
      ip: '198.51.100.15',
      agent: 'signin.amazonaws.com',
      account: b,
      request: { language: 'en' },
    }),
    call({
      label: 'ec2-b',
      time: '2016-04-14T08:50:00Z',
      source: 'ec2.amazonaws.com',
      name: 'DescribeRegions',
      identity: jane,
      ip: '198.51.100.15',
      agent: 'signin.amazonaws.com',
      account: b,
    }),
  ];

  const log = (account: string, region: string, delivered: string, suffix: string) => {
    const day = `${delivered.slice(0, 4)}/${delivered.slice(4, 6)}/${delivered.slice(6, 8)}`;
    return `AWSLogs/${account}/CloudTrail/${region}/${day}/${account}_CloudTrail_${region}_${delivered}_${suffix}.json.gz`;
  };
  const gz = (value: unknown) => gzipSync(Buffer.from(JSON.stringify(value)), { level: 9 });

  return [
    { key: log(a, 'us-east-1', '20141210T1910Z', 'm3Lq8XkP2dRt7VbN'), body: gz({ Records: glacierDay1 }) },
    { key: log(a, 'us-east-1', '20141211T0615Z', 'Qw9zR4yT1uIo5PaS'), body: gz({ Records: glacierDay2 }) },
    { key: log(a, 'us-west-2', '20141211T0935Z', 'Df6gH2jK8lZx3CvB'), body: gz({ Records: glacierWest }) },
    { key: log(b, 'us-east-1', '20160413T1815Z', 'Nm7Qa1Ws5Ed9Rf3T'), body: gz({ Records: support1 }) },
    { key: log(b, 'us-east-1', '20160414T0850Z', 'Gy4Hu8Ji2Ko6Lp0Z'), body: gz({ Records: support2 }) },
  ];
}

/** The bucket local mode puts the samples in (DEFAULT_PIPELINE_NAMES.bucket): digests name it. */
const SAMPLE_BUCKET = 'trail-index-logs';
const KEY_PATH = join(HERE, 'keys', 'sample-signing-key.pem');

/** The committed sample key pair: made once, then reused so that the samples do not change. */
function signingKey() {
  if (!existsSync(KEY_PATH)) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    mkdirSync(dirname(KEY_PATH), { recursive: true });
    writeFileSync(KEY_PATH, privateKey.export({ format: 'pem', type: 'pkcs8' }));
  }
  const privateKey = createPrivateKey(readFileSync(KEY_PATH));
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/**
 * The digests of the sample hours: per account and region a chain of the hours that delivered a
 * file (CloudTrail also writes one for an hour that delivered none: the 07:00-08:00 one here).
 */
function digests(logs: readonly { key: string; body: Buffer }[]) {
  const { privateKey, publicKey } = signingKey();
  const fingerprint = fingerprintOf(publicKey);
  const sha256 = (key: string) => {
    const file = logs.find((l) => l.key === key);
    if (file === undefined) throw new Error(`no sample log file ${key}`);
    return createHash('sha256').update(gunzipSync(file.body)).digest('hex');
  };
  const chains: { account: string; region: string; hours: { end: string; logs: string[] }[] }[] = [
    {
      account: '999999999999',
      region: 'us-east-1',
      hours: [
        {
          end: '2014-12-10T20:00:00Z',
          logs: logs.filter((l) => l.key.includes('us-east-1_20141210T1910Z')).map((l) => l.key),
        },
        {
          end: '2014-12-11T07:00:00Z',
          logs: logs.filter((l) => l.key.includes('us-east-1_20141211T0615Z')).map((l) => l.key),
        },
        { end: '2014-12-11T08:00:00Z', logs: [] },
      ],
    },
    {
      account: '999999999999',
      region: 'us-west-2',
      hours: [
        {
          end: '2014-12-11T10:00:00Z',
          logs: logs.filter((l) => l.key.includes('us-west-2_20141211T0935Z')).map((l) => l.key),
        },
      ],
    },
    {
      account: '111122223333',
      region: 'us-east-1',
      hours: [
        {
          end: '2016-04-13T19:00:00Z',
          logs: logs.filter((l) => l.key.includes('20160413T1815Z')).map((l) => l.key),
        },
        {
          end: '2016-04-14T09:00:00Z',
          logs: logs.filter((l) => l.key.includes('20160414T0850Z')).map((l) => l.key),
        },
      ],
    },
  ];
  const out: { key: string; body: Buffer; metadata: Record<string, string> }[] = [];
  for (const chain of chains) {
    let previous: { bucket: string; key: string; signature: string } | null = null;
    for (const hour of chain.hours) {
      const end = new Date(hour.end);
      const signed = signDigest({
        bucket: SAMPLE_BUCKET,
        accountId: chain.account,
        region: chain.region,
        trailName: 'trail-index',
        homeRegion: 'us-east-1',
        start: new Date(end.getTime() - 3_600_000),
        end,
        privateKey,
        fingerprint,
        previous,
        logFiles: hour.logs.map((key) => ({ bucket: SAMPLE_BUCKET, key, sha256: sha256(key) })),
      });
      out.push({ key: signed.key, body: signed.body, metadata: signed.metadata });
      previous = { bucket: SAMPLE_BUCKET, key: signed.key, signature: signed.signature };
    }
  }
  const publicKeys = {
    PublicKeyList: [
      publicKeyListEntry(publicKey, new Date('2014-01-01T00:00:00Z'), new Date('2030-01-01T00:00:00Z')),
    ],
  };
  return { digests: out, publicKeys };
}

function main(): void {
  rmSync(join(HERE, 'AWSLogs'), { recursive: true, force: true });
  const logs = files();
  const { digests: signed, publicKeys } = digests(logs);
  for (const file of [...logs, ...signed]) {
    const path = join(HERE, file.key);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.body);
    if ('metadata' in file)
      writeFileSync(`${path}${METADATA_SUFFIX}`, `${JSON.stringify(file.metadata, null, 2)}\n`);
    process.stdout.write(`${file.key} (${file.body.length} bytes)\n`);
  }
  writeFileSync(join(HERE, 'public-keys.json'), `${JSON.stringify(publicKeys, null, 2)}\n`);
}

main();
