/**
 * The deployed verifier, end to end on the emulators: the indexer indexes the log files (and
 * records their hashes), then the verifier Lambda's handler checks the digests in the bucket, with
 * CloudTrail's keys from a local ListPublicKeys endpoint. Each tampering is alerted once, on the
 * alert topic, and the index says which files are verified.
 */
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { gzipSync } from 'node:zlib';
import { ENV } from '../../lambdas/shared/config';
import { defaultDeps } from '../../lambdas/indexer/deps';
import { processLogFile } from '../../lambdas/indexer/process-log-file';
import { keys } from '../../lambdas/shared/schema';
import { handler } from '../../lambdas/verifier/handler';
import { startCloudTrailEndpoint, type CloudTrailEndpoint } from '../harness/cloudtrail-endpoint';
import { buildScenario, putScenario, type Scenario } from '../harness/digest-scenarios';
import { createTestPipeline, receiveAlerts, type TestPipeline } from '../harness/pipeline';

let cloudtrail: CloudTrailEndpoint;
const pipelines: TestPipeline[] = [];

beforeAll(async () => {
  cloudtrail = await startCloudTrailEndpoint(buildScenario('valid').publicKeys.PublicKeyList);
  process.env.AWS_ENDPOINT_URL_CLOUDTRAIL = cloudtrail.url;
});

afterAll(async () => {
  await cloudtrail.close();
  for (const p of pipelines) p.close();
});

/** A pipeline holding the scenario, its log files indexed as the indexer indexes them. */
async function deployed(
  name: Parameters<typeof buildScenario>[0],
): Promise<{ p: TestPipeline; scenario: Scenario }> {
  const p = await createTestPipeline();
  pipelines.push(p);
  const scenario = buildScenario(name, p.bucket);
  await putScenario(p.s3, scenario);
  process.env[ENV.verifyFirstRunHours] = String(24 * 7);
  const deps = defaultDeps();
  for (const file of scenario.files) {
    if (file.key.includes('/CloudTrail/')) await processLogFile(deps, { bucket: p.bucket, key: file.key });
  }
  return { p, scenario };
}

async function fileState(p: TestPipeline, key: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await p.db.send(
    new GetCommand({ TableName: p.tableName, Key: keys.logFile(p.bucket, key) }),
  );
  return Item;
}

const subjects = (alerts: { subject: string | undefined }[]) => alerts.map((a) => a.subject).sort();

describe('the verifier', () => {
  test('verifies a valid chain from the hashes the indexer recorded, reading no log file again', async () => {
    // Prepare
    const { p, scenario } = await deployed('valid');

    // Act
    const report = await handler({});

    // Assess
    expect(report).toEqual(
      expect.objectContaining({ digestsVerified: 4, logFilesVerified: 8, logFilesRead: 0, findings: [] }),
    );
    const logKey = scenario.files.find((f) => f.key.includes('/CloudTrail/'))!.key;
    expect(await fileState(p, logKey)).toEqual(
      expect.objectContaining({
        integrity: 'verified',
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
      }),
    );
    expect(await receiveAlerts(p)).toEqual([]);
  });

  test.each<[Parameters<typeof buildScenario>[0], string[]]>([
    ['modified-log', ['CloudTrail log file INVALID (111122223333, us-east-1)']],
    ['deleted-log', ['CloudTrail log file MISSING (111122223333, us-east-1)']],
    ['altered-signature', ['CloudTrail digest INVALID (111122223333, us-east-1)']],
    ['unknown-key', ['CloudTrail digest INVALID (111122223333, us-east-1)']],
    ['appended-data', ['CloudTrail log file INVALID (111122223333, us-east-1)']],
    ['logging-gap', ['CloudTrail digest chain GAP (111122223333, us-east-1)']],
  ])('%s: alerts once, however often it runs', async (name, expected) => {
    // Prepare
    const { p } = await deployed(name);

    // Act
    await handler({});
    const first = await receiveAlerts(p);
    await handler({});
    const second = await receiveAlerts(p);

    // Assess
    expect(subjects(first)).toEqual(expected);
    expect(second).toEqual([]);
  });

  test('a digest deleted after the verifier saw the one before it is alerted as missing', async () => {
    // Prepare: the verifier has checked the first two hours when the third's digest is deleted.
    const { p, scenario } = await deployed('valid');
    const digests = scenario.files.filter((f) => f.key.includes('CloudTrail-Digest'));
    const later = digests.slice(2);
    for (const d of later) await p.s3.send(new DeleteObjectCommand({ Bucket: p.bucket, Key: d.key }));
    await handler({});
    // Meanwhile log files arrived with no digest for them: rightly overdue.
    expect(subjects(await receiveAlerts(p))).toEqual([
      'CloudTrail digests OVERDUE (111122223333, us-east-1)',
    ]);
    await p.s3.send(
      new PutObjectCommand({
        Bucket: p.bucket,
        Key: later[1]!.key,
        Body: later[1]!.body,
        Metadata: later[1]!.metadata,
      }),
    );

    // Act
    const report = await handler({});

    // Assess
    expect(report.digestsMissing).toBe(1);
    const alerts = await receiveAlerts(p);
    expect(subjects(alerts)).toEqual(['CloudTrail digest MISSING (111122223333, us-east-1)']);
    expect(alerts[0]!.message).toContain(later[0]!.key);
  });

  test('a log file replaced after it was verified is alerted when it is indexed again', async () => {
    // Prepare
    const { p, scenario } = await deployed('valid');
    await handler({});
    const target = scenario.files.find((f) => f.key.includes('/CloudTrail/'))!;
    await p.s3.send(
      new PutObjectCommand({ Bucket: p.bucket, Key: target.key, Body: gzipSync('{"Records":[]}') }),
    );

    // Act
    const result = await processLogFile(defaultDeps(), { bucket: p.bucket, key: target.key });

    // Assess
    expect(result.alertsPublished).toBe(1);
    expect(subjects(await receiveAlerts(p))).toEqual([
      'CloudTrail log file INVALID (111122223333, us-east-1)',
    ]);
    expect(await fileState(p, target.key)).toEqual(expect.objectContaining({ integrity: 'invalid' }));
  });

  test('digests that stop while log files keep coming are overdue, alerted once', async () => {
    // Prepare: a log file delivered at 05:05, an hour after the newest digest's end (04:00:12).
    const { p } = await deployed('valid');
    await p.s3.send(
      new PutObjectCommand({
        Bucket: p.bucket,
        Key: 'AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/30/111122223333_CloudTrail_us-east-1_20261130T0505Z_Late.json.gz',
        Body: gzipSync('{"Records":[]}'),
      }),
    );

    // Act
    const first = await handler({});
    const second = await handler({});

    // Assess
    expect([first.digestsOverdue, second.digestsOverdue]).toEqual([1, 0]);
    expect(subjects(await receiveAlerts(p))).toEqual([
      'CloudTrail digests OVERDUE (111122223333, us-east-1)',
    ]);
  });
});
