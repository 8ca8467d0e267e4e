/**
 * `trail-index verify` on every verdict: a folder of downloaded files through the real launcher,
 * and a bucket (fauxqs) with CloudTrail's keys from a local ListPublicKeys endpoint, through the
 * SDK clients the command uses. The same cases run against the AWS CLI in test/awscli/.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { runCli } from '../cli/run-cli';
import { startCloudTrailEndpoint } from '../harness/cloudtrail-endpoint';
import {
  buildScenario,
  END,
  putScenario,
  SCENARIOS,
  START,
  TRAIL_ARN,
  writeScenarioFolder,
} from '../harness/digest-scenarios';
import { emulatorsRunning } from '../harness/pipeline';

const RANGE = ['--since', '2026-11-30T00:00:00Z', '--until', '2026-11-30T06:00:00Z'];
const DIGEST = (hhmm: string, suffix = '') =>
  `Digest file\ts3://BUCKET/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/30/111122223333_CloudTrail-Digest_us-east-1_audit-trail_us-east-1_20261130T${hhmm}12Z${suffix}.json.gz`;
const LOG = (stamp: string, name: string) =>
  `Log file\ts3://BUCKET/AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/30/111122223333_CloudTrail_us-east-1_20261130T${stamp}Z_${name}.json.gz`;

/** What each case must print on stderr, and its counts. */
const EXPECTED: Record<
  (typeof SCENARIOS)[number],
  { errors: unknown[]; counts: string[]; code: number; foundEnd?: string }
> = {
  valid: { errors: [], counts: ['4/4 digest files valid', '8/8 log files valid'], code: 0 },
  'modified-log': {
    errors: [`${LOG('0105', 'Ab21')}\tINVALID: hash value doesn't match`],
    counts: ['4/4 digest files valid', '7/8 log files valid, 1/8 log files INVALID'],
    code: 1,
  },
  'deleted-log': {
    errors: [`${LOG('0210', 'Ab32')}\tINVALID: not found`],
    counts: ['4/4 digest files valid', '7/8 log files valid, 1/8 log files INVALID'],
    code: 1,
  },
  'deleted-digest': {
    errors: [`${DIGEST('0200')}\tINVALID: not found`],
    counts: ['3/4 digest files valid, 1/4 digest files INVALID', '6/6 log files valid'],
    code: 1,
  },
  'altered-signature': {
    errors: [`${DIGEST('0300')}\tINVALID: signature verification failed`],
    counts: ['3/4 digest files valid, 1/4 digest files INVALID', '6/6 log files valid'],
    code: 1,
  },
  'moved-digest': {
    errors: [`${DIGEST('0430')}\tINVALID: has been moved from its original location`],
    counts: ['3/4 digest files valid, 1/4 digest files INVALID', '6/6 log files valid'],
    code: 1,
    // The newest digest is the moved one: what was found ends with the one before it.
    foundEnd: '03:00:12',
  },
  'appended-data': {
    errors: [`${LOG('0010', 'Ab12')}\tINVALID: unexpected data after end of compressed stream`],
    counts: ['4/4 digest files valid', '7/8 log files valid, 1/8 log files INVALID'],
    code: 1,
  },
  'logging-gap': {
    errors: [
      'No log files were delivered by CloudTrail between 2026-11-30T02:00:12Z and 2026-11-30T03:00:12Z',
    ],
    counts: ['3/3 digest files valid', '6/6 log files valid'],
    code: 0,
  },
  'unknown-key': {
    errors: [
      expect.stringMatching(
        /INVALID: public key not found in region us-east-1 for fingerprint [0-9a-f]{32}$/,
      ),
    ],
    counts: ['3/4 digest files valid, 1/4 digest files INVALID', '6/6 log files valid'],
    code: 1,
  },
  'empty-hour': { errors: [], counts: ['4/4 digest files valid', '6/6 log files valid'], code: 0 },
  backfill: {
    errors: [],
    counts: ['4/4 digest files valid', '1/1 backfill digest files valid', '9/9 log files valid'],
    code: 0,
  },
};

const lines = (text: string) => text.split('\n').filter((line) => line !== '');

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'trail-index-verify-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.each(SCENARIOS)('a folder: %s', (name) => {
  test('gets the reference verdicts, counts and exit code', async () => {
    // Prepare
    const scenario = buildScenario(name);
    const folder = join(root, name);
    writeScenarioFolder(scenario, folder);
    const expected = EXPECTED[name];

    // Act
    const run = await runCli([
      'verify',
      '--dir',
      folder,
      '--public-keys',
      join(folder, 'public-keys.json'),
      ...RANGE,
    ]);

    // Assess
    const errors = expected.errors.map((line) =>
      typeof line === 'string' ? line.replace('BUCKET', scenario.bucket) : line,
    );
    expect(lines(run.stderr)).toEqual(errors);
    expect(lines(run.stdout)).toEqual([
      `Validating log files for trail s3://${scenario.bucket}/ between 2026-11-30T00:00:00Z and 2026-11-30T06:00:00Z`,
      'Results requested for 2026-11-30T00:00:00Z to 2026-11-30T06:00:00Z',
      `Results found for 2026-11-30T00:00:12Z to 2026-11-30T${expected.foundEnd ?? '04:00:12'}Z:`,
      ...expected.counts,
    ]);
    expect(run.code).toBe(expected.code);
  });
});

describe('a bucket, with keys from CloudTrail', () => {
  test('verifies through S3 and ListPublicKeys (the SDK hands the key over as DER bytes)', async () => {
    expect(emulatorsRunning()).toBe(true);
    // Prepare
    const s3 = new S3Client({ forcePathStyle: true });
    const scenario = buildScenario('modified-log', 'verify-s3-modified-log');
    await s3.send(new CreateBucketCommand({ Bucket: scenario.bucket }));
    await putScenario(s3, scenario);
    s3.destroy();
    const cloudtrail = await startCloudTrailEndpoint(scenario.publicKeys.PublicKeyList);

    // Act
    const run = await runCli(
      [
        'verify',
        '--trail-arn',
        TRAIL_ARN,
        '--s3-bucket',
        scenario.bucket,
        '--start-time',
        START.toISOString(),
        '--end-time',
        END.toISOString(),
        '--json',
      ],
      { AWS_ENDPOINT_URL_CLOUDTRAIL: cloudtrail.url, AWS_REGION: 'us-east-1' },
    );
    await cloudtrail.close();

    // Assess
    const entries = lines(run.stdout).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.filter((e) => e.type === 'log' && e.verdict !== 'valid')).toEqual([
      expect.objectContaining({
        verdict: 'hash-mismatch',
        key: expect.stringMatching(/_Ab21\.json\.gz$/) as unknown,
      }),
    ]);
    expect(entries.at(-1)).toEqual(
      expect.objectContaining({
        type: 'summary',
        trail: TRAIL_ARN,
        validDigests: 4,
        validLogs: 7,
        invalidLogs: 1,
      }),
    );
    expect(cloudtrail.calls).toEqual(['ListPublicKeys']);
    expect(run.code).toBe(1);
  });

  test('with no key from CloudTrail in the range, stops with an error as the reference does', async () => {
    // Prepare
    const s3 = new S3Client({ forcePathStyle: true });
    const scenario = buildScenario('valid', 'verify-s3-no-keys');
    await s3.send(new CreateBucketCommand({ Bucket: scenario.bucket }));
    await putScenario(s3, scenario);
    s3.destroy();
    const cloudtrail = await startCloudTrailEndpoint([]);

    // Act
    const run = await runCli(['verify', '--trail-arn', TRAIL_ARN, '--s3-bucket', scenario.bucket, ...RANGE], {
      AWS_ENDPOINT_URL_CLOUDTRAIL: cloudtrail.url,
      AWS_REGION: 'us-east-1',
    });
    await cloudtrail.close();

    // Assess
    expect(run.stderr).toContain(
      'error: No public keys found between 2026-11-30T00:00:00Z and 2026-11-30T08:00:00Z',
    );
    expect(run.code).toBe(1);
  });
});

describe('usage', () => {
  test('needs a start and a place, and names what is missing', async () => {
    const noStart = await runCli(['verify', '--dir', root]);
    const noPlace = await runCli(['verify', '--since', '1d'], { AWS_REGION: 'us-east-1' });
    expect(noStart.stderr).toContain('--since (or --start-time) is required');
    expect(noPlace.stderr).toContain('say where the digests are: --stack, --s3-bucket, --trail-arn or --dir');
    expect([noStart.code, noPlace.code]).toEqual([2, 2]);
  });
});
