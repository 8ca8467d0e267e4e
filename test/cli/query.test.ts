/**
 * `query` against dynalite over HTTP (endpoints from the Jest global setup): every filter, pages,
 * time ranges, both output formats, `--full` and the exit codes of the real CLI.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BatchWriteCommand, DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { planQuery } from '../../cli/query-plan';
import { runQuery } from '../../cli/query';
import { buildEventItem } from '../../lambdas/shared/event-item';
import { createTableInput, keys } from '../../lambdas/shared/schema';
import {
  CloudTrailRecord,
  failedDeleteVault,
  glacierRecord,
  logFileBody,
  logFileKey,
  supportRecord,
  userIdentity,
} from '../harness/factories';
import { runCli, STACK_FRAME } from './run-cli';

const ACCOUNT = '999999999999';
const OTHER_ACCOUNT = '444455556666';
const CASE_ID = 'case-999999999999-muen-2026-0123456789abcdef';
const ALICE = `arn:aws:iam::${ACCOUNT}:user/janedoe`;
const INTRUDER = `arn:aws:sts::${ACCOUNT}:assumed-role/Ops/ops-session`;
const tableName = `cli-query-${randomUUID()}`;
const client = new DynamoDBClient({});
const doc = DynamoDBDocumentClient.from(client);

const at = (day: number, hour = 10, minute = 0) =>
  `2026-11-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}:00Z`;

const vault = (name: string, account = '-') => ({ accountId: account, vaultName: name });

/** The events of the test index, newest last. */
const records: CloudTrailRecord[] = [
  glacierRecord('CreateVault', { eventTime: at(10), requestParameters: vault('v1') }),
  glacierRecord('DescribeVault', { eventTime: at(11), requestParameters: vault('v1') }),
  failedDeleteVault({
    eventTime: at(12),
    requestParameters: vault('v1'),
    userIdentity: userIdentity('AssumedRole'),
    sourceIPAddress: '203.0.113.77',
  }),
  glacierRecord('DeleteVault', { eventTime: at(13), requestParameters: vault('v1') }),
  // Same vault name, other region: another vault.
  glacierRecord('UploadArchive', {
    eventTime: at(13, 11),
    awsRegion: 'us-west-2',
    requestParameters: vault('v1'),
  }),
  // Same vault name, other account: another vault.
  glacierRecord('CreateVault', {
    eventTime: at(13, 12),
    recipientAccountId: OTHER_ACCOUNT,
    userIdentity: userIdentity('IAMUser', {}, OTHER_ACCOUNT),
    requestParameters: vault('v1', OTHER_ACCOUNT),
  }),
  supportRecord('CreateCase', { eventTime: at(14) }),
  supportRecord('DescribeCases', { eventTime: at(14, 11), requestParameters: { caseIdList: [CASE_ID] } }),
  supportRecord('ResolveCase', { eventTime: at(15) }),
  // A name neither service's list knows: looked up under both and merged.
  glacierRecord('FutureAction', { eventTime: at(16, 1), requestParameters: vault('v2') }),
  supportRecord('FutureAction', { eventTime: at(16, 2), requestParameters: {} }),
  glacierRecord('FutureAction', { eventTime: at(16, 3), requestParameters: vault('v2') }),
  // Many events on one vault, for pagination.
  ...Array.from({ length: 120 }, (_, i) =>
    glacierRecord('DescribeVault', {
      eventTime: at(20, Math.floor(i / 60), i % 60),
      requestParameters: vault('busy'),
    }),
  ),
];

const idOf = (record: CloudTrailRecord) => String(record.eventID);
const newestFirst = (list: CloudTrailRecord[]) =>
  [...list].sort((a, b) =>
    `${String(b.eventTime)}#${idOf(b)}`.localeCompare(`${String(a.eventTime)}#${idOf(a)}`),
  );
const ids = (list: readonly { eventID: string }[]) => list.map((e) => e.eventID);
const cliEnv = { TRAIL_INDEX_TABLE: tableName };

beforeAll(async () => {
  await client.send(new CreateTableCommand(createTableInput(tableName)));
  const items = records.map((record) =>
    buildEventItem(record, {
      logBucket: 'trail-bucket',
      logKey: `AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/2026/11/20/x.json.gz`,
      indexedAt: new Date('2026-11-21T00:00:00Z'),
    }),
  );
  for (let i = 0; i < items.length; i += 25) {
    await doc.send(
      new BatchWriteCommand({
        RequestItems: { [tableName]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) },
      }),
    );
  }
});

afterAll(async () => {
  await client.send(new DeleteTableCommand({ TableName: tableName }));
  client.destroy();
});

describe('runQuery on each index', () => {
  test('--vault: only that account and region, newest first', async () => {
    // Prepare
    const expected = newestFirst(
      records.filter(
        (r) =>
          (r.requestParameters as { vaultName?: string }).vaultName === 'v1' &&
          r.awsRegion === 'us-east-1' &&
          r.recipientAccountId === ACCOUNT,
      ),
    );

    // Act
    const events = await runQuery(
      client,
      tableName,
      planQuery({ vault: 'v1', account: ACCOUNT, region: 'us-east-1' }),
      {
        limit: 50,
      },
    );

    // Assess
    expect(ids(events)).toEqual(expected.map(idOf));
    expect(events.map((e) => e.eventName)).toEqual([
      'DeleteVault',
      'DeleteVault',
      'DescribeVault',
      'CreateVault',
    ]);
  });

  test('--vault in another account finds the vault of that account only', async () => {
    const events = await runQuery(
      client,
      tableName,
      planQuery({ vault: 'v1', account: OTHER_ACCOUNT, region: 'us-east-1' }),
      { limit: 50 },
    );

    expect(events.map((e) => [e.eventName, e.recipientAccountId])).toEqual([['CreateVault', OTHER_ACCOUNT]]);
  });

  test('--case: every action on the case, including DescribeCases by caseIdList', async () => {
    const events = await runQuery(client, tableName, planQuery({ case: CASE_ID }), { limit: 50 });

    expect(events.map((e) => e.eventName)).toEqual(['ResolveCase', 'DescribeCases', 'CreateCase']);
  });

  test('--principal: the events of that caller only', async () => {
    const events = await runQuery(client, tableName, planQuery({ principal: INTRUDER }), { limit: 50 });

    expect(events.map((e) => [e.eventName, e.errorCode])).toEqual([
      ['DeleteVault', 'InvalidParameterValueException'],
    ]);
  });

  test('--event: the service is inferred', async () => {
    const events = await runQuery(client, tableName, planQuery({ event: 'DeleteVault' }), { limit: 50 });

    expect(events.map((e) => e.eventTime)).toEqual([at(13), at(12)]);
  });

  test('--event unknown to both services: both partitions merged newest first', async () => {
    const events = await runQuery(client, tableName, planQuery({ event: 'FutureAction' }), { limit: 50 });

    expect(events.map((e) => [e.eventSource, e.eventTime])).toEqual([
      ['glacier.amazonaws.com', at(16, 3)],
      ['support.amazonaws.com', at(16, 2)],
      ['glacier.amazonaws.com', at(16, 1)],
    ]);
  });

  test('--account --region --service: location key with an eventSource filter', async () => {
    const events = await runQuery(
      client,
      tableName,
      planQuery({ account: ACCOUNT, region: 'us-east-1', service: 'support' }),
      { limit: 50 },
    );

    expect(new Set(events.map((e) => e.eventSource))).toEqual(new Set(['support.amazonaws.com']));
    expect(events).toHaveLength(4);
  });

  test('--region picks the region of the location', async () => {
    const events = await runQuery(client, tableName, planQuery({ account: ACCOUNT, region: 'us-west-2' }), {
      limit: 50,
    });

    expect(events.map((e) => e.eventName)).toEqual(['UploadArchive']);
  });

  test('--errors-only: failed calls only', async () => {
    const events = await runQuery(
      client,
      tableName,
      planQuery({ account: ACCOUNT, region: 'us-east-1', errorsOnly: true }),
      { limit: 50 },
    );

    expect(events.map((e) => e.eventName)).toEqual(['DeleteVault']);
    expect(events[0]?.errorCode).toBe('InvalidParameterValueException');
  });
});

describe('runQuery pages and ranges', () => {
  const busy = () => planQuery({ vault: 'busy', account: ACCOUNT, region: 'us-east-1' });
  const busyIds = () =>
    newestFirst(
      records.filter((r) => (r.requestParameters as { vaultName?: string }).vaultName === 'busy'),
    ).map(idOf);

  test('follows LastEvaluatedKey across pages until the limit', async () => {
    // Prepare
    const pages: number[] = [];

    // Act
    const events = await runQuery(client, tableName, busy(), {
      limit: 500,
      pageSize: 10,
      onPage: (page) => pages.push(page.returned),
    });

    // Assess
    expect(ids(events)).toEqual(busyIds());
    expect(pages.length).toBeGreaterThanOrEqual(12);
  });

  test('stops reading once --limit events passed the filters', async () => {
    const pages: number[] = [];

    const events = await runQuery(client, tableName, busy(), {
      limit: 25,
      pageSize: 10,
      onPage: (page) => pages.push(page.returned),
    });

    expect(ids(events)).toEqual(busyIds().slice(0, 25));
    expect(pages).toHaveLength(3);
  });

  test('paginates through pages that the filter empties', async () => {
    // Only one failed call among ~130 us-east-1 events: most pages return nothing.
    const events = await runQuery(
      client,
      tableName,
      planQuery({ account: ACCOUNT, region: 'us-east-1', errorsOnly: true }),
      { limit: 5, pageSize: 7 },
    );

    expect(events.map((e) => e.eventTime)).toEqual([at(12)]);
  });

  test('--since and --until are inclusive bounds on eventTime', async () => {
    const events = await runQuery(
      client,
      tableName,
      planQuery({ vault: 'v1', account: ACCOUNT, region: 'us-east-1', since: at(11), until: at(12) }),
      { limit: 50 },
    );

    expect(events.map((e) => e.eventTime)).toEqual([at(12), at(11)]);
  });

  test('a range with nothing in it returns nothing', async () => {
    const events = await runQuery(
      client,
      tableName,
      planQuery({ event: 'DeleteVault', since: '2027-01-01T00:00:00Z' }),
      { limit: 50 },
    );

    expect(events).toEqual([]);
  });
});

describe('trail-index query (the real CLI)', () => {
  test('prints an aligned table, newest first', async () => {
    const run = await runCli(['query', '--event', 'DeleteVault'], cliEnv);

    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^TIME\s+SERVICE\s+EVENT\s+OUTCOME\s+PRINCIPAL\s+VAULT\/CASE\s+SOURCE IP\s+LOG FILE$/,
    );
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${at(13)}\\s+glacier\\s+DeleteVault\\s+ok\\s+${ALICE}\\s+vault v1\\s+198\\.51\\.100\\.15\\s+-$`,
        ),
      ),
      expect.stringMatching(
        new RegExp(
          `^${at(12)}\\s+glacier\\s+DeleteVault\\s+FAILED InvalidParameterValueException\\s+${INTRUDER.replace(/[/.]/g, '\\$&')}\\s+vault v1\\s+203\\.0\\.113\\.77\\s+-$`,
        ),
      ),
    ]);
    // Columns line up: every row's OUTCOME starts where the header's does.
    const column = lines[0]?.indexOf('OUTCOME');
    for (const line of lines.slice(1))
      expect(line.slice(column).startsWith('ok') || line.slice(column).startsWith('FAILED')).toBe(true);
  });

  test("says whether each event's log file is verified by its digest (table and --json)", async () => {
    // Prepare: the verifier found the events' log file altered.
    const file = keys.logFile('trail-bucket', `AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/2026/11/20/x.json.gz`);
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...file,
          logBucket: 'trail-bucket',
          logKey: `AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/2026/11/20/x.json.gz`,
          integrity: 'invalid',
        },
      }),
    );

    // Act
    const table = await runCli(['query', '--event', 'DeleteVault'], cliEnv);
    const json = await runCli(['query', '--event', 'DeleteVault', '--json'], cliEnv);
    await doc.send(new DeleteCommand({ TableName: tableName, Key: file }));

    // Assess
    for (const line of table.stdout.trimEnd().split('\n').slice(1)) expect(line).toMatch(/\s+INVALID$/);
    for (const line of json.stdout.trimEnd().split('\n')) {
      expect(JSON.parse(line)).toEqual(expect.objectContaining({ integrity: 'invalid' }));
    }
  });

  test('the table says on stderr when --limit left events out', async () => {
    const cut = await runCli(['query', '--event', 'DeleteVault', '--limit', '1'], cliEnv);
    const whole = await runCli(['query', '--event', 'DeleteVault', '--limit', '2'], cliEnv);

    expect(cut.stdout.trim().split('\n')).toHaveLength(2);
    expect(cut.stderr).toBe(
      '(the newest 1 shown; more match: raise --limit, or narrow with --since/--until)\n',
    );
    expect(whole.stdout.trim().split('\n')).toHaveLength(3);
    expect(whole.stderr).toBe('');
  });

  test('suggestions in errors keep the --table the user gave', async () => {
    const run = await runCli(['query', '--table', tableName, '--account', ACCOUNT]);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `  trail-index query --table ${tableName} --account ${ACCOUNT} --region us-east-1\n`,
    );
  });

  test('--json prints one object per line with the indexed field names', async () => {
    const run = await runCli(['query', '--case', CASE_ID, '--json', '--limit', '2'], cliEnv);

    expect(run.code).toBe(0);
    const lines = run.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      eventName: 'ResolveCase',
      eventSource: 'support.amazonaws.com',
      eventTime: at(15),
      awsRegion: 'us-east-1',
      recipientAccountId: ACCOUNT,
      principal: ALICE,
      principalType: 'IAMUser',
      sourceIPAddress: '198.51.100.15',
      caseId: CASE_ID,
    });
    expect(lines[0]).not.toHaveProperty('record');
    expect(lines[0]).not.toHaveProperty('pk');
  });

  test('--full adds the original record', async () => {
    const original = records.find((r) => r.eventName === 'DeleteVault' && r.errorCode !== undefined);

    const run = await runCli(['query', '--principal', INTRUDER, '--full'], cliEnv);

    expect(run.code).toBe(0);
    const line = JSON.parse(run.stdout.trim()) as { eventID: string; record: unknown };
    expect(line.eventID).toBe(original?.eventID);
    expect(line.record).toEqual(original);
  });

  test('--since/--until in ISO form from the command line', async () => {
    const run = await runCli(
      [
        'query',
        '--vault',
        'v1',
        '--account',
        ACCOUNT,
        '--region',
        'us-east-1',
        '--since',
        at(11),
        '--until',
        at(12),
        '--json',
      ],
      cliEnv,
    );

    expect(run.code).toBe(0);
    expect(
      run.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { eventTime: string }).eventTime),
    ).toEqual([at(12), at(11)]);
  });

  test('--page-size pages through the CLI too', async () => {
    const run = await runCli(
      [
        'query',
        '--vault',
        'busy',
        '--account',
        ACCOUNT,
        '--region',
        'us-east-1',
        '--limit',
        '130',
        '--page-size',
        '7',
        '--json',
      ],
      cliEnv,
    );

    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(120);
  });

  test('an unservable combination exits 2 with a suggestion and no stack trace', async () => {
    const run = await runCli(['query', '--service', 'glacier'], cliEnv);

    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('error: --service alone');
    expect(run.stderr).toContain(
      'trail-index query --account 111122223333 --region us-east-1 --service glacier',
    );
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });

  test('--json on an unservable combination is the same usage error', async () => {
    const run = await runCli(['query', '--vault', 'v1', '--json'], cliEnv);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--vault needs --account and --region');
  });

  test('a table that does not exist exits 1 with the reason and no stack trace', async () => {
    const run = await runCli(['query', '--table', `missing-${randomUUID()}`, '--event', 'DeleteVault']);

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: ResourceNotFoundException/m);
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });

  test('--debug shows the stack trace', async () => {
    const run = await runCli([
      'query',
      '--table',
      `missing-${randomUUID()}`,
      '--event',
      'DeleteVault',
      '--debug',
    ]);

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(STACK_FRAME);
  });

  test('no matching event prints nothing on stdout and says so on stderr', async () => {
    const run = await runCli(['query', '--event', 'AbortVaultLock'], cliEnv);

    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('no events match');
  });
});

describe('query --full on a record too large for its item', () => {
  test('reads the record back from its log file in S3', async () => {
    // Prepare: incompressible parameters, so that not even the gzip fits in 400 KB.
    const s3 = new S3Client({});
    const bucket = `cli-query-${randomUUID()}`;
    const key = logFileKey({ account: OTHER_ACCOUNT, region: 'eu-west-1' });
    const principal = `arn:aws:iam::${OTHER_ACCOUNT}:user/bulk-${randomUUID()}`;
    const big = glacierRecord('SetVaultAccessPolicy', {
      awsRegion: 'eu-west-1',
      recipientAccountId: OTHER_ACCOUNT,
      userIdentity: userIdentity('IAMUser', { arn: principal }, OTHER_ACCOUNT),
      requestParameters: { ...vault('huge'), policy: { Policy: randomBytes(450 * 1024).toString('base64') } },
    });
    const item = buildEventItem(big, { logBucket: bucket, logKey: key, indexedAt: new Date() });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: logFileBody([glacierRecord('ListVaults'), big]),
      }),
    );
    await doc.send(new PutCommand({ TableName: tableName, Item: item }));
    s3.destroy();

    // Act
    const run = await runCli(['query', '--principal', principal, '--full'], cliEnv);

    // Assess
    expect(item.recordStorage).toBe('pointer');
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as { record: unknown }).record).toEqual(big);
  });
});
