/**
 * `trail-index local` end to end, through the real launcher: its own fauxqs and dynalite, the
 * shipped samples and a folder with broken files, a second run over the same logs, and `query
 * --local` on the persisted index afterwards.
 */
import { spawn } from 'node:child_process';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  cloudTrailMessage,
  failedDeleteVault,
  glacierRecord,
  logFileBody,
  logFileKey,
  otherServiceRecord,
  supportRecord,
} from '../harness/factories';
import { CLI, CliRun, runCli, STACK_FRAME } from './run-cli';

const tempDirs: string[] = [];
const tempDir = (name: string) => {
  const dir = mkdtempSync(join(tmpdir(), `trail-index-${name}-`));
  tempDirs.push(dir);
  return dir;
};

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** The lines of the events table: `service event count [failed]`. */
function eventTable(stdout: string): string[] {
  const start = stdout.indexOf('  SERVICE  EVENT');
  const end = stdout.indexOf('\n\n', start);
  return stdout
    .slice(start, end)
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/).join(' '));
}

/** The `trail-index query ...` commands under "Try:", as argument lists. */
function tryCommands(stdout: string): string[][] {
  const block = stdout.slice(stdout.indexOf('Try:\n'));
  return [...block.matchAll(/^ {2}npx trail-index (query .+)$/gm)].map((m) => (m[1] ?? '').split(' '));
}

describe('trail-index local on the shipped samples', () => {
  const data = tempDir('samples');
  let first: CliRun;
  let second: CliRun;

  beforeAll(async () => {
    // The test harness silences Powertools; local mode's log file is part of what is tested here.
    first = await runCli(['local', '--data', data], { POWERTOOLS_LOG_LEVEL: 'INFO' });
    second = await runCli(['local', '--data', data], { POWERTOOLS_LOG_LEVEL: 'INFO' });
  });

  test('indexes every log file, and puts the digests in the bucket unannounced, as CloudTrail does', () => {
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(
      /^Log files: 5 from \S*samples \([\d.]+ KB\) in 1 notification: 5 indexed, 0 skipped, 0 failed$/m,
    );
    expect(first.stdout.match(/^ {2}indexed {2}AWSLogs\/\d{12}\/CloudTrail\//gm)).toHaveLength(5);
  });

  test("verifies the samples' signed digest chains, and every indexed file is verified", async () => {
    expect(first.stdout).toMatch(
      /^Integrity: 6 digests verified in this run \(CloudTrail's RSA signature, the chain, each listed file's SHA-256\)\. Log files indexed: 5 verified, 0 pending \(no digest lists them\)\.$/m,
    );
    expect(second.stdout).toMatch(/^Integrity: no new digest .*Log files indexed: 5 verified, 0 pending/m);
    const query = await runCli(['query', '--local', '--data', data, '--event', 'DeleteVault', '--json']);
    const lines = query.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines)
      expect(JSON.parse(line)).toEqual(expect.objectContaining({ integrity: 'verified' }));
  });

  test('counts the Glacier and Support events per service and event name', () => {
    expect(first.stdout).toContain(
      '24 records read, 16 Glacier/Support events written, 16 new in the index.',
    );
    expect(eventTable(first.stdout)).toEqual([
      'glacier CreateVault 2',
      'glacier DeleteVault 2 1',
      'glacier DescribeVault 1',
      'glacier GetJobOutput 1',
      'glacier InitiateJob 1',
      'glacier ListVaults 2',
      'glacier UploadArchive 2',
      'support AddCommunicationToCase 1',
      'support CreateCase 1',
      'support DescribeCases 1',
      'support DescribeTrustedAdvisorChecks 1',
      'support ResolveCase 1',
    ]);
  });

  test('prints the full text of both vault-deletion alerts, from the alert topic', () => {
    expect(first.stdout).toContain('Alerts: 2 published to the alert topic');
    expect(first.stdout).toContain(
      '  Subject: CRITICAL: Glacier vault deleted: myVaultName (999999999999, us-east-1)',
    );
    expect(first.stdout).toMatch(
      /^ {2}Subject: CRITICAL: Glacier vault deletion FAILED \(InvalidParam.*\): audit-archive \(999999999999, us-east-1\)$/m,
    );
    expect(first.stdout).toContain(
      '  Attributes: eventName=DeleteVault account=999999999999 region=us-east-1 outcome=failed',
    );
    expect(first.stdout).toMatch(
      /^ {2}Who: +arn:aws:sts::999999999999:assumed-role\/ci-deploy\/i-0abc1234$/m,
    );
    expect(first.stdout).toMatch(/^ {2}Source IP: +203\.0\.113\.77$/m);
  });

  test('keeps the indexer logs out of the summary, in the data folder', () => {
    expect(first.stdout).not.toContain('"level"');
    expect(first.stderr).toBe('');
    const log = readFileSync(join(data, 'indexer.log'), 'utf8').trim().split('\n');
    expect(
      log.some((line) => (JSON.parse(line) as { message?: string }).message === 'Log file indexed'),
    ).toBe(true);
  });

  test('a second run over the same logs changes nothing and alerts nothing', () => {
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(
      '16 Glacier/Support events written, 0 new in the index (16 were already there: the index did not change).',
    );
    expect(eventTable(second.stdout)).toEqual(eventTable(first.stdout));
    expect(second.stdout).toContain('Alerts: none published in this run');
  });

  test('every suggested query works on the persisted index, even all at once', async () => {
    // Prepare
    const commands = tryCommands(first.stdout);
    expect(commands.length).toBeGreaterThanOrEqual(5);

    // Act
    const runs = await Promise.all(commands.map((args) => runCli(args)));

    // Assess
    for (const [i, result] of runs.entries()) {
      // Queries started together take turns on the index, and say so while they wait.
      const stderr = result.stderr.replace(
        /^waiting for process \d+, which has the local index open\.\.\.\n/gm,
        '',
      );
      expect({ command: commands[i]?.join(' '), code: result.code, stderr }).toEqual({
        command: commands[i]?.join(' '),
        code: 0,
        stderr: '',
      });
      expect(result.stdout.trim().length).toBeGreaterThan(0);
    }
  });

  test('query --local finds the vault deletions with their original records', async () => {
    const result = await runCli(['query', '--local', '--data', data, '--event', 'DeleteVault', '--full']);

    expect(result.code).toBe(0);
    const events = result.stdout
      .trim()
      .split('\n')
      .map(
        (line) => JSON.parse(line) as { eventTime: string; errorCode?: string; record: { eventID: string } },
      );
    expect(events.map((e) => [e.eventTime, e.errorCode])).toEqual([
      ['2014-12-11T06:07:52Z', 'InvalidParameterValueException'],
      ['2014-12-10T19:05:15Z', undefined],
    ]);
    expect(events[1]?.record.eventID).toBe('cdd33060-4758-416a-b7b9-dafd3afcec90');
  });
});

describe('trail-index local on a folder with broken files', () => {
  const logs = tempDir('broken-logs');
  const data = tempDir('broken-data');
  const at = new Date('2026-11-20T10:05:00Z');
  const key = (suffix: string) =>
    logFileKey({ at }).replace(/_[A-Z0-9]{16}\.json\.gz$/, `_${suffix}.json.gz`);
  const good = [
    glacierRecord('DeleteVault', { eventTime: '2026-11-20T10:01:00Z' }),
    supportRecord('CreateCase'),
    otherServiceRecord(),
  ];
  const attempt = failedDeleteVault({ eventTime: '2026-11-20T10:02:00Z' });
  const valid = logFileBody([...good, attempt]);
  const files: Record<string, Buffer> = {
    [key('GOOD000000000001')]: valid,
    [key('NOTGZIP000000001')]: Buffer.from('this is not a CloudTrail log file'),
    [key('TRUNCATED0000001')]: valid.subarray(0, Math.floor(valid.length / 2)),
    [key('TRAILING00000001')]: Buffer.concat([
      logFileBody([glacierRecord('ListVaults')]),
      Buffer.from('garbage'),
    ]),
    [key('BADJSON000000001')]: gzipSync('{"Records": [{"eventID": '),
    [key('NORECORDS0000001')]: gzipSync(JSON.stringify({ records: [] })),
    'notes/readme.json.gz': gzipSync('{}'),
  };
  let first: CliRun;
  let second: CliRun;

  beforeAll(async () => {
    for (const [name, body] of Object.entries(files)) {
      mkdirSync(dirname(join(logs, name)), { recursive: true });
      writeFileSync(join(logs, name), body);
    }
    first = await runCli(['local', '--logs', logs, '--data', data]);
    second = await runCli(['local', '--logs', logs, '--data', data]);
  });

  test('fails (exit 1) after indexing everything it could, naming each broken file and why', () => {
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(
      /^Log files: 7 from .+ in 2 notifications: 1 indexed, 1 skipped, 5 failed$/m,
    );
    const status = (suffix: string) =>
      new RegExp(`^ {2}(\\w+) +\\S+_${suffix}\\.json\\.gz {2}(.+)$`, 'm').exec(first.stdout)?.slice(1, 3);
    expect(status('GOOD000000000001')).toEqual(['indexed', '4 records, 3 indexed']);
    expect(status('NOTGZIP000000001')).toEqual(['failed', 'invalid-json']);
    expect(status('TRUNCATED0000001')).toEqual(['failed', 'truncated-gzip']);
    expect(status('TRAILING00000001')).toEqual(['failed', 'trailing-data']);
    expect(status('BADJSON000000001')).toEqual(['failed', 'invalid-json']);
    expect(status('NORECORDS0000001')).toEqual(['failed', 'missing-records']);
    expect(first.stdout).toMatch(/^ {2}skipped {2}notes\/readme\.json\.gz +other-file$/m);
    expect(first.stderr).toBe('error: 5 log files could not be indexed (see above)\n');
    expect(first.stderr).not.toMatch(STACK_FRAME);
  });

  test('indexes and alerts the good file of the same notification', () => {
    // The file with trailing data fails, but its record before the garbage is indexed (no loss).
    expect(eventTable(first.stdout)).toEqual([
      'glacier DeleteVault 2 1',
      'glacier ListVaults 1',
      'support CreateCase 1',
    ]);
    expect(first.stdout).toContain('Alerts: 2 published to the alert topic');
    expect(first.stdout).toContain(
      'Subject: CRITICAL: Glacier vault deleted: audit-vault (999999999999, us-east-1)',
    );
    expect(first.stdout).toMatch(
      /^ {2}Subject: CRITICAL: Glacier vault deletion FAILED \(InvalidParam.*\): audit-vault \(999999999999, us-east-1\)$/m,
    );
  });

  test('a second run reports the same failures and changes nothing', () => {
    expect(second.code).toBe(1);
    expect(second.stdout).toMatch(/1 indexed, 1 skipped, 5 failed$/m);
    expect(second.stdout).toContain('0 new in the index');
    expect(second.stdout).toContain('Alerts: none published in this run');
    expect(eventTable(second.stdout)).toEqual(eventTable(first.stdout));
  });

  test('query --local sees the events of the good file', async () => {
    const result = await runCli([
      'query',
      '--local',
      '--data',
      data,
      '--account',
      '999999999999',
      '--region',
      'us-east-1',
      '--json',
    ]);

    expect(result.code).toBe(0);
    const names = result.stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { eventName: string }).eventName);
    expect(names.sort()).toEqual(['CreateCase', 'DeleteVault', 'DeleteVault', 'ListVaults']);
  });
});

describe('trail-index local --serve', () => {
  test('keeps the emulators up for queries until interrupted, then exits 0', async () => {
    // Prepare
    const data = tempDir('serve');
    const child = spawn(process.execPath, [CLI, 'local', '--data', data, '--serve'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('Ctrl-C stops them')) resolve();
      });
      void exited.then((code) => reject(new Error(`local --serve exited early (${code}): ${stdout}`)));
    });

    // Act
    const query = await runCli(['query', '--local', '--data', data, '--event', 'DeleteVault', '--json']);
    const s3Endpoint = /^ {2}S3, SNS, SQS {2}(\S+)$/m.exec(stdout)?.[1];
    const s3 = new S3Client({
      endpoint: s3Endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'trail-index-logs' }));
    s3.destroy();
    child.kill('SIGINT');
    const code = await exited;

    // Assess
    expect(stdout).toMatch(/^ {2}DynamoDB {6}http:\/\/127\.0\.0\.1:\d+$/m);
    expect(stdout).toMatch(/^ {2}S3, SNS, SQS {2}http:\/\/127\.0\.0\.1:\d+$/m);
    expect(query.code).toBe(0);
    expect(query.stdout.trim().split('\n')).toHaveLength(2);
    // With --serve the log files (5) and the digests (6) stay in the bucket, for other tools to read.
    expect(listed.KeyCount).toBe(11);
    expect(code).toBe(0);
    expect(JSON.parse(readFileSync(join(data, 'local.json'), 'utf8'))).not.toHaveProperty('serving');
    expect(existsSync(join(data, 'lock'))).toBe(false);
  });
});

describe('trail-index local --serve, live', () => {
  test('indexes what another process puts in the bucket or announces on the topic, as it comes; Ctrl-C exits 0', async () => {
    // Prepare
    const data = tempDir('live');
    const child = spawn(process.execPath, [CLI, 'local', '--data', data, '--serve'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const seen = (pattern: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(stdout)) {
            child.stdout.off('data', check);
            resolve();
          }
        };
        child.stdout.on('data', check);
        check();
        void exited.then((code) =>
          reject(new Error(`local --serve exited (${code}) before ${pattern}: ${stdout}`)),
        );
      });
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    await seen(/Live, as deployed/);
    const endpoint = /^ {2}S3, SNS, SQS {2}(\S+)$/m.exec(stdout)?.[1];
    const topic = /^ {2}topics {8}(\S+) \(delivery\)/m.exec(stdout)?.[1];
    const config = {
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    };
    const s3 = new S3Client({ ...config, forcePathStyle: true });
    const sns = new SNSClient(config);
    const put = async (key: string, records: Record<string, unknown>[]) =>
      s3.send(new PutObjectCommand({ Bucket: 'trail-index-logs', Key: key, Body: logFileBody(records) }));

    // Act: a file copied in alone (an S3 event), then one copied and announced as CloudTrail does.
    const copied = logFileKey({ account: '999999999999' });
    await put(copied, [failedDeleteVault({ recipientAccountId: '999999999999' })]);
    await seen(new RegExp(`indexed +${copied.replace(/[.]/g, '[.]')} +1 records, 1 indexed \\(S3 event\\)`));
    const announced = logFileKey({ account: '999999999999' });
    await put(announced, [glacierRecord('ListVaults', { recipientAccountId: '999999999999' })]);
    await sns.send(
      new PublishCommand({ TopicArn: topic, Message: cloudTrailMessage('trail-index-logs', [announced]) }),
    );
    await seen(
      new RegExp(`indexed +${announced.replace(/[.]/g, '[.]')} +1 records, 1 indexed \\(delivery topic\\)`),
    );
    s3.destroy();
    sns.destroy();
    child.kill('SIGINT');
    const code = await exited;

    // Assess
    expect(stdout).toMatch(/^ {2}alert {4}CRITICAL: Glacier vault deletion FAILED/m);
    expect(code).toBe(0);
    const query = await runCli(['query', '--local', '--data', data, '--event', 'DeleteVault', '--json']);
    expect(query.stdout.trim().split('\n')).toHaveLength(3);
  });
});

describe('trail-index local usage errors', () => {
  test('--logs that does not exist exits 2', async () => {
    const result = await runCli(['local', '--logs', '/nonexistent/logs', '--data', tempDir('nologs')]);

    expect(result.code).toBe(2);
    expect(result.stderr).toBe('error: --logs /nonexistent/logs: no such folder\n');
  });

  test('--logs without any .json.gz exits 2', async () => {
    const empty = tempDir('empty');

    const result = await runCli(['local', '--logs', empty, '--data', tempDir('emptydata')]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no *.json.gz files under');
  });
});
