/**
 * The real handler against fauxqs (S3, SNS, SQS) and dynalite or DynamoDB Local, over HTTP: log
 * files at CloudTrail's key layout, notifications delivered through the topic's SQS subscription,
 * the index read back through the schema's GSIs and the alerts from the alert topic's queue.
 */
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createHandler, IndexerHandler } from '../../lambdas/indexer/create-handler';
import type * as HandlerModule from '../../lambdas/indexer/handler';
import { defaultDeps } from '../../lambdas/indexer/deps';
import { IndexingFailedError } from '../../lambdas/indexer/errors';
import type { NotificationSummary } from '../../lambdas/indexer/types';
import { recordFromItem } from '../../lambdas/shared/event-item';
import { MAX_RECORD_BYTES } from '../../lambdas/shared/aws-limits';
import { keys } from '../../lambdas/shared/schema';
import {
  ACCOUNT,
  AWS_CONFIG_SUBJECT,
  awsConfigMessage,
  cloudTrailMessage,
  cloudTrailRecord,
  digestFileKey,
  failedDeleteVault,
  glacierRecord,
  insightFileKey,
  insightRecord,
  logFileBody,
  logFileKey,
  otherServiceRecord,
  REGION,
  seedGlacierRecords,
  seedSupportCreateCase,
  supportRecord,
  userIdentity,
  USER_IDENTITY_TYPES,
  VALIDATION_MESSAGE,
} from '../harness/factories';
import {
  createTestPipeline,
  deliver,
  getAlertMarker,
  getEvent,
  putObject,
  queryIndex,
  ReceivedAlert,
  receiveAlerts,
  TestPipeline,
} from '../harness/pipeline';

let p: TestPipeline;
let handler: IndexerHandler;

beforeAll(async () => {
  p = await createTestPipeline();
  // The production wiring: configuration from the environment, clients from AWS_ENDPOINT_URL_*.
  handler = createHandler(defaultDeps());
});

afterAll(() => p.close());

afterEach(async () => {
  // No test leaves alerts behind for the next one (they are on the queue when the handler returns).
  await receiveAlerts(p, 0);
});

async function deliverFiles(files: Record<string, Buffer | string>): Promise<NotificationSummary> {
  for (const [key, body] of Object.entries(files)) await putObject(p, key, body);
  return handler(await deliver(p, [cloudTrailMessage(p.bucket, Object.keys(files))]));
}

async function failureOf(promise: Promise<unknown>): Promise<IndexingFailedError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof IndexingFailedError) return err;
    throw err;
  }
  throw new Error('expected the invocation to fail');
}

describe('the seed records', () => {
  let summary: NotificationSummary;
  const seeds = seedGlacierRecords();
  const support = seedSupportCreateCase();
  const key = logFileKey({ at: new Date('2014-12-10T19:10:00Z') });

  beforeAll(async () => {
    summary = await deliverFiles({ [key]: logFileBody([...seeds, support]) });
  });

  test('every record is indexed, with its source and name counted', () => {
    // Assess
    expect(summary.files).toEqual([
      expect.objectContaining({
        key,
        kind: 'log',
        status: 'indexed',
        recordsScanned: 5,
        eventsIndexed: { 'glacier.amazonaws.com': 4, 'support.amazonaws.com': 1 },
        eventNames: { CreateVault: 1, DeleteVault: 1, ListVaults: 1, DescribeVault: 1, CreateCase: 1 },
        alertsPublished: 1,
      }),
    ]);
  });

  test('the vault is found by account, region and name, newest first, with "-" read as the account', async () => {
    // Act
    const items = await queryIndex(p, 'byResource', keys.vault('999999999999', 'us-east-1', 'myVaultName'));
    // Assess
    expect(items.map((i) => i.eventName).sort()).toEqual(['CreateVault', 'DeleteVault', 'DescribeVault']);
    expect(items.every((i) => i.vaultAccountId === '999999999999')).toBe(true);
    const times = items.map((i) => String(i.ts));
    expect([...times].sort().reverse()).toEqual(times);
  });

  test("the support case is found by its case id from CreateCase's response", async () => {
    // Act
    const items = await queryIndex(
      p,
      'byResource',
      keys.supportCase('case-111122223333-muen-2016-c3f2077e504940f2'),
    );
    // Assess
    expect(items).toEqual([
      expect.objectContaining({
        eventID: '5aa34bfc-ad5b-4fb1-8a55-2277c86e746a',
        eventName: 'CreateCase',
        principal: 'arn:aws:iam::111122223333:user/janedoe',
        principalType: 'IAMUser',
        mfaAuthenticated: false,
        recipientAccountId: '111122223333',
        logBucket: p.bucket,
        logKey: key,
      }),
    ]);
  });

  test('the principal, action and location indexes answer with the summary attributes', async () => {
    // Act
    const byPrincipal = await queryIndex(
      p,
      'byPrincipal',
      keys.principal('arn:aws:iam::999999999999:user/myUserName'),
    );
    const byAction = await queryIndex(p, 'byAction', keys.action('glacier.amazonaws.com', 'DeleteVault'));
    const byLocation = await queryIndex(p, 'byLocation', keys.location('999999999999', 'us-east-1'), {
      since: '2014-12-10T00:00:00Z',
      until: '2014-12-10T19:05:15Z',
    });
    // Assess
    expect(byPrincipal).toHaveLength(4);
    expect(byAction).toEqual([
      expect.objectContaining({
        eventID: 'cdd33060-4758-416a-b7b9-dafd3afcec90',
        eventTime: '2014-12-10T19:05:15Z',
        eventSource: 'glacier.amazonaws.com',
        awsRegion: 'us-east-1',
        accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
        sourceIPAddress: '127.0.0.1',
        userAgent: seeds[1]?.userAgent,
        vaultName: 'myVaultName',
      }),
    ]);
    expect(byLocation).toHaveLength(4);
  });

  test('the base item carries the whole original record', async () => {
    // Act
    const item = await getEvent(p, 'cdd33060-4758-416a-b7b9-dafd3afcec90');
    // Assess
    expect(item === undefined ? undefined : recordFromItem(item)).toEqual({
      storage: 'inline',
      record: seeds[1],
    });
  });

  test('the DeleteVault call raised one alert with its subject, body and filter attributes', async () => {
    // Act
    const marker = await getAlertMarker(p, 'cdd33060-4758-416a-b7b9-dafd3afcec90', 'glacier-delete-vault');
    // Assess
    expect(marker).toEqual(expect.objectContaining({ state: 'sent' }));
    expect(summary.files[0]?.alerts).toEqual([
      expect.objectContaining({
        subject: 'CRITICAL: Glacier vault deleted: myVaultName (999999999999, us-east-1)',
        attributes: {
          eventName: 'DeleteVault',
          account: '999999999999',
          region: 'us-east-1',
          outcome: 'succeeded',
          severity: 'critical',
          rule: 'glacier-delete-vault',
        },
      }),
    ]);
  });
});

test('the alert arrives on the alert topic with a readable body and filter attributes', async () => {
  // Prepare
  const record = glacierRecord('DeleteVault', { userIdentity: userIdentity('AssumedRole') });
  // Act
  await deliverFiles({ [logFileKey()]: logFileBody([record]) });
  const alerts = await receiveAlerts(p);
  // Assess
  expect(alerts).toHaveLength(1);
  expect(alerts[0]?.subject).toBe(`CRITICAL: Glacier vault deleted: audit-vault (${ACCOUNT}, ${REGION})`);
  expect(alerts[0]?.attributes).toEqual({
    eventName: 'DeleteVault',
    account: ACCOUNT,
    region: REGION,
    outcome: 'succeeded',
    severity: 'critical',
    rule: 'glacier-delete-vault',
  });
  expect(alerts[0]?.message).toContain(`arn:aws:sts::${ACCOUNT}:assumed-role/Ops/ops-session`);
  expect(alerts[0]?.message).toMatch(/MFA:\s+yes/);
  expect(alerts[0]?.message).toContain('ASIAEXAMPLESESSION01');
  expect(alerts[0]?.message).toContain('198.51.100.15');
});

test('a failed DeleteVault is alerted too, as a FAILED attempt with its error', async () => {
  // Prepare
  const record = failedDeleteVault();
  // Act
  await deliverFiles({ [logFileKey()]: logFileBody([record]) });
  const alerts = await receiveAlerts(p);
  // Assess
  // SNS caps subjects at 100 characters: the error code gives way before the vault and account.
  expect(alerts.map((a) => a.subject)).toEqual([
    `CRITICAL: Glacier vault deletion FAILED (InvalidParamete...): audit-vault (${ACCOUNT}, ${REGION})`,
  ]);
  expect(alerts[0]?.message).toContain('InvalidParameterValueException');
  expect(alerts[0]?.attributes.outcome).toBe('failed');
  expect(alerts[0]?.message).toContain('Vault not empty or recently written to');
});

test('every key of a notification and every record of an event is processed', async () => {
  // Prepare
  const [a, b, c] = [
    glacierRecord('ListVaults'),
    supportRecord('DescribeCases'),
    glacierRecord('CreateVault'),
  ];
  const [keyA, keyB, keyC] = [
    logFileKey(),
    logFileKey({ region: 'eu-west-1' }),
    logFileKey({ organizationId: 'o-a1b2c3d4e5' }),
  ];
  await putObject(p, keyA, logFileBody([a, otherServiceRecord()]));
  await putObject(p, keyB, logFileBody([b]));
  await putObject(p, keyC, logFileBody([c]));
  const event = await deliver(p, [
    cloudTrailMessage(p.bucket, [keyA, keyB]),
    cloudTrailMessage(p.bucket, [keyC]),
  ]);
  // Act
  const summary = await handler(event);
  // Assess
  expect(summary.files.map((f) => [f.key, f.status, f.recordsScanned])).toEqual([
    [keyA, 'indexed', 2],
    [keyB, 'indexed', 1],
    [keyC, 'indexed', 1],
  ]);
  for (const record of [a, b, c]) expect(await getEvent(p, String(record.eventID))).toBeDefined();
});

test('records of other services are not indexed', async () => {
  // Prepare
  const other = otherServiceRecord();
  // Act
  const summary = await deliverFiles({ [logFileKey()]: logFileBody([other]) });
  // Assess
  expect(summary.files[0]).toEqual(
    expect.objectContaining({ status: 'indexed', recordsScanned: 1, eventsIndexed: {} }),
  );
  expect(await getEvent(p, String(other.eventID))).toBeUndefined();
});

test('the validation message and an AWS Config message are skipped, not errors', async () => {
  // Prepare
  const event = await deliver(p, [
    VALIDATION_MESSAGE,
    { message: awsConfigMessage(p.bucket), subject: AWS_CONFIG_SUBJECT },
  ]);
  // Act
  const summary = await handler(event);
  // Assess
  expect(summary.files).toEqual([]);
  expect(summary.skippedMessages.map((m) => m.reason)).toEqual([
    'cloudtrail-validation-message',
    'not-cloudtrail: s3ObjectKey is a string (AWS Config?)',
  ]);
});

test('digest and Insights files are classified and skipped without being read', async () => {
  // Prepare: not even stored, so reading them would fail.
  const digest = digestFileKey();
  const insight = insightFileKey({ organizationId: 'o-a1b2c3d4e5' });
  // Act
  const summary = await handler(await deliver(p, [cloudTrailMessage(p.bucket, [digest, insight])]));
  // Assess
  expect(summary.files.map((f) => [f.kind, f.status, f.reason])).toEqual([
    ['digest', 'skipped', 'digest-file'],
    ['insight', 'skipped', 'insight-file'],
  ]);
});

test('an Insights record inside a log file is not indexed', async () => {
  // Prepare
  const insight = insightRecord();
  // Act
  const summary = await deliverFiles({ [logFileKey()]: logFileBody([insight]) });
  // Assess
  expect(summary.files[0]?.eventsIndexed).toEqual({});
  expect(await getEvent(p, String(insight.eventID))).toBeUndefined();
});

test('the same file delivered twice and the same event in two files give one item and one alert', async () => {
  // Prepare
  const deletion = glacierRecord('DeleteVault', {
    requestParameters: { accountId: '-', vaultName: 'twice' },
  });
  const first = logFileKey();
  const second = logFileKey();
  await putObject(p, first, logFileBody([deletion]));
  await putObject(p, second, logFileBody([glacierRecord('ListVaults'), deletion]));
  // Act
  const once = await handler(await deliver(p, [cloudTrailMessage(p.bucket, [first])]));
  const again = await handler(await deliver(p, [cloudTrailMessage(p.bucket, [first])]));
  const elsewhere = await handler(await deliver(p, [cloudTrailMessage(p.bucket, [second])]));
  // Assess
  expect([once, again, elsewhere].map((s) => s.files[0]?.alertsPublished)).toEqual([1, 0, 0]);
  expect(await receiveAlerts(p)).toHaveLength(1);
  expect(await queryIndex(p, 'byResource', keys.vault(ACCOUNT, REGION, 'twice'))).toHaveLength(1);
});

test('the same event twice in one file is written once', async () => {
  // Prepare
  const record = glacierRecord('DeleteVault', {
    requestParameters: { accountId: '-', vaultName: 'dup-in-file' },
  });
  // Act
  const summary = await deliverFiles({ [logFileKey()]: logFileBody([record, record]) });
  // Assess
  expect(summary.files[0]?.status).toBe('indexed');
  expect(await queryIndex(p, 'byResource', keys.vault(ACCOUNT, REGION, 'dup-in-file'))).toHaveLength(1);
  expect(await receiveAlerts(p)).toHaveLength(1);
});

describe('broken files mixed with good ones in one notification', () => {
  const good = [glacierRecord('CreateVault'), glacierRecord('DeleteVault')];
  const later = glacierRecord('DescribeVault');
  const json = Buffer.from(JSON.stringify({ Records: [glacierRecord('ListVaults')] }));
  const gz = logFileBody([glacierRecord('ListVaults')]);
  const broken: Record<string, Buffer | undefined> = {
    'not-a-log-file': Buffer.from('PK\u0003\u0004 this is a zip, not a log file'),
    'truncated-gzip': gz.subarray(0, gz.length - 12),
    'trailing-data': Buffer.concat([gz, Buffer.from('garbage')]),
    'invalid-json': gzipSync(Buffer.from('{"Records":[{"eventSource":"glacier.amazonaws.com",')),
    'missing-records': gzipSync(Buffer.from('{"logFiles":[]}')),
    'no-such-key': undefined,
  };
  let error: IndexingFailedError;
  let alerts: ReceivedAlert[];
  const keysByReason = Object.fromEntries(Object.keys(broken).map((reason) => [reason, logFileKey()]));
  const goodKeys = [logFileKey(), logFileKey()];

  beforeAll(async () => {
    for (const [reason, body] of Object.entries(broken)) {
      if (body !== undefined) await putObject(p, keysByReason[reason] ?? '', body);
    }
    await putObject(p, goodKeys[0] ?? '', logFileBody(good));
    await putObject(p, goodKeys[1] ?? '', json.toString().replace('[', `[${JSON.stringify(later)},`));
    const allKeys = [goodKeys[0] ?? '', ...Object.values(keysByReason), goodKeys[1] ?? ''];
    error = await failureOf(handler(await deliver(p, [cloudTrailMessage(p.bucket, allKeys)])));
    alerts = await receiveAlerts(p);
  });

  test('the invocation fails, naming each broken file and its reason', () => {
    // Assess
    const failed = error.summary.files.filter((f) => f.status === 'failed');
    expect(Object.fromEntries(failed.map((f) => [f.key, f.reason]))).toEqual(
      Object.fromEntries(Object.entries(keysByReason).map(([reason, key]) => [key, reason])),
    );
    expect(error.message).toContain('6 of 8 log files failed');
  });

  test('the good files, plain JSON included, are indexed and alerted all the same', async () => {
    // Assess
    expect(error.summary.files.filter((f) => f.status === 'indexed').map((f) => f.key)).toEqual(goodKeys);
    for (const record of [...good, later]) expect(await getEvent(p, String(record.eventID))).toBeDefined();
    expect(alerts.map((a) => a.attributes.eventName)).toEqual(['DeleteVault']);
  });
});

test('a 300 KB record is indexed whole', async () => {
  // Prepare
  const big = glacierRecord('SetVaultAccessPolicy', {
    requestParameters: { accountId: '-', vaultName: 'big', policy: { policy: 'x'.repeat(300 * 1024) } },
  });
  // Act
  const summary = await deliverFiles({ [logFileKey()]: logFileBody([big]) });
  const item = await getEvent(p, String(big.eventID));
  // Assess
  expect(summary.files[0]?.status).toBe('indexed');
  expect(item?.recordStorage).toBe('inline');
  expect(item === undefined ? undefined : recordFromItem(item)).toEqual({ storage: 'inline', record: big });
});

test('a record over 400 KB is stored compressed when that fits', async () => {
  // Prepare: not something CloudTrail writes (256 KB cap), but the index must not cut it.
  const large = glacierRecord('SetVaultNotifications', {
    requestParameters: { accountId: '-', vaultName: 'large', note: 'abc'.repeat(200 * 1024) },
  });
  // Act
  await deliverFiles({ [logFileKey()]: logFileBody([large]) });
  const item = await getEvent(p, String(large.eventID));
  // Assess
  expect(item === undefined ? undefined : recordFromItem(item)).toEqual({ storage: 'gzip', record: large });
});

test('a record too large for an item even compressed is kept as a pointer to its log file', async () => {
  // Prepare: 600 KB of random text, about 450 KB compressed.
  const noise = randomBytes(450 * 1024).toString('base64');
  const huge = glacierRecord('SetVaultNotifications', {
    requestParameters: { accountId: '-', vaultName: 'huge', note: noise },
  });
  const key = logFileKey();
  // Act
  const summary = await deliverFiles({ [key]: logFileBody([huge]) });
  const item = await getEvent(p, String(huge.eventID));
  // Assess
  expect(summary.files[0]?.status).toBe('indexed');
  expect(item === undefined ? undefined : recordFromItem(item)).toEqual({
    storage: 'pointer',
    ref: { bucket: p.bucket, key, eventID: huge.eventID },
  });
  expect(item?.vaultName).toBe('huge');
});

test('every userIdentity type is indexed under its principal', async () => {
  // Prepare
  // A time of their own, so that other tests' events of the same principals stay out of range.
  const eventTime = '2025-01-02T03:04:05Z';
  const records = USER_IDENTITY_TYPES.map((type) =>
    glacierRecord('ListVaults', { eventTime, userIdentity: userIdentity(type) }),
  );
  const expected: Record<string, string> = {
    Root: `arn:aws:iam::${ACCOUNT}:root`,
    IAMUser: `arn:aws:iam::${ACCOUNT}:user/janedoe`,
    AssumedRole: `arn:aws:sts::${ACCOUNT}:assumed-role/Ops/ops-session`,
    Role: `arn:aws:iam::${ACCOUNT}:role/Ops`,
    FederatedUser: `arn:aws:sts::${ACCOUNT}:federated-user/alice`,
    Directory: 'corp\\bob',
    AWSAccount: 'account:111122223333',
    AWSService: 'backup.amazonaws.com',
    SAMLUser: 'bdGOnTesti4nkKkrCqm4Nqr9Ks8=:carol@example.com',
    WebIdentityUser: 'accounts.google.com:dave-subject',
    IdentityCenterUser:
      'arn:aws:identitystore::123456789012:identitystore/d-1234567890/user/906789a1-b0c1-70d2-e3f4-567890abcdef',
    Unknown: 'erin',
  };
  // Act
  await deliverFiles({ [logFileKey()]: logFileBody(records) });
  // Assess
  for (const [index, type] of USER_IDENTITY_TYPES.entries()) {
    const items = await queryIndex(p, 'byPrincipal', keys.principal(expected[type] ?? ''), {
      since: eventTime,
      until: eventTime,
    });
    expect(items.map((i) => [i.eventID, i.principalType])).toEqual([[records[index]?.eventID, type]]);
  }
});

test('records missing optional fields, with unicode, are indexed', async () => {
  // Prepare
  const sparse = cloudTrailRecord({
    userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::${ACCOUNT}:user/zoë` },
    sourceIPAddress: undefined,
    userAgent: undefined,
    readOnly: undefined,
    requestParameters: { accountId: '-', vaultName: 'коробка-🧊' },
  });
  // Act
  await deliverFiles({ [logFileKey()]: logFileBody([sparse]) });
  // Assess
  const items = await queryIndex(p, 'byResource', keys.vault(ACCOUNT, REGION, 'коробка-🧊'));
  expect(items).toEqual([expect.objectContaining({ principal: `arn:aws:iam::${ACCOUNT}:user/zoë` })]);
  expect(items[0]).not.toHaveProperty('sourceIPAddress');
});

test('the exported handler, as Lambda loads it, reads its configuration from the environment', async () => {
  // Prepare: the environment is set (createTestPipeline), so the module's cold start succeeds.
  const { handler: lambdaHandler } = jest.requireActual<typeof HandlerModule>(
    '../../lambdas/indexer/handler',
  );
  const record = supportRecord('ResolveCase', { requestParameters: { caseId: 'case-exported-handler' } });
  const key = logFileKey();
  await putObject(p, key, logFileBody([record]));
  // Act
  const summary = await lambdaHandler(await deliver(p, [cloudTrailMessage(p.bucket, [key])]));
  // Assess
  expect(summary.files.map((f) => f.status)).toEqual(['indexed']);
  expect(await queryIndex(p, 'byResource', keys.supportCase('case-exported-handler'))).toHaveLength(1);
});

describe('a record larger than the scanner keeps (MAX_RECORD_BYTES)', () => {
  const before = glacierRecord('CreateVault');
  const after = glacierRecord('DeleteVault', {
    requestParameters: { accountId: '-', vaultName: 'after-big' },
  });
  const blob = 'y'.repeat(MAX_RECORD_BYTES + 1024);

  test('one of an indexed source: the rest is indexed and alerted, the file fails with the reason', async () => {
    // Prepare
    const big = glacierRecord('SetVaultNotifications', {
      requestParameters: { vaultName: 'big', note: blob },
    });
    const key = logFileKey();
    await putObject(p, key, logFileBody([before, big, after]));

    // Act
    const error = await failureOf(handler(await deliver(p, [cloudTrailMessage(p.bucket, [key])])));
    const alerts = await receiveAlerts(p);

    // Assess
    expect(error.summary.files.map((f) => [f.status, f.reason, f.recordsScanned])).toEqual([
      ['failed', 'record-too-large', 3],
    ]);
    expect(await getEvent(p, String(before.eventID))).toBeDefined();
    expect(await getEvent(p, String(after.eventID))).toBeDefined();
    expect(await getEvent(p, String(big.eventID))).toBeUndefined();
    expect(alerts.map((a) => a.attributes.eventName)).toEqual(['DeleteVault']);
  });

  test('one of another service: skipped, and the file is indexed', async () => {
    // Prepare
    // A service neither indexed nor watched by an alert rule (S3 is: its bucket rules).
    const big = otherServiceRecord({
      eventSource: 'ec2.amazonaws.com',
      eventName: 'RunInstances',
      requestParameters: { note: blob },
    });
    const key = logFileKey();
    await putObject(p, key, logFileBody([before, big]));

    // Act
    const summary = await handler(await deliver(p, [cloudTrailMessage(p.bucket, [key])]));

    // Assess
    expect(summary.files.map((f) => [f.status, f.recordsScanned])).toEqual([['indexed', 2]]);
  });
});

test('DescribeCases naming several cases is found by each of them, once', async () => {
  // Prepare
  const ids = ['case-111-a', 'case-222-b', 'case-333-c'];
  const describe = supportRecord('DescribeCases', { requestParameters: { caseIdList: ids } });

  // Act
  const summary = await deliverFiles({ [logFileKey()]: logFileBody([describe]) });
  const found = await Promise.all(ids.map((id) => queryIndex(p, 'byResource', keys.supportCase(id))));
  const byAction = await queryIndex(
    p,
    'byAction',
    keys.action(String(describe.eventSource), 'DescribeCases'),
  );

  // Assess
  expect(summary.files[0]?.eventsIndexed).toEqual({ [String(describe.eventSource)]: 1 });
  expect(found.map((items) => items.map((item) => [item.eventID, item.caseId]))).toEqual(
    ids.map((id) => [[describe.eventID, id]]),
  );
  expect(byAction.filter((item) => item.eventID === describe.eventID)).toHaveLength(1);
});

describe('notifications that name files outside the trail bucket or prefix', () => {
  test('another bucket is refused unread, never alerted on, and the rest of the message is indexed', async () => {
    // Prepare: a forged vault deletion in a bucket the trail does not use.
    const otherBucket = `planted-${randomBytes(4).toString('hex')}`;
    await p.s3.send(new CreateBucketCommand({ Bucket: otherBucket }));
    const forged = glacierRecord('DeleteVault');
    const forgedKey = logFileKey();
    await p.s3.send(
      new PutObjectCommand({ Bucket: otherBucket, Key: forgedKey, Body: logFileBody([forged]) }),
    );
    const good = glacierRecord('DescribeVault');
    const goodKey = logFileKey();
    await putObject(p, goodKey, logFileBody([good]));

    // Act
    const error = await failureOf(
      handler(
        await deliver(p, [
          cloudTrailMessage(otherBucket, [forgedKey]),
          cloudTrailMessage(p.bucket, [goodKey]),
        ]),
      ),
    );
    const alerts = await receiveAlerts(p, 0);

    // Assess
    expect(error.summary.files.map((f) => [f.bucket, f.status, f.reason, f.recordsScanned])).toEqual([
      [otherBucket, 'failed', 'untrusted-bucket', 0],
      [p.bucket, 'indexed', undefined, 1],
    ]);
    expect(await getEvent(p, String(forged.eventID))).toBeUndefined();
    expect(await getEvent(p, String(good.eventID))).toBeDefined();
    expect(alerts).toEqual([]);
  });

  test('with a key prefix, a log file outside it is refused, and one under it indexed', async () => {
    // Prepare: the function configured for a trail that writes under audit/.
    process.env.LOG_KEY_PREFIX = 'audit';
    const prefixed = createHandler(defaultDeps());
    delete process.env.LOG_KEY_PREFIX;
    const [inside, outside] = [glacierRecord('DeleteVault'), glacierRecord('DeleteVault')];
    const insideKey = logFileKey({ prefix: 'audit' });
    const outsideKey = logFileKey();
    await putObject(p, insideKey, logFileBody([inside]));
    await putObject(p, outsideKey, logFileBody([outside]));

    // Act
    const error = await failureOf(
      prefixed(await deliver(p, [cloudTrailMessage(p.bucket, [insideKey, outsideKey])])),
    );
    const alerts = await receiveAlerts(p);

    // Assess
    expect(error.summary.files.map((f) => [f.key, f.status, f.reason])).toEqual([
      [insideKey, 'indexed', undefined],
      [outsideKey, 'failed', 'outside-prefix'],
    ]);
    expect(await getEvent(p, String(outside.eventID))).toBeUndefined();
    expect(alerts.map((a) => a.attributes.eventName)).toEqual(['DeleteVault']);
  });
});
